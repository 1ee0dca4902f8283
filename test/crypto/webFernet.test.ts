import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FernetError, type FernetErrorCode, FernetKey, KeyRing } from '../../src/crypto/index.ts';
import { parseKeyText } from '../../src/crypto/keyText.ts';
import { WebKeyRing } from '../../src/crypto/webFernet.ts';
import { itWithPython, runPythonScript, skipReason } from '../interop/python.ts';

// Fernet on Web Crypto, run on Node's globalThis.crypto.subtle (the browser test runs the same
// code in Chromium): held to the spec's vectors, to tokens Python made, and to Python live.

interface Vector {
  token: string;
  now: string;
  secret: string;
  src?: string;
  iv?: number[];
  ttl_sec?: number;
  desc?: string;
}
const fixture = (path: string) => readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');
const vectors = (name: string): Vector[] => JSON.parse(fixture(`fernet-spec/${name}`));
const unixSeconds = (iso: string): number => Date.parse(iso) / 1000;
const web = (secret: string) => WebKeyRing.import([FernetKey.parse(secret)]);

async function codeOf(action: () => Promise<unknown>): Promise<FernetErrorCode | 'no error'> {
  try {
    await action();
  } catch (error) {
    if (error instanceof FernetError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('Fernet on Web Crypto: the spec vectors', () => {
  it.each(vectors('generate.json'))('generates the exact token for $src', async (vector) => {
    const ring = await web(vector.secret);
    const token = await ring.encrypt(vector.src!, {
      now: unixSeconds(vector.now),
      iv: Buffer.from(vector.iv!),
    });
    expect(token).toBe(vector.token);
  });

  it.each(vectors('verify.json'))('verifies $src', async (vector) => {
    const ring = await web(vector.secret);
    const opened = await ring.open(vector.token, {
      ttlSeconds: vector.ttl_sec!,
      now: () => unixSeconds(vector.now),
    });
    expect(opened.plaintext.toString('utf8')).toBe(vector.src);
  });

  it.each(vectors('invalid.json'))('refuses "$desc" with the code the Node codec gives', async (vector) => {
    const options = { ttlSeconds: vector.ttl_sec!, now: () => unixSeconds(vector.now) };
    const node = await codeOf(async () => KeyRing.parse(vector.secret).open(vector.token, options));
    const ours = await codeOf(async () => (await web(vector.secret)).open(vector.token, options));
    expect(node).not.toBe('no error');
    expect(ours).toBe(node);
  });
});

describe('Fernet on Web Crypto: tokens Python made (fixtures/python)', () => {
  const document = JSON.parse(fixture('python/tokens.json')) as {
    tokens: { name: string; token: string; at: number; plaintext_base64: string }[];
  };
  it.each(document.tokens)('opens "$name" with the fixture key file', async (entry) => {
    const ring = await WebKeyRing.import(parseKeyText(fixture('python/fixture.key')));
    const opened = await ring.open(entry.token);
    expect(opened.plaintext.toString('base64')).toBe(entry.plaintext_base64);
    expect(opened.issuedAt).toBe(entry.at);
  });

  it('says bad-signature for a key that did not make the token, and tells the fingerprint as KeyRing does', async () => {
    const other = FernetKey.generate();
    const ring = await WebKeyRing.import([other]);
    expect(await codeOf(() => ring.open(document.tokens[1]!.token))).toBe('bad-signature');
    const { fingerprint } = await import('../../src/crypto/fingerprint.ts');
    expect(ring.fingerprint).toBe(fingerprint(other));
  });
});

describe('Fernet on Web Crypto against Python cryptography, live', () => {
  const key = FernetKey.generate();
  const texts = ['', 'hello from a browser', 'olá — 日本語 🎉', 'x'.repeat(16), 'y'.repeat(5000)];
  let fromPython: { ok: boolean; token?: string }[] = [];
  let ourTokens: string[] = [];
  let pythonRead: { ok: boolean; plaintext?: string }[] = [];

  beforeAll(async () => {
    if (skipReason !== undefined) return;
    const ring = await WebKeyRing.import([key]);
    ourTokens = await Promise.all(texts.map((text) => ring.encrypt(text)));
    const ops = [
      ...texts.map((text) => ({
        op: 'encrypt',
        keys: [key.toString()],
        plaintext: Buffer.from(text).toString('base64'),
      })),
      ...ourTokens.map((token) => ({ op: 'decrypt', keys: [key.toString()], token })),
    ];
    const output = JSON.parse(await runPythonScript('fernet_oracle.py', JSON.stringify({ ops }))) as {
      results: { ok: boolean; token?: string; plaintext?: string }[];
    };
    fromPython = output.results.slice(0, texts.length);
    pythonRead = output.results.slice(texts.length);
  });

  itWithPython('opens what Python encrypts, and Python opens what it encrypts', async () => {
    const ring = await WebKeyRing.import([key]);
    for (const [i, text] of texts.entries()) {
      const opened = await ring.open(fromPython[i]!.token!, { ttlSeconds: 60 });
      expect(opened.plaintext.toString('utf8')).toBe(text);
      expect(pythonRead[i]!.ok).toBe(true);
      expect(Buffer.from(pythonRead[i]!.plaintext!, 'base64').toString('utf8')).toBe(text);
    }
  });
});
