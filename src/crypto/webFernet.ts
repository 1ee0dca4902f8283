import type { webcrypto } from 'node:crypto';
import { encodeBase64Url } from './base64url.ts';
import { fingerprint } from './fingerprint.ts';
import type { FernetKey } from './fernetKey.ts';
import {
  type EncryptOptions,
  HEADER_BYTES,
  IV_BYTES,
  noKeyOpened,
  type OpenedToken,
  type OpenOptions,
  tokenParts,
  tokenHeader,
  unixNow,
} from './fernetToken.ts';

// Web Crypto's types as Node's own typings name them (the same objects as a browser's).
type CryptoKey = webcrypto.CryptoKey;

/**
 * One Fernet key as Web Crypto holds it: not extractable, each half for its one use; and the key
 * itself, which a signed envelope's room is derived from (protocol/signedEnvelope.ts).
 */
interface WebKey {
  readonly key: FernetKey;
  readonly signing: CryptoKey;
  readonly encryption: CryptoKey;
}

/**
 * Fernet on Web Crypto (AES-128-CBC with PKCS#7, HMAC-SHA256), for the browser, where no
 * synchronous AES exists: the same tokens, checks and error codes as fernet.ts (the layout and
 * the checks are fernetToken.ts's), but every operation is a promise. It runs on Node's
 * `globalThis.crypto.subtle` as well, where the tests hold it to the spec's vectors and to
 * Python's tokens. Like KeyRing, the first key encrypts and any of them opens.
 */
export class WebKeyRing {
  private constructor(
    private readonly keys: readonly WebKey[],
    /** The primary key's fingerprint (fingerprint.ts), for people to compare. */
    readonly fingerprint: string,
  ) {}

  /** Hands the keys to Web Crypto for encrypting and opening. */
  static async import(keys: readonly FernetKey[]): Promise<WebKeyRing> {
    const subtle = globalThis.crypto.subtle;
    const imported = await Promise.all(
      keys.map(async (key) => ({
        key,
        signing: await subtle.importKey(
          'raw',
          own(key.signingKey),
          { name: 'HMAC', hash: 'SHA-256' },
          false,
          ['sign', 'verify'],
        ),
        encryption: await subtle.importKey('raw', own(key.encryptionKey), { name: 'AES-CBC' }, false, [
          'encrypt',
          'decrypt',
        ]),
      })),
    );
    return new WebKeyRing(imported, fingerprint(keys[0]!));
  }

  /** The key that encrypts. */
  get primary(): FernetKey {
    return this.keys[0]!.key;
  }

  /** A token, byte for byte what Python's Fernet.encrypt_at_time() writes for the same IV. */
  async encrypt(plaintext: Buffer | string, options: EncryptOptions = {}): Promise<string> {
    const key = this.keys[0]!;
    const iv = options.iv ?? Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES)));
    const header = tokenHeader(options.now ?? unixNow(), iv);
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const ciphertext = await globalThis.crypto.subtle.encrypt(
      { name: 'AES-CBC', iv: own(iv) },
      key.encryption,
      own(data),
    );
    const body = Buffer.concat([header, Buffer.from(ciphertext)]);
    const signature = await globalThis.crypto.subtle.sign('HMAC', key.signing, own(body));
    return encodeBase64Url(Buffer.concat([body, Buffer.from(signature)]));
  }

  /**
   * Verifies and decrypts, as KeyRing.open does: shape and time first (a FernetError before any
   * key is tried), then the first key whose HMAC verifies (in constant time, by Web Crypto).
   */
  async open(token: string | Buffer, options: OpenOptions = {}): Promise<OpenedToken> {
    const { issuedAt, body, signature } = tokenParts(token, options);
    let signedButUndecryptable = false;
    for (const key of this.keys) {
      if (!(await globalThis.crypto.subtle.verify('HMAC', key.signing, own(signature), own(body)))) continue;
      try {
        const plaintext = await globalThis.crypto.subtle.decrypt(
          { name: 'AES-CBC', iv: own(body.subarray(9, HEADER_BYTES)) },
          key.encryption,
          own(body.subarray(HEADER_BYTES)),
        );
        return { plaintext: Buffer.from(plaintext), issuedAt, signature, key: key.key };
      } catch {
        // Web Crypto refuses bad PKCS#7 padding as Python's unpadder does; MultiFernet moves on.
        signedButUndecryptable = true;
      }
    }
    throw noKeyOpened(signedButUndecryptable);
  }
}

/**
 * The bytes in an ArrayBuffer of their own, as Web Crypto's types ask (a Buffer may be a view of
 * a shared pool). Tokens are small; the copy is nothing beside the cipher.
 */
function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}
