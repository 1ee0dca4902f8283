import { createPrivateKey, createPublicKey, hkdfSync, type KeyObject, sign, verify } from 'node:crypto';
import type { FernetKey } from './fernetKey.ts';

/**
 * The admission key (docs/protocol.md, "Admission"): an Ed25519 key pair derived from a chat key,
 * so that a hub can check that a client holds the chat key while holding only the public half,
 * which decrypts nothing and admits no one.
 *
 * seed = HKDF-SHA256(IKM = the 32 bytes of the Fernet key, salt = empty, info = ADMISSION_INFO, L = 32)
 *
 * The purpose and version are in the info string, so the same chat key used for another purpose
 * later (a name signature, say) gives an unrelated key. The salt is empty (RFC 5869 then uses 32
 * zero bytes): the Fernet key is already 32 uniformly random bytes, which is what a salt is for.
 */
export const ADMISSION_INFO = 'fernet-chat/admission/v1';
const SALT = Buffer.alloc(0);

/** DER of an Ed25519 PKCS#8 private key up to its 32-byte seed (RFC 8410). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** DER of an Ed25519 SubjectPublicKeyInfo up to its 32-byte public key (RFC 8410). */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A public admission key as text: 32 bytes in base64url without padding, 43 characters. */
export const PUBLIC_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** An Ed25519 signature as text: 64 bytes in base64url without padding, 86 characters. */
export const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{86}$/;

export interface AdmissionKey {
  /** What the hub's --admit file holds (PUBLIC_KEY_PATTERN). */
  readonly publicKey: string;
  /** Signs `message`: 86 characters of base64url (SIGNATURE_PATTERN). */
  sign(message: Buffer): string;
}

/** The 32-byte Ed25519 seed of a chat key's admission key. */
export function admissionSeed(key: FernetKey): Buffer {
  const ikm = Buffer.concat([key.signingKey, key.encryptionKey]);
  return Buffer.from(hkdfSync('sha256', ikm, SALT, ADMISSION_INFO, 32));
}

export function admissionKeyOf(key: FernetKey): AdmissionKey {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, admissionSeed(key)]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = spki.subarray(SPKI_PREFIX.length).toString('base64url');
  return {
    publicKey,
    sign: (message) => sign(null, message, privateKey).toString('base64url'),
  };
}

/** A public admission key from its text, or undefined if it is not one (wrong length or alphabet). */
export function publicKeyOf(text: string): KeyObject | undefined {
  if (!PUBLIC_KEY_PATTERN.test(text)) return undefined;
  const raw = Buffer.from(text, 'base64url');
  // Canonical text only: one key, one spelling (the last character's unused bits are zero).
  if (raw.toString('base64url') !== text) return undefined;
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/** Whether `signature` (SIGNATURE_PATTERN text) is `key`'s over `message`. Never throws. */
export function verifySignature(key: KeyObject, message: Buffer, signature: string): boolean {
  if (!SIGNATURE_PATTERN.test(signature)) return false;
  try {
    return verify(null, message, key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
