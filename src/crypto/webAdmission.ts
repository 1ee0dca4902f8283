import type { webcrypto } from 'node:crypto';
import { answerLine, MAX_ANSWER_KEYS, parseChallenge, signedMessage } from '../protocol/admission.ts';
import { ADMISSION_INFO } from './admissionKey.ts';
import type { ChallengeReply } from './answerChallenge.ts';
import type { FernetKey } from './fernetKey.ts';

type CryptoKey = webcrypto.CryptoKey;

/** DER of an Ed25519 PKCS#8 private key up to its 32-byte seed (RFC 8410), as admissionKey.ts. */
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

interface WebAdmissionKey {
  /** base64url without padding, 43 characters: what the hub's --admit file holds. */
  readonly publicKey: string;
  /** Not extractable: signs challenges and nothing can read it back out. */
  readonly privateKey: CryptoKey;
}

/**
 * The page's answer to a hub's `#challenge` (docs/protocol.md, "Admission"), on Web Crypto where
 * node:crypto's hkdfSync and Ed25519 do not exist: the same seed (HKDF-SHA256, empty salt, info
 * ADMISSION_INFO), the same key pair and the same signed bytes as answerChallenge.ts, so a hub
 * cannot tell the page's answer from the terminal's. It runs on Node's Web Crypto too, where the
 * tests hold it to the published vector.
 *
 * Web Crypto imports no raw Ed25519 seed, but it imports PKCS#8, which is the seed behind a fixed
 * prefix; the public key comes from the same import's JWK (`x`), then the private key is imported
 * again not extractable, and only that copy is kept.
 */
export class WebAdmission {
  private constructor(private readonly keys: readonly WebAdmissionKey[]) {}

  /** Derives the admission key of each chat key (the first MAX_ANSWER_KEYS, as the terminal). */
  static async import(chatKeys: readonly FernetKey[]): Promise<WebAdmission> {
    return new WebAdmission(await Promise.all(chatKeys.slice(0, MAX_ANSWER_KEYS).map(admissionKeyOf)));
  }

  /** The public keys, primary first: what `fernet-chat-keygen --admission` prints for the same file. */
  get publicKeys(): readonly string[] {
    return this.keys.map((key) => key.publicKey);
  }

  /**
   * The `#answer` line for a `#challenge` line, or why not to answer: a malformed challenge, or
   * one naming another hub than `expectedHubName` (compared without regard to case), which
   * signing would hand a go-between an answer it could relay to that hub.
   */
  async answer(line: string, expectedHubName: string): Promise<ChallengeReply> {
    const challenge = parseChallenge(line);
    if (!challenge.ok)
      return { ok: false, message: `the hub's #challenge is malformed (${challenge.detail})` };
    if (challenge.hubName.toLowerCase() !== expectedHubName.toLowerCase())
      return {
        ok: false,
        message: `the hub calls itself ${challenge.hubName}, not ${expectedHubName}: not answering its challenge (open the page at ${challenge.hubName} if that is its name)`,
      };
    const message = own(signedMessage(challenge.hubName, challenge.nonce));
    const pairs = await Promise.all(
      this.keys.map(async (key) => ({
        publicKey: key.publicKey,
        signature: Buffer.from(
          await globalThis.crypto.subtle.sign('Ed25519', key.privateKey, message),
        ).toString('base64url'),
      })),
    );
    return { ok: true, line: answerLine(pairs) };
  }
}

/** The 32-byte Ed25519 seed of a chat key's admission key: admissionSeed() on Web Crypto. */
export async function webAdmissionSeed(key: FernetKey): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle;
  const ikm = await subtle.importKey(
    'raw',
    own(Buffer.concat([key.signingKey, key.encryptionKey])),
    'HKDF',
    false,
    ['deriveBits'],
  );
  const info = own(Buffer.from(ADMISSION_INFO, 'utf8'));
  const bits = await subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info },
    ikm,
    256,
  );
  return new Uint8Array(bits);
}

async function admissionKeyOf(key: FernetKey): Promise<WebAdmissionKey> {
  const subtle = globalThis.crypto.subtle;
  const seed = await webAdmissionSeed(key);
  const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + seed.length);
  pkcs8.set(PKCS8_PREFIX);
  pkcs8.set(seed, PKCS8_PREFIX.length);
  try {
    // Extractable once, for its JWK's `x` (the public key, base64url without padding)...
    const readable = await subtle.importKey('pkcs8', pkcs8, 'Ed25519', true, ['sign']);
    const { x } = await subtle.exportKey('jwk', readable);
    if (x === undefined) throw new Error('Web Crypto gave an Ed25519 JWK without its public key');
    // ...and kept only as a key nothing can export.
    const privateKey = await subtle.importKey('pkcs8', pkcs8, 'Ed25519', false, ['sign']);
    return { publicKey: x, privateKey };
  } finally {
    seed.fill(0);
    pkcs8.fill(0);
  }
}

/** A copy in an ArrayBuffer of its own, as Web Crypto's typings want. */
function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}
