import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FernetError, KeyRing } from '../../src/crypto/index.ts';
import { tokenShapeProblem } from '../../src/protocol/tokenShape.ts';
import { ROOT } from '../support/bins.ts';

// Tokens written by Python's cryptography (fixtures/python/make-tokens.py), opened here without
// Python: these run everywhere, with or without python3 installed.

const DIR = join(ROOT, 'fixtures/python');

interface FixtureToken {
  readonly name: string;
  readonly token: string;
  readonly at: number;
  readonly plaintext_base64: string;
  readonly plaintext_utf8?: string;
}

const document = JSON.parse(readFileSync(join(DIR, 'tokens.json'), 'utf8')) as {
  made_by: { python: string; cryptography: string };
  tokens: FixtureToken[];
};
// The key file as checked in: current key first, then the old one (like MultiFernet([current, old])).
const ring = KeyRing.parse(readFileSync(join(DIR, 'fixture.key'), 'utf8'));
const [currentKey, oldKey] = readFileSync(join(DIR, 'fixture.key'), 'utf8')
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'));

describe(`tokens made by Python ${document.made_by.python}, cryptography ${document.made_by.cryptography}`, () => {
  it('the fixture holds a handful of tokens and a two-key ring', () => {
    expect(document.tokens.length).toBeGreaterThanOrEqual(5);
    expect(ring.size).toBe(2);
  });

  it.each(document.tokens)('$name: opens with our key ring (TTL off) to the stored plaintext', (entry) => {
    // No ttlSeconds: timestamps are not checked, as with Python's decrypt(token) and ttl=None.
    const opened = ring.open(entry.token);
    expect(opened.plaintext.equals(Buffer.from(entry.plaintext_base64, 'base64'))).toBe(true);
    if (entry.plaintext_utf8 !== undefined)
      expect(opened.plaintext.toString('utf8')).toBe(entry.plaintext_utf8);
    expect(opened.issuedAt).toBe(entry.at);
    // And our hub would relay it: it has the shape of a token.
    expect(tokenShapeProblem(Buffer.from(entry.token))).toBeUndefined();
  });

  it('the old-key token needs the second key of the ring; the others need the first', () => {
    const current = KeyRing.parse(currentKey!);
    const old = KeyRing.parse(oldKey!);
    for (const entry of document.tokens) {
      const opensWith = entry.name === 'old-key' ? old : current;
      const refuses = entry.name === 'old-key' ? current : old;
      expect(opensWith.open(entry.token).issuedAt).toBe(entry.at);
      expect(() => refuses.open(entry.token)).toThrow(FernetError);
    }
  });

  it('with a TTL they are refused as too old, as Python would with decrypt(token, ttl)', () => {
    const now = () => Math.floor(Date.now() / 1000);
    for (const entry of document.tokens) {
      expect(() => ring.open(entry.token, { ttlSeconds: 24 * 60 * 60, now })).toThrow(/expired/);
    }
  });
});
