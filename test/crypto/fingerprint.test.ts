import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { fingerprint } from '../../src/crypto/fingerprint.ts';
import { OTHER_KEY, TEST_KEY } from '../support/testKey.ts';

describe('fingerprint', () => {
  it('is the first 8 bytes of SHA-256 of the key bytes, in hex groups of four', () => {
    const key = FernetKey.parse(TEST_KEY);
    const hex = createHash('sha256').update(Buffer.from(TEST_KEY, 'base64url')).digest('hex');
    expect(fingerprint(key)).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
    expect(fingerprint(key).replaceAll(' ', '')).toBe(hex.slice(0, 16));
  });

  it('tells two keys apart', () => {
    expect(fingerprint(FernetKey.parse(TEST_KEY))).not.toBe(fingerprint(FernetKey.parse(OTHER_KEY)));
  });
});
