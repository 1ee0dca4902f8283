/**
 * The hub's cheap check that a line looks like a Fernet token (SPEC §4), without decoding it:
 * base64url with `=` padding, decoded length 57 + 16·k (at least 73), first byte 0x80.
 * It works on a byte range so the hub can check lines in place, without slicing or copying.
 */

const MIN_TOKEN_BYTES = 73;
const TOKEN_OVERHEAD_BYTES = 57; // version 1 + timestamp 8 + IV 16 + HMAC 32
const EQUALS = 0x3d;
const LOWER_G = 0x67;
const UPPER_A = 0x41;
const UPPER_P = 0x50;

const BASE64URL = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')
  BASE64URL[c.charCodeAt(0)] = 1;

export type ShapeProblem = 'not-base64url' | 'bad-length' | 'bad-version';

/** Returns undefined when `bytes[start, end)` has the shape of a token, or what is wrong with it. */
export function tokenShapeProblem(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
): ShapeProblem | undefined {
  const length = end - start;
  if (length < 4 || length % 4 !== 0) return length === 0 ? 'bad-length' : checkAlphabet(bytes, start, end);
  let padding = 0;
  if (bytes[end - 1] === EQUALS) padding = bytes[end - 2] === EQUALS ? 2 : 1;
  for (let i = start; i < end - padding; i++) if (BASE64URL[bytes[i]!] === 0) return 'not-base64url';
  const decoded = (length / 4) * 3 - padding;
  if (decoded < MIN_TOKEN_BYTES || (decoded - TOKEN_OVERHEAD_BYTES) % 16 !== 0) return 'bad-length';
  // 0x80 is 100000|00: the first character is 'g' and the second holds two zero high bits (A..P).
  const second = bytes[start + 1]!;
  if (bytes[start] !== LOWER_G || second < UPPER_A || second > UPPER_P) return 'bad-version';
  return undefined;
}

// A length that is not a multiple of 4 is a length problem, unless the text is not base64url at all.
function checkAlphabet(bytes: Uint8Array, start: number, end: number): ShapeProblem {
  for (let i = start; i < end; i++)
    if (BASE64URL[bytes[i]!] === 0 && bytes[i] !== EQUALS) return 'not-base64url';
  return 'bad-length';
}

export function describeShapeProblem(problem: ShapeProblem): string {
  switch (problem) {
    case 'not-base64url':
      return 'not a Fernet token: characters outside base64url';
    case 'bad-length':
      return 'not a Fernet token: wrong length';
    case 'bad-version':
      return 'not a Fernet token: version byte is not 0x80';
  }
}
