import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect } from 'vitest';
import { encrypt, FernetError, FernetKey, KeyRing } from '../../src/crypto/index.ts';
import { itWithPython, runPythonScript, skipReason } from './python.ts';

// The Fernet codec against Python's own `cryptography.fernet` (see python/fernet_oracle.py).
// Each describe batches its Python work into one or two python3 runs (JSON on stdin/stdout).

type Op = Record<string, unknown>;
type Result =
  { ok: true; token?: string; plaintext?: string; timestamp?: number | null } | { ok: false; error: string };

/** Collects oracle operations, runs them in one python3 process, and hands back the results. */
class Batch {
  private readonly ops: Op[] = [];
  private results: Result[] | undefined;

  add(op: Op): number {
    return this.ops.push(op) - 1;
  }

  async run(): Promise<void> {
    const output = await runPythonScript('fernet_oracle.py', JSON.stringify({ ops: this.ops }));
    this.results = (JSON.parse(output) as { results: Result[] }).results;
    expect(this.results).toHaveLength(this.ops.length);
  }

  result(index: number): Result {
    if (!this.results) throw new Error('the Python batch did not run');
    return this.results[index]!;
  }

  token(index: number): string {
    const result = this.result(index);
    if (!result.ok || result.token === undefined) throw new Error(`Python failed: ${JSON.stringify(result)}`);
    return result.token;
  }

  /** What Python decrypted, or undefined when it refused the token (InvalidToken). */
  plaintext(index: number): Buffer | undefined {
    const result = this.result(index);
    if (!result.ok) return undefined;
    return Buffer.from(result.plaintext ?? '', 'base64');
  }
}

const b64 = (data: Buffer) => data.toString('base64');
/** TypeScript's outcome in the oracle's terms: the plaintext, or undefined when the token is refused. */
function tsOpen(ring: KeyRing, token: string, ttl?: number, now?: number): Buffer | undefined {
  try {
    return ring.open(token, {
      ...(ttl === undefined ? {} : { ttlSeconds: ttl }),
      ...(now === undefined ? {} : { now: () => now }),
    }).plaintext;
  } catch (error) {
    if (error instanceof FernetError) return undefined;
    throw error;
  }
}

const A = FernetKey.generate();
const B = FernetKey.generate();
const C = FernetKey.generate();
const ring = (...keys: FernetKey[]) => new KeyRing(keys);
const names = new Map([
  [A, 'A'],
  [B, 'B'],
  [C, 'C'],
]);
const label = (keys: FernetKey[]) => `[${keys.map((key) => names.get(key)).join(',')}]`;
const T0 = 1_700_000_000;

const MESSAGES: readonly { label: string; data: Buffer }[] = [
  { label: 'empty', data: Buffer.alloc(0) },
  { label: 'ASCII', data: Buffer.from('hello from fernet-chat, 1 2 3') },
  { label: 'multi-byte UTF-8', data: Buffer.from('olá, ünïcödé — 日本語 · 🎉 👩‍👩‍👧 · עברית') },
  { label: 'binary (all 256 byte values)', data: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) },
  { label: 'binary (NUL, CR, LF, 0x80, 0xff)', data: Buffer.from([0, 13, 10, 0x80, 0xff, 0, 10]) },
  { label: 'one block less one byte (15)', data: Buffer.from('x'.repeat(15)) },
  { label: 'one block (16)', data: Buffer.from('x'.repeat(16)) },
  { label: '100 KiB of random bytes', data: randomBytes(100 * 1024) },
];

describe('tokens between TypeScript and Python cryptography', () => {
  const batch = new Batch();
  const cases = MESSAGES.map((message) => {
    const tsToken = encrypt(A, message.data);
    return {
      ...message,
      tsToken,
      pyEncrypt: batch.add({ op: 'encrypt', keys: [A.toString()], plaintext: b64(message.data) }),
      pyDecrypt: batch.add({ op: 'decrypt', keys: [A.toString()], token: tsToken }),
    };
  });
  // The same key, timestamp and IV must give the same token, byte for byte.
  const sameIv = MESSAGES.slice(0, 5).map((message) => {
    const iv = randomBytes(16);
    return {
      ...message,
      tsToken: encrypt(A, message.data, { now: T0, iv }),
      py: batch.add({
        op: 'encrypt_with_iv',
        key: A.toString(),
        plaintext: b64(message.data),
        at: T0,
        iv: b64(iv),
      }),
    };
  });
  // Chunk framing sends tokens with a trailing LF to the seed's clients, which pass it to decrypt().
  const withLf = encrypt(A, 'with LF');
  const pyWithLf = batch.add({ op: 'decrypt', keys: [A.toString()], token: `${withLf}\n` });
  const tampered = flipLastSignatureChar(encrypt(A, 'tampered'));
  const pyTampered = batch.add({ op: 'decrypt', keys: [A.toString()], token: tampered });
  const pyWrongKey = batch.add({ op: 'decrypt', keys: [B.toString()], token: encrypt(A, 'wrong key') });

  beforeAll(async () => {
    if (skipReason === undefined) await batch.run();
  });

  for (const c of cases) {
    itWithPython(`Python → TypeScript: ${c.label}`, () => {
      const token = batch.token(c.pyEncrypt);
      expect(token).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*$/);
      const opened = ring(A).open(token);
      expect(opened.plaintext.equals(c.data)).toBe(true);
      // Python stamped it with its clock: now, give or take.
      expect(Math.abs(opened.issuedAt - Date.now() / 1000)).toBeLessThan(120);
    });
    itWithPython(`TypeScript → Python: ${c.label}`, () => {
      const plaintext = batch.plaintext(c.pyDecrypt);
      expect(plaintext, JSON.stringify(batch.result(c.pyDecrypt))).toBeDefined();
      expect(plaintext!.equals(c.data)).toBe(true);
    });
  }

  for (const c of sameIv) {
    itWithPython(`same key, time and IV give the same token as Python: ${c.label}`, () => {
      expect(c.tsToken).toBe(batch.token(c.py));
    });
  }

  itWithPython("Python's decrypt ignores a trailing LF; our codec is strict and refuses it", () => {
    expect(batch.plaintext(pyWithLf)?.toString()).toBe('with LF');
    expect(() => ring(A).open(`${withLf}\n`)).toThrow(FernetError);
    expect(ring(A).open(withLf).plaintext.toString()).toBe('with LF');
  });

  itWithPython('both refuse a tampered token and a token of another key', () => {
    expect(batch.result(pyTampered)).toEqual({ ok: false, error: 'InvalidToken' });
    expect(tsOpen(ring(A), tampered)).toBeUndefined();
    expect(batch.result(pyWrongKey)).toEqual({ ok: false, error: 'InvalidToken' });
  });
});

describe('TTL and clock skew: the same outcome as Python for the same inputs', () => {
  const TOKEN_TIMES = [0, T0, 2 ** 40];
  const TTLS = [0, 1, 60, 86_400];
  interface Point {
    readonly tokenTime: number;
    readonly ttl: number | undefined;
    readonly now: number | undefined;
  }
  const points: Point[] = [];
  for (const tokenTime of TOKEN_TIMES) {
    points.push({ tokenTime, ttl: undefined, now: undefined }); // no TTL: any age, any date
    for (const ttl of TTLS) {
      const offsets = new Set([-3600, -61, -60, -59, -1, 0, 1, 59, 60, 61, ttl - 1, ttl, ttl + 1, ttl + 60]);
      for (const offset of [...offsets].sort((x, y) => x - y)) {
        if (tokenTime + offset >= 0) points.push({ tokenTime, ttl, now: tokenTime + offset });
      }
    }
  }
  const message = Buffer.from('clock check');
  const tsTokens = new Map(TOKEN_TIMES.map((time) => [time, encrypt(A, message, { now: time })]));
  const first = new Batch();
  const pyTokenOps = new Map(
    TOKEN_TIMES.map((time) => [
      time,
      first.add({ op: 'encrypt', keys: [A.toString()], plaintext: b64(message), at: time }),
    ]),
  );
  const decryptOp = (token: string, p: Point): Op => ({
    op: 'decrypt',
    keys: [A.toString()],
    token,
    ...(p.ttl === undefined ? {} : { ttl: p.ttl }),
    ...(p.now === undefined ? {} : { now: p.now }),
  });
  const onTsTokens = points.map((p) => first.add(decryptOp(tsTokens.get(p.tokenTime)!, p)));
  const second = new Batch();
  let onPyTokens: number[] = [];
  let pyTokens = new Map<number, string>();

  beforeAll(async () => {
    if (skipReason !== undefined) return;
    await first.run();
    pyTokens = new Map(TOKEN_TIMES.map((time) => [time, first.token(pyTokenOps.get(time)!)]));
    onPyTokens = points.map((p) => second.add(decryptOp(pyTokens.get(p.tokenTime)!, p)));
    await second.run();
  });

  const describePoint = (p: Point) => `token at ${p.tokenTime}, ttl ${p.ttl}, now ${p.now}`;
  const outcome = (plaintext: Buffer | undefined) =>
    plaintext === undefined ? 'refused' : plaintext.equals(message) ? 'opened' : 'WRONG PLAINTEXT';

  itWithPython(`tokens made by TypeScript: the same verdict at each of ${points.length} points`, () => {
    const verdicts = points.map((p, i) => ({
      point: describePoint(p),
      python: outcome(first.plaintext(onTsTokens[i]!)),
      typescript: outcome(tsOpen(ring(A), tsTokens.get(p.tokenTime)!, p.ttl, p.now)),
    }));
    expect(verdicts.filter((v) => v.python !== v.typescript)).toEqual([]);
    // The grid does reach both sides of each boundary.
    expect(new Set(verdicts.map((v) => v.python))).toEqual(new Set(['opened', 'refused']));
  });

  itWithPython(`tokens made by Python: the same verdict at each of ${points.length} points`, () => {
    const verdicts = points.map((p, i) => ({
      point: describePoint(p),
      python: outcome(second.plaintext(onPyTokens[i]!)),
      typescript: outcome(tsOpen(ring(A), pyTokens.get(p.tokenTime)!, p.ttl, p.now)),
    }));
    expect(verdicts.filter((v) => v.python !== v.typescript)).toEqual([]);
  });

  itWithPython('the boundaries are where Python puts them: age ≤ ttl opens, and at most 60 s ahead', () => {
    const verdict = (ttl: number, offset: number) => {
      const index = points.findIndex((p) => p.tokenTime === T0 && p.ttl === ttl && p.now === T0 + offset);
      expect(index, `no grid point ttl ${ttl} offset ${offset}`).toBeGreaterThanOrEqual(0);
      return outcome(first.plaintext(onTsTokens[index]!));
    };
    expect([verdict(60, 60), verdict(60, 61), verdict(60, -60), verdict(60, -61)]).toEqual([
      'opened',
      'refused',
      'opened',
      'refused',
    ]);
    expect([verdict(0, 0), verdict(0, 1)]).toEqual(['opened', 'refused']);
  });

  itWithPython('the timestamp Python reads from our token is the one we wrote', () => {
    const index = points.findIndex((p) => p.tokenTime === 2 ** 40 && p.ttl === undefined);
    expect(first.result(onTsTokens[index]!)).toMatchObject({ ok: true, timestamp: 2 ** 40 });
    expect(ring(A).open(pyTokens.get(2 ** 40)!).issuedAt).toBe(2 ** 40);
  });
});

describe('a key ring agrees with MultiFernet', () => {
  const RINGS: FernetKey[][] = [[A], [B], [A, B], [B, A], [C, B], [B, C, A], [C]];
  const message = Buffer.from('rotate me');
  const first = new Batch();
  // Python's MultiFernet encrypts with its first key; each of our rings tries to open the token.
  const pyMade = RINGS.map((keys) => ({
    keys,
    op: first.add({ op: 'encrypt', keys: keys.map(String), plaintext: b64(message) }),
  }));
  // Our ring encrypts with its first key; each MultiFernet tries to open the token.
  const tsMade = RINGS.map((encryptWith) => {
    const token = ring(...encryptWith).encrypt(message);
    return {
      encryptWith,
      token,
      opens: RINGS.map((keys) => ({
        keys,
        op: first.add({ op: 'decrypt', keys: keys.map(String), token }),
      })),
    };
  });
  // Rotation by Python of a token we made with the old key A, dated T0.
  const oldToken = encrypt(A, message, { now: T0 });
  const pyRotated = first.add({ op: 'rotate', keys: [B, A].map(String), token: oldToken });
  const pyRotateUnknown = first.add({ op: 'rotate', keys: [B, C].map(String), token: oldToken });
  // Python tokens of the old key A, dated T0, for our ring to rotate.
  const pyOld = first.add({ op: 'encrypt', keys: [A.toString()], plaintext: b64(message), at: T0 });

  beforeAll(async () => {
    if (skipReason === undefined) await first.run();
  });

  itWithPython('a MultiFernet token opens in a ring exactly when it holds the encrypting key', () => {
    const verdicts = pyMade.flatMap(({ keys: pyKeys, op }) =>
      RINGS.map((keys) => ({
        made: `MultiFernet${label(pyKeys)}`,
        ring: label(keys),
        opened: tsOpen(ring(...keys), first.token(op))?.equals(message) ?? false,
        expected: keys.includes(pyKeys[0]!),
      })),
    );
    expect(verdicts.filter((v) => v.opened !== v.expected)).toEqual([]);
  });

  itWithPython("a ring's token opens in a MultiFernet exactly when it holds the ring's first key", () => {
    const verdicts = tsMade.flatMap(({ encryptWith, opens }) =>
      opens.map(({ keys, op }) => ({
        made: `ring${label(encryptWith)}`,
        multiFernet: label(keys),
        opened: first.plaintext(op)?.equals(message) ?? false,
        expected: keys.includes(encryptWith[0]!),
        ours: tsOpen(ring(...keys), tsMade.find((t) => t.encryptWith === encryptWith)!.token) !== undefined,
      })),
    );
    expect(verdicts.filter((v) => v.opened !== v.expected || v.ours !== v.opened)).toEqual([]);
  });

  itWithPython('MultiFernet.rotate of our token: it opens with the new key only, date kept', () => {
    const rotated = first.token(pyRotated);
    const opened = ring(B).open(rotated);
    expect(opened.plaintext.equals(message)).toBe(true);
    expect(opened.issuedAt).toBe(T0);
    expect(tsOpen(ring(A), rotated)).toBeUndefined();
    expect(first.result(pyRotateUnknown)).toEqual({ ok: false, error: 'InvalidToken' });
  });

  itWithPython('our ring rotates a Python token the way MultiFernet.rotate does', async () => {
    // Rotation with a ring [new, old]: open with any key, encrypt with the first, keep the date.
    const rotating = ring(B, A);
    const opened = rotating.open(first.token(pyOld));
    const rotated = rotating.encrypt(opened.plaintext, { now: opened.issuedAt });
    const second = new Batch();
    const withNew = second.add({ op: 'decrypt', keys: [B.toString()], token: rotated });
    const withOld = second.add({ op: 'decrypt', keys: [A.toString()], token: rotated });
    const withBoth = second.add({ op: 'decrypt', keys: [A, B].map(String), token: rotated });
    await second.run();
    expect(second.plaintext(withNew)?.equals(message)).toBe(true);
    expect(second.result(withNew)).toMatchObject({ timestamp: T0 });
    expect(second.result(withOld)).toEqual({ ok: false, error: 'InvalidToken' });
    expect(second.plaintext(withBoth)?.equals(message)).toBe(true);
  });
});

/** Changes one base64url character inside the HMAC, keeping the text well-formed. */
function flipLastSignatureChar(token: string): string {
  const at = token.length - 4;
  const char = token[at] === 'A' ? 'B' : 'A';
  return token.slice(0, at) + char + token.slice(at + 1);
}
