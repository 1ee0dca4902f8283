import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encrypt, FernetError, FernetKey, open } from '../../src/crypto/index.ts';
import { codeOf } from './codeOf.ts';
import { tokenBytes, tokenText } from './tokenText.ts';

const key = FernetKey.generate();
const clock = { ttlSeconds: 60, now: () => 1_000_000 };

/** Opens with and without time checks; both must throw, and only FernetError. */
function throwsOnlyFernetErrors(token: string | Buffer): boolean {
  return [clock, {}].every((options) => {
    try {
      open(key, token, options);
    } catch (error) {
      return error instanceof FernetError;
    }
    return false; // nothing random should open
  });
}

describe('tampering', () => {
  it('rejects a token with any single byte changed', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        (plaintext, position, mask, withTtl) => {
          const bytes = tokenBytes(encrypt(key, Buffer.from(plaintext), { now: clock.now() }));
          const index = position % bytes.length;
          bytes[index] = bytes[index]! ^ mask;
          const code = codeOf(() => open(key, tokenText(bytes), withTtl ? clock : {}));
          // Byte 0 is the version; every other byte is covered by the HMAC (and maybe the time checks).
          if (index === 0) expect(code).toBe('bad-token');
          else if (withTtl) expect(['bad-signature', 'expired', 'future']).toContain(code);
          else expect(code).toBe('bad-signature');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('throws only FernetError for arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), throwsOnlyFernetErrors));
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{0,200}={0,3}$/), throwsOnlyFernetErrors));
  });

  it('throws only FernetError for arbitrary bytes, as a Buffer token or as base64url text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        return throwsOnlyFernetErrors(buffer) && throwsOnlyFernetErrors(tokenText(buffer));
      }),
    );
  });

  it('throws only FernetError for random tokens of the right shape', () => {
    const shaped = fc.integer({ min: 1, max: 8 }).chain((blocks) =>
      fc.uint8Array({ minLength: 57 + 16 * blocks, maxLength: 57 + 16 * blocks }).map((bytes) => {
        const token = Buffer.from(bytes);
        token[0] = 0x80;
        return tokenText(token);
      }),
    );
    fc.assert(fc.property(shaped, throwsOnlyFernetErrors));
  });
});
