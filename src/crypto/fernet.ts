import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';
import { FernetError } from './fernetError.ts';
import type { FernetKey } from './fernetKey.ts';

const VERSION = 0x80;
const IV_BYTES = 16;
const HEADER_BYTES = 1 + 8 + IV_BYTES; // version, timestamp, IV
const BLOCK_BYTES = 16;
const HMAC_BYTES = 32;
// PKCS7 always adds at least one byte, so the ciphertext is at least one block.
const MIN_TOKEN_BYTES = HEADER_BYTES + BLOCK_BYTES + HMAC_BYTES;
const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 60; // Python's cryptography.fernet._MAX_CLOCK_SKEW

export interface EncryptOptions {
  /** Timestamp to record, in unix seconds; defaults to the current time. */
  now?: number;
  /** 16-byte IV; defaults to random. Only tests should set it. */
  iv?: Buffer;
}

export interface OpenOptions {
  /** Maximum token age; without it, timestamps are not checked (like Python's ttl=None). */
  ttlSeconds?: number;
  /** Clock in unix seconds; defaults to Math.floor(Date.now() / 1000). */
  now?: () => number;
  /** How far in the future a timestamp may be when ttlSeconds is given; defaults to 60. */
  maxClockSkewSeconds?: number;
}

export interface OpenedToken {
  plaintext: Buffer;
  /** The token's timestamp, in unix seconds. */
  issuedAt: number;
  /** The token's HMAC, 32 bytes. */
  signature: Buffer;
  /** The key that opened it: signed envelopes are bound to it (protocol/signedEnvelope.ts). */
  key: FernetKey;
}

/** Encrypts to a Fernet token, byte for byte what Python's Fernet.encrypt_at_time() writes. */
export function encrypt(key: FernetKey, plaintext: Buffer | string, options: EncryptOptions = {}): string {
  const now = options.now ?? unixNow();
  const iv = options.iv ?? randomBytes(IV_BYTES);
  if (!Number.isSafeInteger(now) || now < 0)
    throw new RangeError(`now must be whole unix seconds, got ${now}`);
  if (iv.length !== IV_BYTES) throw new RangeError(`iv must be ${IV_BYTES} bytes, got ${iv.length}`);

  const header = Buffer.alloc(9);
  header[0] = VERSION;
  header.writeBigUInt64BE(BigInt(now), 1);
  const cipher = createCipheriv('aes-128-cbc', key.encryptionKey, iv);
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const body = Buffer.concat([header, iv, cipher.update(data), cipher.final()]);
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
  const bytes = decodeToken(token);
  const issuedAt = Number(bytes.readBigUInt64BE(1));
  if (options.ttlSeconds !== undefined) checkTime(issuedAt, options.ttlSeconds, options);

  const body = bytes.subarray(0, -HMAC_BYTES);
  const signature = Buffer.from(bytes.subarray(-HMAC_BYTES));
  let signedButUndecryptable = false;
  for (const key of keys) {
    if (!timingSafeEqual(sign(key, body), signature)) continue;
    const plaintext = decryptBody(key, body);
    if (plaintext) return { plaintext, issuedAt, signature, key };
    // MultiFernet moves on to the next key here too.
    signedButUndecryptable = true;
  }
  if (signedButUndecryptable) throw new FernetError('bad-token', 'token plaintext has invalid padding');
  throw new FernetError('bad-signature', 'token signature does not match any key');
}

function decodeToken(token: string | Buffer): Buffer {
  // latin1 maps each byte to one character, so any non-ASCII byte fails the alphabet check.
  const text = typeof token === 'string' ? token : token.toString('latin1');
  const bytes = decodeBase64Url(text);
  if (!bytes) throw new FernetError('bad-token', 'token is not base64url text with = padding');
  if (bytes.length > 0 && bytes[0] !== VERSION) {
    throw new FernetError('bad-token', `token version is 0x${bytes[0]?.toString(16)}, expected 0x80`);
  }
  if (bytes.length < MIN_TOKEN_BYTES) {
    throw new FernetError('bad-token', `token is too short (${bytes.length} bytes, at least 73 needed)`);
  }
  if ((bytes.length - HEADER_BYTES - HMAC_BYTES) % BLOCK_BYTES !== 0) {
    throw new FernetError('bad-token', 'token ciphertext is not a whole number of 16-byte blocks');
  }
  return bytes;
}

function checkTime(issuedAt: number, ttl: number, options: OpenOptions): void {
  const skew = options.maxClockSkewSeconds ?? DEFAULT_MAX_CLOCK_SKEW_SECONDS;
  const now = Math.floor((options.now ?? unixNow)());
  requireFinite('ttlSeconds', ttl);
  requireFinite('maxClockSkewSeconds', skew);
  requireFinite('now()', now);
  // The same comparisons, in the same order, as Python's Fernet._decrypt_data.
  if (issuedAt + ttl < now) {
    throw new FernetError('expired', `token expired (issued ${now - issuedAt} s ago, ttl is ${ttl} s)`);
  }
  if (now + skew < issuedAt) {
    throw new FernetError(
      'future',
      `token is dated ${issuedAt - now} s in the future (allowed clock skew is ${skew} s)`,
    );
  }
}

function requireFinite(name: string, seconds: number): void {
  if (!Number.isFinite(seconds)) {
    throw new RangeError(`${name} must be a finite number of seconds, got ${seconds}`);
  }
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

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
