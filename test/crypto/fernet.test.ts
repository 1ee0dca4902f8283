import { createCipheriv, createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, FernetError, FernetKey, KeyRing, open } from '../../src/crypto/index.ts';
import { codeOf } from './codeOf.ts';
import { tokenBytes, tokenText } from './tokenText.ts';

const SPEC_KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const key = FernetKey.parse(SPEC_KEY);
// Fixed, not generated: with a random key, the impostor below (SPEC_KEY's signing half, this
// key's encryption half) would decrypt the signed block to valid PKCS7 padding about 1 time in
// 260, and the MultiFernet fall-through test would fail by chance.
const otherKey = FernetKey.parse('6mqcFDAHmpcdhaidau5ohHCV0VgxMlXi5Sdh6rtO_2M=');

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof FernetError) return error.message;
    throw error;
  }
  throw new Error('expected a FernetError');
}

/** A correctly signed token around ciphertext blocks we choose, to reach the padding checks. */
function signedToken(signer: FernetKey, paddedPlaintext: Buffer, issuedAt = 1000): string {
  const header = Buffer.alloc(25); // version, timestamp, all-zero IV
  header[0] = 0x80;
  header.writeBigUInt64BE(BigInt(issuedAt), 1);
  const cipher = createCipheriv('aes-128-cbc', signer.encryptionKey, header.subarray(9)).setAutoPadding(
    false,
  );
  const body = Buffer.concat([header, cipher.update(paddedPlaintext), cipher.final()]);
  return tokenText(Buffer.concat([body, createHmac('sha256', signer.signingKey).update(body).digest()]));
}

describe('FernetKey', () => {
  it('parses and prints the 44-character form', () => {
    expect(key.toString()).toBe(SPEC_KEY);
    expect(key.signingKey).toHaveLength(16);
    expect(key.encryptionKey).toHaveLength(16);
  });

  it('generates distinct keys that round-trip through text and bytes', () => {
    const generated = FernetKey.generate();
    expect(generated.toString()).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(FernetKey.parse(generated.toString()).toString()).toBe(generated.toString());
    const bytes = Buffer.concat([generated.signingKey, generated.encryptionKey]);
    expect(FernetKey.fromBytes(bytes).toString()).toBe(generated.toString());
    expect(generated.toString()).not.toBe(FernetKey.generate().toString());
  });

  it.each([
    ['too short', SPEC_KEY.slice(0, 43), 'not a Fernet key (expected 44 characters of base64url, got 43)'],
    ['empty', '', 'not a Fernet key (expected 44 characters of base64url, got 0)'],
    ['surrounded by spaces', ` ${SPEC_KEY} `, 'got 46'],
    [
      'a stray character',
      `${SPEC_KEY.slice(0, 10)}!${SPEC_KEY.slice(11)}`,
      '"!" at position 11 is not base64url',
    ],
    [
      'standard base64',
      `${SPEC_KEY.slice(0, 5)}+${SPEC_KEY.slice(6)}`,
      "'+' and '/' are written '-' and '_'",
    ],
    ['unpadded', `${SPEC_KEY.slice(0, 43)}A`, "expected '=' padding as character 44"],
    ['non-canonical', `${SPEC_KEY.slice(0, 42)}5=`, 'non-canonical base64url'],
  ])('rejects a key that is %s', (_, text, message) => {
    expect(codeOf(() => FernetKey.parse(text))).toBe('bad-key');
    expect(messageOf(() => FernetKey.parse(text))).toContain(message);
  });

  it('rejects raw keys that are not 32 bytes', () => {
    expect(messageOf(() => FernetKey.fromBytes(Buffer.alloc(31)))).toBe(
      'not a Fernet key (expected 32 bytes, got 31)',
    );
  });

  it('keeps key material out of inspect output', () => {
    expect(inspect(key)).toBe('FernetKey <redacted>');
  });
});

describe('encrypt and open', () => {
  it('round-trips text and reports timestamp and signature', () => {
    const token = encrypt(key, 'hello', { now: 1234 });
    expect(token).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*$/);
    expect(token.length % 4).toBe(0);
    const opened = open(key, token);
    expect(opened.plaintext.toString('utf8')).toBe('hello');
    expect(opened.issuedAt).toBe(1234);
    expect(opened.signature).toEqual(tokenBytes(token).subarray(-32));
  });

  it('accepts the token as a Buffer of its text, as Python accepts bytes', () => {
    const token = encrypt(key, 'bytes');
    expect(decrypt(key, Buffer.from(token, 'ascii')).toString()).toBe('bytes');
  });

  it('round-trips binary, empty and 100 KiB plaintexts', () => {
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const large = Buffer.alloc(100 * 1024, 'abc');
    for (const plaintext of [binary, Buffer.alloc(0), large]) {
      expect(decrypt(key, encrypt(key, plaintext))).toEqual(plaintext);
    }
  });

  it('uses a fresh IV for every token', () => {
    expect(encrypt(key, 'same', { now: 1 })).not.toBe(encrypt(key, 'same', { now: 1 }));
  });

  it('stamps the current time by default', () => {
    const before = Math.floor(Date.now() / 1000);
    const { issuedAt } = open(key, encrypt(key, 'now'), { ttlSeconds: 5 });
    expect(issuedAt).toBeGreaterThanOrEqual(before);
  });

  it('rejects a bad IV or timestamp as programming errors', () => {
    expect(() => encrypt(key, 'x', { iv: Buffer.alloc(15) })).toThrow(RangeError);
    expect(() => encrypt(key, 'x', { now: -1 })).toThrow(RangeError);
    expect(() => encrypt(key, 'x', { now: 1.5 })).toThrow(RangeError);
    expect(() => open(key, encrypt(key, 'x'), { ttlSeconds: Number.NaN })).toThrow(RangeError);
  });
});

describe('time checks (only with a ttl, as timestamp + ttl < now and now + skew < timestamp)', () => {
  const token = encrypt(key, 'timed', { now: 1000 });
  const at =
    (now: number, ttlSeconds = 60, maxClockSkewSeconds?: number) =>
    () =>
      open(key, token, { ttlSeconds, now: () => now, maxClockSkewSeconds });

  it('accepts a token exactly ttl seconds old and expires it one second later', () => {
    expect(codeOf(at(1060))).toBe('no error');
    expect(codeOf(at(1061))).toBe('expired');
  });

  it('allows 60 seconds of clock skew by default', () => {
    expect(codeOf(at(940))).toBe('no error');
    expect(codeOf(at(939))).toBe('future');
  });

  it('takes a custom clock skew', () => {
    expect(codeOf(at(1000, 60, 0))).toBe('no error');
    expect(codeOf(at(999, 60, 0))).toBe('future');
  });

  it('floors a fractional clock like int(time.time())', () => {
    expect(codeOf(at(1060.9))).toBe('no error');
  });

  it('ignores time without a ttl', () => {
    expect(codeOf(() => open(key, token, { now: () => 1e12 }))).toBe('no error');
    expect(codeOf(() => open(key, token, { now: () => 0 }))).toBe('no error');
  });

  it('explains what is wrong', () => {
    expect(messageOf(at(1100))).toBe('token expired (issued 100 s ago, ttl is 60 s)');
    expect(messageOf(at(900))).toBe('token is dated 100 s in the future (allowed clock skew is 60 s)');
  });

  it('checks time before the signature, as Python does', () => {
    expect(codeOf(() => open(otherKey, token, { ttlSeconds: 60, now: () => 2000 }))).toBe('expired');
  });
});

/** A fixed token whose text holds both '-' and '_', so its standard-base64 twin really differs. */
function tokenWithUrlSafeCharacters(): string {
  for (let fill = 0; fill < 256; fill++) {
    const token = encrypt(key, 'payload', { now: 1000, iv: Buffer.alloc(16, fill) });
    if (token.includes('-') && token.includes('_')) return token;
  }
  throw new Error('no IV fill gives a token with both - and _');
}

describe('each error code', () => {
  const token = tokenWithUrlSafeCharacters();
  const bytes = tokenBytes(token);
  const standardBase64 = token.replaceAll('-', '+').replaceAll('_', '/');

  it.each([
    ['not base64url', '%%%%', 'token is not base64url text with = padding'],
    ['unpadded', token.replace(/=+$/, ''), 'token is not base64url'],
    ['standard base64', standardBase64, 'not base64url'],
    ['followed by a newline', `${token}\n`, 'not base64url'],
    ['empty', '', 'token is too short (0 bytes, at least 73 needed)'],
    ['another version', tokenText(Buffer.concat([Buffer.of(0x81), bytes.subarray(1)])), 'version is 0x81'],
    ['truncated', tokenText(bytes.subarray(0, 72)), 'token is too short (72 bytes'],
    ['a partial block', tokenText(Buffer.concat([bytes, Buffer.alloc(7)])), 'not a whole number of 16-byte'],
  ])('bad-token: %s', (_, text, message) => {
    expect(codeOf(() => open(key, text))).toBe('bad-token');
    expect(messageOf(() => open(key, text))).toContain(message);
  });

  it('bad-token: non-canonical base64 (unused bits set before the padding)', () => {
    // 73 bytes end in two characters and '=='; the last character's 4 low bits are unused.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-3)!);
    const nonCanonical = `${token.slice(0, -3)}${alphabet[last | 1]}==`;
    expect(tokenBytes(nonCanonical)).toEqual(bytes); // lenient decoders read the same bytes
    expect(codeOf(() => open(key, nonCanonical))).toBe('bad-token');
  });

  it('bad-token: non-ASCII bytes in a Buffer token', () => {
    const buffer = Buffer.from(token, 'ascii');
    buffer[10] = 0xc3;
    expect(codeOf(() => open(key, buffer))).toBe('bad-token');
  });

  it('bad-token: correctly signed but badly padded plaintext', () => {
    expect(decrypt(key, signedToken(key, Buffer.from('fifteen bytes..\x01'))).toString()).toBe(
      'fifteen bytes..',
    );
    for (const padded of [Buffer.alloc(16, 0), Buffer.alloc(16, 17), Buffer.from('fifteen bytes.\x01\x02')]) {
      expect(codeOf(() => open(key, signedToken(key, padded)))).toBe('bad-token');
    }
    expect(messageOf(() => open(key, signedToken(key, Buffer.alloc(16, 0))))).toBe(
      'token plaintext has invalid padding',
    );
  });

  it('bad-signature: another key or a changed byte', () => {
    expect(messageOf(() => open(otherKey, token))).toBe('token signature does not match any key');
    const changed = Buffer.from(bytes);
    changed[30] = changed[30]! ^ 1;
    expect(codeOf(() => open(key, tokenText(changed)))).toBe('bad-signature');
  });

  it('expired and future: see the time checks; bad-key: see FernetKey', () => {
    expect(codeOf(() => open(key, token, { ttlSeconds: 1, now: () => 1002 }))).toBe('expired');
    expect(codeOf(() => open(key, token, { ttlSeconds: 1, now: () => 900 }))).toBe('future');
    expect(codeOf(() => FernetKey.parse('nope'))).toBe('bad-key');
  });

  it('throws FernetError instances named FernetError', () => {
    try {
      open(otherKey, token);
    } catch (error) {
      expect(error).toBeInstanceOf(FernetError);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('FernetError');
    }
    expect.assertions(3);
  });
});

describe('KeyRing', () => {
  const oldKey = FernetKey.generate();
  const newKey = FernetKey.generate();
  const ring = new KeyRing([newKey, oldKey]);

  it('decrypts tokens from any key and encrypts with the first', () => {
    expect(ring.size).toBe(2);
    expect(ring.primary).toBe(newKey);
    expect(ring.decrypt(encrypt(oldKey, 'old')).toString()).toBe('old');
    const fresh = ring.encrypt('new', { now: 5 });
    expect(decrypt(newKey, fresh).toString()).toBe('new');
    expect(codeOf(() => decrypt(oldKey, fresh))).toBe('bad-signature');
    expect(ring.open(fresh).issuedAt).toBe(5);
  });

  it('reports a token no key signed as bad-signature', () => {
    expect(codeOf(() => ring.open(encrypt(otherKey, 'x')))).toBe('bad-signature');
  });

  it('reports time and shape errors whatever the key, like MultiFernet', () => {
    const token = encrypt(otherKey, 'x', { now: 1000 });
    expect(codeOf(() => ring.open(token, { ttlSeconds: 60, now: () => 2000 }))).toBe('expired');
    expect(codeOf(() => ring.open(token, { ttlSeconds: 60, now: () => 0 }))).toBe('future');
    expect(codeOf(() => ring.open('junk'))).toBe('bad-token');
  });

  it('tries later keys after a signature match that fails to decrypt, like MultiFernet', () => {
    // Same signing key, different encryption key: the signature matches but padding fails.
    const impostor = FernetKey.fromBytes(Buffer.concat([key.signingKey, otherKey.encryptionKey]));
    const token = signedToken(key, Buffer.from('fifteen bytes..\x01'));
    expect(codeOf(() => new KeyRing([impostor]).open(token))).toBe('bad-token');
    expect(new KeyRing([impostor, key]).decrypt(token).toString()).toBe('fifteen bytes..');
  });

  it('needs at least one key', () => {
    expect(codeOf(() => new KeyRing([]))).toBe('bad-key');
  });

  describe('parse', () => {
    it('skips comments, blank lines and surrounding whitespace, keeping order', () => {
      const text = `# fernet-chat keys\n\n  ${newKey}  \r\n# retired:\n\t${oldKey}\n\n`;
      const parsed = KeyRing.parse(text);
      expect(parsed.size).toBe(2);
      expect(parsed.primary.toString()).toBe(newKey.toString());
      expect(parsed.decrypt(encrypt(oldKey, 'rotated')).toString()).toBe('rotated');
    });

    it('names the line of a bad key', () => {
      const text = `# keys\n${newKey}\nnot-a-key\n`;
      expect(codeOf(() => KeyRing.parse(text))).toBe('bad-key');
      expect(messageOf(() => KeyRing.parse(text))).toBe(
        'line 3: not a Fernet key (expected 44 characters of base64url, got 9)',
      );
    });

    it('rejects a key with a trailing comment on its line', () => {
      expect(messageOf(() => KeyRing.parse(`${newKey} # current`))).toMatch(/^line 1: .*got 54\)$/);
    });

    it.each(['', '\n\n', '# only a comment\n'])('rejects text with no key: %j', (text) => {
      expect(messageOf(() => KeyRing.parse(text))).toBe(
        'no Fernet key found (the text has only blank lines and comments)',
      );
    });
  });
});
