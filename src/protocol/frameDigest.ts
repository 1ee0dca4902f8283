import { createHash } from 'node:crypto';

/**
 * A frame's name (docs/protocol.md): base64url of the first 12 bytes of SHA-256 of the token's
 * text, without its LF. Anyone can compute it from the token alone, the key is not needed; it
 * names a frame for resume, for the client's memory of what it has shown, and for de-duplication.
 */
export const DIGEST_BYTES = 12;
/** 12 bytes are 16 base64url characters, with no padding. */
export const DIGEST_PATTERN = /^[A-Za-z0-9_-]{16}$/;

/** The digest of `bytes[start, end)`, a token's text without its LF. */
export function frameDigest(bytes: Buffer, start = 0, end = bytes.length): string {
  return frameDigestBytes(bytes, start, end).toString('base64url');
}

/** The same digest as its DIGEST_BYTES bytes, for keeping many without a string each. */
export function frameDigestBytes(bytes: Buffer, start = 0, end = bytes.length): Buffer {
  return createHash('sha256').update(bytes.subarray(start, end)).digest().subarray(0, DIGEST_BYTES);
}

/** The digest of a token given as text (a token is ASCII). */
export function tokenDigest(token: string): string {
  return frameDigest(Buffer.from(token, 'latin1'));
}
