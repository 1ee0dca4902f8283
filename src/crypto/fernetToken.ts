import type { FernetKey } from './fernetKey.ts';
import { decodeBase64Url } from './base64url.ts';
import { FernetError } from './fernetError.ts';

/**
 * What every Fernet codec shares, whatever does its AES and HMAC (Node's crypto in fernet.ts,
 * Web Crypto in webFernet.ts): the token's layout, its shape checks and its time checks, so
 * that both refuse the same tokens with the same codes.
 */
export const VERSION = 0x80;
export const IV_BYTES = 16;
export const HEADER_BYTES = 1 + 8 + IV_BYTES; // version, timestamp, IV
const BLOCK_BYTES = 16;
export const HMAC_BYTES = 32;
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

/** The version byte, the timestamp and the IV: the token's first 25 bytes. */
export function tokenHeader(now: number, iv: Buffer): Buffer {
  if (!Number.isSafeInteger(now) || now < 0)
    throw new RangeError(`now must be whole unix seconds, got ${now}`);
  if (iv.length !== IV_BYTES) throw new RangeError(`iv must be ${IV_BYTES} bytes, got ${iv.length}`);
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = VERSION;
  header.writeBigUInt64BE(BigInt(now), 1);
  header.set(iv, 9);
  return header;
}

/** A token's bytes, once its text and shape are those of a Fernet token; else a FernetError. */
export function decodeToken(token: string | Buffer): Buffer {
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

/** The token's timestamp, in unix seconds. */
export function issuedAtOf(bytes: Buffer): number {
  return Number(bytes.readBigUInt64BE(1));
}

export function checkTime(issuedAt: number, ttl: number, options: OpenOptions): void {
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

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** What MultiFernet says when no key opened a token (see KeyRing). */
export function noKeyOpened(signedButUndecryptable: boolean): FernetError {
  return signedButUndecryptable
    ? new FernetError('bad-token', 'token plaintext has invalid padding')
    : new FernetError('bad-signature', 'token signature does not match any key');
}

/** A token's parts to check a key against, once its shape and (with a TTL) its time are good. */
export interface TokenParts {
  readonly issuedAt: number;
  /** Everything the HMAC covers: version, timestamp, IV and ciphertext. */
  readonly body: Buffer;
  readonly signature: Buffer;
}

/**
 * The checks that do not depend on a key, for both codecs (Node's and Web Crypto's): they run
 * once per token, before any key is tried, and throw a FernetError.
 */
export function tokenParts(token: string | Buffer, options: OpenOptions): TokenParts {
  const bytes = decodeToken(token);
  const issuedAt = issuedAtOf(bytes);
  if (options.ttlSeconds !== undefined) checkTime(issuedAt, options.ttlSeconds, options);
  return {
    issuedAt,
    body: bytes.subarray(0, -HMAC_BYTES),
    signature: Buffer.from(bytes.subarray(-HMAC_BYTES)),
  };
}
