import fernetPkg from 'fernet';
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, FernetKey } from '../../src/crypto/index.ts';

// The `fernet` npm package (crypto-js AES) is an independent implementation; it only handles UTF-8 strings.
const messages = [
  'hello',
  '',
  'héllo wörld',
  '日本語のテキスト',
  '🎉 emoji with ZWJ: 👩‍👩‍👧',
  'exactly 16 bytes',
  'x'.repeat(1000),
  JSON.stringify({ v: 1, kind: 'message', from: 'alice', text: 'hi' }),
];

const keys = [
  { label: 'the spec vector key', key: FernetKey.parse('cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=') },
  { label: 'a generated key', key: FernetKey.generate() },
];

describe.each(keys)('interop with $label', ({ key }) => {
  const secret = new fernetPkg.Secret(key.toString());

  it.each(messages)('the fernet package decodes our token of %j', (message) => {
    const token = encrypt(key, message);
    expect(new fernetPkg.Token({ secret, token, ttl: 0 }).decode()).toBe(message);
  });

  it.each(messages)('we decode the fernet package token of %j', (message) => {
    const token = new fernetPkg.Token({ secret, ttl: 0 }).encode(message);
    expect(decrypt(key, token, { ttlSeconds: 60 }).toString('utf8')).toBe(message);
  });
});
