import { randomBytes } from 'node:crypto';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';
import { FernetError } from './fernetError.ts';

const KEY_TEXT_LENGTH = 44;
const KEY_BYTES = 32;

/** A Fernet key: 16 bytes of HMAC-SHA256 signing key, then 16 bytes of AES-128 encryption key. */
export class FernetKey {
  readonly signingKey: Buffer;
  readonly encryptionKey: Buffer;

  private constructor(bytes: Buffer) {
    this.signingKey = Buffer.from(bytes.subarray(0, 16));
    this.encryptionKey = Buffer.from(bytes.subarray(16, 32));
  }

  /** Parses the 44-character base64url form that Python's Fernet.generate_key() writes. */
  static parse(text: string): FernetKey {
    return new FernetKey(decodeKeyText(text));
  }

  static fromBytes(bytes: Buffer): FernetKey {
    if (bytes.length !== KEY_BYTES) {
      throw new FernetError('bad-key', `not a Fernet key (expected ${KEY_BYTES} bytes, got ${bytes.length})`);
    }
    return new FernetKey(bytes);
  }

  static generate(): FernetKey {
    return new FernetKey(randomBytes(KEY_BYTES));
  }

  toString(): string {
    return encodeBase64Url(Buffer.concat([this.signingKey, this.encryptionKey]));
  }

  // Keeps key material out of console.log and util.inspect output.
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'FernetKey <redacted>';
  }
}

function decodeKeyText(text: string): Buffer {
  const fail = (why: string) => new FernetError('bad-key', `not a Fernet key (${why})`);
  if (text.length !== KEY_TEXT_LENGTH) {
    throw fail(`expected ${KEY_TEXT_LENGTH} characters of base64url, got ${text.length}`);
  }
  const stray = text.slice(0, -1).search(/[^A-Za-z0-9_-]/);
  if (stray !== -1) {
    const char = text[stray] ?? '';
    const hint = char === '+' || char === '/' ? "; standard base64 '+' and '/' are written '-' and '_'" : '';
    throw fail(`character ${JSON.stringify(char)} at position ${stray + 1} is not base64url${hint}`);
  }
  if (!text.endsWith('=')) throw fail(`expected '=' padding as character ${KEY_TEXT_LENGTH}`);
  const bytes = decodeBase64Url(text);
  if (!bytes) throw fail('non-canonical base64url: the last character before "=" has stray low bits');
  return bytes;
}
