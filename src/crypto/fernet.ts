import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { encodeBase64Url } from './base64url.ts';
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
import type { FernetKey } from './fernetKey.ts';

export type { EncryptOptions, OpenedToken, OpenOptions } from './fernetToken.ts';

/** Encrypts to a Fernet token, byte for byte what Python's Fernet.encrypt_at_time() writes. */
export function encrypt(key: FernetKey, plaintext: Buffer | string, options: EncryptOptions = {}): string {
  const iv = options.iv ?? randomBytes(IV_BYTES);
  const header = tokenHeader(options.now ?? unixNow(), iv);
  const cipher = createCipheriv('aes-128-cbc', key.encryptionKey, iv);
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const body = Buffer.concat([header, cipher.update(data), cipher.final()]);
  return encodeBase64Url(Buffer.concat([body, sign(key, body)]));
}

/** Verifies and decrypts a token, with the same outcome as Python's Fernet.decrypt(token, ttl). */
export function open(key: FernetKey, token: string | Buffer, options?: OpenOptions): OpenedToken {
  return openWithKeys([key], token, options);
}

export function decrypt(key: FernetKey, token: string | Buffer, options?: OpenOptions): Buffer {
  return open(key, token, options).plaintext;
}

/**
 * Opens a token with the first key whose signature matches, as MultiFernet does.
 * Shape and time checks do not depend on the key, so they run once, before any signature check.
 */
export function openWithKeys(
  keys: readonly FernetKey[],
  token: string | Buffer,
  options: OpenOptions = {},
): OpenedToken {
  const { issuedAt, body, signature } = tokenParts(token, options);
  let signedButUndecryptable = false;
  for (const key of keys) {
    if (!timingSafeEqual(sign(key, body), signature)) continue;
    const plaintext = decryptBody(key, body);
    if (plaintext) return { plaintext, issuedAt, signature, key };
    // MultiFernet moves on to the next key here too.
    signedButUndecryptable = true;
  }
  throw noKeyOpened(signedButUndecryptable);
}

function sign(key: FernetKey, body: Buffer): Buffer {
  return createHmac('sha256', key.signingKey).update(body).digest();
}

function decryptBody(key: FernetKey, body: Buffer): Buffer | undefined {
  const decipher = createDecipheriv('aes-128-cbc', key.encryptionKey, body.subarray(9, HEADER_BYTES));
  try {
    return Buffer.concat([decipher.update(body.subarray(HEADER_BYTES)), decipher.final()]);
  } catch {
    return undefined; // OpenSSL rejects the PKCS7 padding exactly as Python's unpadder does
  }
}
