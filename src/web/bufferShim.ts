import { Buffer } from 'buffer';

/**
 * The page's `Buffer` (esbuild injects it where code shared with Node uses it): the `buffer`
 * package, taught the one encoding it lacks, base64url (RFC 4648 §5, unpadded out, as Node's).
 * Strictness is base64url.ts's own: it checks the alphabet and the canonical form around these.
 */
const from = Buffer.from.bind(Buffer) as (value: unknown, encoding?: unknown, length?: unknown) => Buffer;
const toString = Buffer.prototype.toString;

Buffer.from = function (value: unknown, encoding?: unknown, length?: unknown) {
  if (encoding === 'base64url' && typeof value === 'string')
    return from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return from(value, encoding, length);
} as typeof Buffer.from;

Buffer.prototype.toString = function (this: Buffer, encoding?: string, start?: number, end?: number) {
  if (encoding === 'base64url')
    return toString
      .call(this, 'base64', start, end)
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  return toString.call(this, encoding, start, end);
} as typeof Buffer.prototype.toString;

export { Buffer };
