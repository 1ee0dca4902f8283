import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, type FernetErrorCode, FernetKey } from '../../src/crypto/index.ts';
import { codeOf } from './codeOf.ts';

interface Vector {
  token: string;
  now: string;
  secret: string;
  src?: string;
  iv?: number[];
  ttl_sec?: number;
  desc?: string;
}

function load(name: string): Vector[] {
  return JSON.parse(readFileSync(new URL(`../../fixtures/fernet-spec/${name}`, import.meta.url), 'utf8'));
}

const unixSeconds = (iso: string): number => Date.parse(iso) / 1000;

// What each invalid.json case should be reported as.
const expectedCodes: Record<string, FernetErrorCode> = {
  'incorrect mac': 'bad-signature',
  'too short': 'bad-token',
  'invalid base64': 'bad-token',
  'payload size not multiple of block size': 'bad-token',
  'payload padding error': 'bad-token',
  'far-future TS (unacceptable clock skew)': 'future',
  'expired TTL': 'expired',
  'incorrect IV (causes padding error)': 'bad-token',
};

describe('fernet spec vectors', () => {
  describe.each(load('generate.json'))('generate: $src at $now', (vector) => {
    it('produces the exact token', () => {
      const token = encrypt(FernetKey.parse(vector.secret), vector.src!, {
        now: unixSeconds(vector.now),
        iv: Buffer.from(vector.iv!),
      });
      expect(token).toBe(vector.token);
    });
  });

  describe.each(load('verify.json'))('verify: $src at $now', (vector) => {
    it('decrypts to the source with the ttl at "now"', () => {
      const plaintext = decrypt(FernetKey.parse(vector.secret), vector.token, {
        ttlSeconds: vector.ttl_sec!,
        now: () => unixSeconds(vector.now),
      });
      expect(plaintext.toString('utf8')).toBe(vector.src);
    });
  });

  describe.each(load('invalid.json'))('invalid: $desc', (vector) => {
    it(`is rejected as ${expectedCodes[vector.desc!]}`, () => {
      const code = codeOf(() =>
        decrypt(FernetKey.parse(vector.secret), vector.token, {
          ttlSeconds: vector.ttl_sec!,
          now: () => unixSeconds(vector.now),
        }),
      );
      expect(code).toBe(expectedCodes[vector.desc!]);
    });
  });

  it('knows every invalid.json case', () => {
    expect(load('invalid.json').map((vector) => vector.desc)).toEqual(Object.keys(expectedCodes));
  });
});
