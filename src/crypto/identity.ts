import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';

/** An Ed25519 seed and public key are 32 bytes, a signature 64 (RFC 8032). */
export const IDENTITY_SEED_BYTES = 32;
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

// The fixed DER around a raw key: how node:crypto takes a 32-byte Ed25519 seed or public key.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * What signs, all the client actor sees of an identity. Node's signature comes at once; the
 * page's private key is in Web Crypto (webSigner.ts), whose signature is a promise.
 */
export interface Signer {
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  sign(message: Buffer): Buffer | Promise<Buffer>;
}

/** A signer that answers at once (Node's): what signs where no promise can be awaited. */
export interface SyncSigner extends Signer {
  sign(message: Buffer): Buffer;
}

/** A person's Ed25519 identity key pair, kept apart from the chat key (docs/protocol.md). */
export class Identity implements SyncSigner {
  readonly publicKey: Buffer;
  readonly #privateKey: KeyObject;
  readonly #seed: Buffer;

  private constructor(seed: Buffer) {
    this.#seed = Buffer.from(seed);
    this.#privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    const spki = createPublicKey(this.#privateKey).export({ format: 'der', type: 'spki' });
    this.publicKey = Buffer.from(spki.subarray(SPKI_PREFIX.length));
  }

  static generate(): Identity {
    return new Identity(randomBytes(IDENTITY_SEED_BYTES));
  }

  /** From the 32-byte seed of an identity file; undefined when it is not 32 bytes. */
  static fromSeed(seed: Buffer): Identity | undefined {
    return seed.length === IDENTITY_SEED_BYTES ? new Identity(seed) : undefined;
  }

  get seed(): Buffer {
    return Buffer.from(this.#seed);
  }

  sign(message: Buffer): Buffer {
    return sign(null, message, this.#privateKey);
  }

  // Keeps the private key out of console.log and util.inspect output.
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Identity <${identityFingerprint(this.publicKey)}>`;
  }
}

/**
 * What people read to each other to check an identity (`/whois`): the first 16 bytes of the
 * SHA-256 of the raw public key, in eight groups of four hex digits. 128 bits, so that making a
 * second key with the same fingerprint is out of reach, unlike the chat key's 64-bit one, which
 * only tells a group's few keys apart.
 */
export function identityFingerprint(publicKey: Buffer): string {
  const hex = createHash('sha256').update(publicKey).digest('hex').slice(0, 32);
  return (hex.match(/.{4}/g) ?? []).join(' ');
}

/** Four hex digits of the fingerprint: enough to tell two keys apart on a line, not to check one. */
export function shortFingerprint(publicKey: Buffer): string {
  return identityFingerprint(publicKey).slice(0, 4);
}

/**
 * Checks an Ed25519 signature. Sync on Node; a verifier on Web Crypto would be async, which is
 * why the client actor takes a `Verifier` rather than calling this itself.
 */
export function verifySignature(publicKey: Buffer, message: Buffer, signature: Buffer): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    });
    return verify(null, message, key, signature);
  } catch {
    // A public key that is not a point on the curve is refused by OpenSSL: not a valid signer.
    return false;
  }
}

/** Public keys kept ready by a verifier: more than the signers of any one room. */
const KEYS_KEPT = 256;

/**
 * A verifier that keeps the public keys it has seen as key objects: turning 32 raw bytes into
 * one (decompressing the curve point) costs about as much as the check itself, and a room has
 * few signers. The oldest is forgotten past KEYS_KEPT.
 */
export function ed25519Verifier(): (publicKey: Buffer, message: Buffer, signature: Buffer) => boolean {
  const kept = new Map<string, KeyObject | undefined>();
  return (publicKey, message, signature) => {
    if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
    const id = publicKey.toString('base64url');
    let key = kept.get(id);
    if (key === undefined && !kept.has(id)) {
      try {
        key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
      } catch {
        key = undefined; // not a point on the curve: it never verifies
      }
      if (kept.size >= KEYS_KEPT) kept.delete(kept.keys().next().value!);
      kept.set(id, key);
    }
    return key !== undefined && verify(null, message, key, signature);
  };
}
