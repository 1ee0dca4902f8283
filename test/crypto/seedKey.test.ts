import { spawnSync } from 'node:child_process';
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSeedKey, SEED_KEY_MAX_BYTES } from '../../src/crypto/seedKey.ts';
import type { SeedKeyErrorCode } from '../../src/crypto/seedKeyError.ts';
import { SeedKeyError } from '../../src/crypto/seedKeyError.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/seed/', import.meta.url));
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));

const EXPECTED_TEXT = fixture('expected.key').toString('ascii').trim();
const EXPECTED = Buffer.from(EXPECTED_TEXT, 'base64url');
const SIGNING = EXPECTED.subarray(0, 16);
const ENCRYPTION = EXPECTED.subarray(16);
const VALID = ['chave-p2.key', 'chave-p3.key', 'chave-p4.key', 'chave-p5.key'] as const;
const CODES: readonly SeedKeyErrorCode[] = [
  'not-a-pickle',
  'unsupported-opcode',
  'forbidden-global',
  'truncated',
  'bad-state',
];

/** Run the parser; return the SeedKeyError it throws, failing the test on success or any other throw. */
function rejection(data: Buffer): SeedKeyError {
  let result: Buffer;
  try {
    result = parseSeedKey(data);
  } catch (error) {
    if (!(error instanceof SeedKeyError)) throw error;
    expect(CODES).toContain(error.code);
    expect(error.name).toBe('SeedKeyError');
    expect(error.message).toMatch(/^chave\.key: \S/);
    expect(error.message).not.toMatch(/[\r\n]/);
    return error;
  }
  throw new Error(`expected a SeedKeyError, got a key ${result.toString('hex')}`);
}

function expectRejected(data: Buffer, code: SeedKeyErrorCode, message?: RegExp): SeedKeyError {
  const error = rejection(data);
  expect({ code: error.code, message: error.message }).toMatchObject({ code });
  if (message) expect(error.message).toMatch(message);
  return error;
}

/** Parse or reject, and nothing else: the property every input must satisfy. */
function parsesOrRejects(data: Buffer): void {
  try {
    expect(parseSeedKey(data)).toHaveLength(32);
  } catch (error) {
    if (!(error instanceof SeedKeyError)) throw error;
    expect(CODES).toContain(error.code);
    expect(error.message).not.toMatch(/[\r\n]/);
  }
}

// --- a tiny pickle assembler for hand-made inputs ---

type Part = number | string | Buffer | readonly Part[];
const pk = (...parts: Part[]): Buffer =>
  Buffer.concat(
    parts.map((part): Buffer => {
      if (typeof part === 'number') return Buffer.from([part]);
      if (typeof part === 'string') return Buffer.from(part, 'latin1');
      if (Buffer.isBuffer(part)) return part;
      return pk(...(part as Part[]));
    }),
  );
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};
const sbu = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  return pk(0x8c, b.length, b);
};
const binunicode = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  return pk('X', u32(b.length), b);
};
const sbb = (b: Buffer) => pk('C', b.length, b);
const PROTO4 = pk(0x80, 4);
const stackGlobal = (module: string, name: string) => pk(sbu(module), sbu(name), 0x93);
const FERNET_NEW = pk(stackGlobal('cryptography.fernet', 'Fernet'), ')', 0x81);
const stateOf = (...entries: [string, Part][]) =>
  pk('}', '(', ...entries.map(([k, v]) => pk(sbu(k), v)), 'u');
/** A protocol-4 Fernet pickle with the given state, built like Python builds it (minus FRAME/MEMOIZE). */
const fernetWith = (state: Part) => pk(PROTO4, FERNET_NEW, state, 'b', '.');
const goodState = () => stateOf(['_signing_key', sbb(SIGNING)], ['_encryption_key', sbb(ENCRYPTION)]);
/** Protocol 2's bytes: _codecs.encode(<latin-1 text>, 'latin1'). */
const codecsBytes = (b: Buffer, encoding = 'latin1') =>
  pk('c_codecs\nencode\n', binunicode(b.toString('latin1')), binunicode(encoding), 0x86, 'R');

describe('parseSeedKey on pickles written by real Python', () => {
  it('expected.key is a 44-character base64url Fernet key', () => {
    expect(EXPECTED_TEXT).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(EXPECTED).toHaveLength(32);
  });

  it.each(VALID)('%s gives the expected key (signing key first, then encryption key)', (name) => {
    const key = parseSeedKey(fixture(name));
    expect(key.toString('hex')).toBe(EXPECTED.toString('hex'));
    expect(key.toString('base64url')).toBe(EXPECTED_TEXT.replace(/=$/, ''));
  });

  it('returns a copy: changing the input afterwards does not change the key', () => {
    const data = fixture('chave-p4.key');
    const key = parseSeedKey(data);
    data.fill(0);
    expect(key.equals(EXPECTED)).toBe(true);
  });

  it('reads hand-assembled pickles in the same shapes', () => {
    expect(parseSeedKey(fernetWith(goodState())).equals(EXPECTED)).toBe(true);
    // protocol 2 style: GLOBAL + _codecs.encode, including bytes >= 0x80 written as UTF-8
    const p2 = pk(
      0x80,
      2,
      'ccryptography.fernet\nFernet\n',
      ')',
      0x81,
      stateOf(['_signing_key', codecsBytes(SIGNING)], ['_encryption_key', codecsBytes(ENCRYPTION)]),
      'b.',
    );
    expect(parseSeedKey(p2).equals(EXPECTED)).toBe(true);
    // the same bytes object shared through the memo (BINPUT / BINGET, LONG_BINPUT / LONG_BINGET)
    const shared = fernetWith(
      pk(
        '}',
        '(',
        sbu('_signing_key'),
        sbb(SIGNING),
        'q',
        7,
        'r',
        u32(70_000),
        sbu('_encryption_key'),
        'h',
        7,
        'u',
      ),
    );
    expect(parseSeedKey(shared).equals(Buffer.concat([SIGNING, SIGNING]))).toBe(true);
    const sharedLong = fernetWith(
      pk(
        '}',
        sbu('_signing_key'),
        sbb(ENCRYPTION),
        'r',
        u32(70_000),
        's',
        sbu('_encryption_key'),
        'j',
        u32(70_000),
        's',
      ),
    );
    expect(parseSeedKey(sharedLong).equals(Buffer.concat([ENCRYPTION, ENCRYPTION]))).toBe(true);
    // BINBYTES, BINBYTES8, BINUNICODE8, SETITEM
    const wide = pk(
      PROTO4,
      FERNET_NEW,
      '}',
      0x8d,
      u64(12n),
      '_signing_key',
      'B',
      u32(16),
      SIGNING,
      's',
      sbu('_encryption_key'),
      0x8e,
      u64(16n),
      ENCRYPTION,
      's',
      'b.',
    );
    expect(parseSeedKey(wide).equals(EXPECTED)).toBe(true);
  });

  it('names the file as the caller asks, escaping control characters', () => {
    const error = rejection(pk(PROTO4, 'i'));
    expect(error.code).toBe('unsupported-opcode');
    let named: unknown;
    try {
      parseSeedKey(Buffer.alloc(0), { source: 'keys/old\nchave.key' });
    } catch (e) {
      named = e;
    }
    expect(named).toBeInstanceOf(SeedKeyError);
    expect((named as SeedKeyError).message).toMatch(/^keys\/old\\x0achave\.key: the file is empty/);
  });
});

describe('hostile fixtures are refused without running anything', () => {
  let dir: string;
  let marker: string;
  const saved = process.env.FERNET_CHAT_PWNED_MARKER;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fernet-chat-seedkey-'));
    marker = join(dir, 'pwned');
    // The evil fixtures run `touch "$FERNET_CHAT_PWNED_MARKER"` when loaded by Python's pickle.
    process.env.FERNET_CHAT_PWNED_MARKER = marker;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.FERNET_CHAT_PWNED_MARKER;
    else process.env.FERNET_CHAT_PWNED_MARKER = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['evil-os-system.key', "'posix.system'"],
    ['evil-os-system-p2.key', "'posix.system'"],
    ['evil-eval.key', "'builtins.eval'"],
    ['evil-subprocess.key', "'subprocess.check_call'"],
    ['evil-in-state.key', "'posix.system'"],
  ])('%s: forbidden-global naming %s, and the marker is never created', (name, global) => {
    const data = fixture(name);
    // Make sure the fixture really carries the payload we claim it does.
    expect(data.includes('FERNET_CHAT_PWNED_MARKER')).toBe(true);
    expect(existsSync(marker)).toBe(false);
    const error = expectRejected(data, 'forbidden-global');
    expect(error.message).toContain(
      `pickle names the global ${global}; only cryptography.fernet.Fernet is accepted`,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it.each([
    ['wrong-class.key', 'forbidden-global', /'collections\.OrderedDict'/],
    ['wrong-class-multifernet.key', 'forbidden-global', /'cryptography\.fernet\.MultiFernet'/],
    ['wrong-length.key', 'bad-state', /_signing_key is 15 bytes long, expected 16/],
    ['wrong-length-p2.key', 'bad-state', /_encryption_key is 17 bytes long, expected 16/],
    ['missing-key.key', 'bad-state', /has no _encryption_key/],
    ['wrong-type.key', 'bad-state', /_encryption_key is a string, expected 16 bytes/],
    ['extra-key.key', 'bad-state', /unexpected attribute '_backend'/],
    ['unsupported-p0.key', 'not-a-pickle', /starts with byte 0x63.*protocols 0 and 1 are not supported/],
    ['unsupported-p1.key', 'not-a-pickle', /starts with byte 0x63/],
    ['expected.key', 'not-a-pickle', /already a plain Fernet key/],
  ] as const)('%s: %s', (name, code, message) => {
    expectRejected(fixture(name), code, message);
  });

  it('the parser module imports nothing that could run code', () => {
    const source = readFileSync(
      fileURLToPath(new URL('../../src/crypto/seedKey.ts', import.meta.url)),
      'utf8',
    );
    const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports.sort()).toEqual(['./seedKeyError.ts', './seedKeyError.ts', 'node:buffer']);
    expect(source).not.toMatch(/\beval\(|new Function|\bimport\(|require\(|child_process/);
  });
});

describe('hand-made hostile and malformed pickles', () => {
  it.each([
    ['os', 'system'],
    ['posix', 'system'],
    ['nt', 'system'],
    ['builtins', 'eval'],
    ['__builtin__', 'eval'],
    ['builtins', 'getattr'],
    ['subprocess', 'Popen'],
    ['copyreg', '_reconstructor'],
    ['copy_reg', '_reconstructor'],
    ['cryptography.fernet', 'MultiFernet'],
    ['cryptography.fernet', 'fernet'],
    ['cryptography.fernet ', 'Fernet'],
    ['cryptography', 'fernet.Fernet'],
    ['_codecs', 'decode'],
    ['codecs', 'encode'],
  ])('global %s.%s is forbidden, by GLOBAL and by STACK_GLOBAL', (module, name) => {
    const quoted = `'${module}.${name}'`;
    const viaGlobal = expectRejected(pk(0x80, 2, `c${module}\n${name}\n`, ')', 'R.'), 'forbidden-global');
    expect(viaGlobal.message).toContain(quoted);
    const viaStack = expectRejected(pk(PROTO4, stackGlobal(module, name), ')', 'R.'), 'forbidden-global');
    expect(viaStack.message).toContain(quoted);
  });

  it('a global with terminal escapes is reported on one escaped line', () => {
    const error = expectRejected(
      pk(PROTO4, stackGlobal('os\x1b[2J', 'sys\ntem\u2028'), '.'),
      'forbidden-global',
    );
    expect(error.message).toContain("'os\\x1b[2J.sys\\x0atem\\u2028'");
  });

  it.each([
    ['INST', pk(PROTO4, 'ios\nsystem\n', '.')],
    ['OBJ', pk(PROTO4, 'o.')],
    ['EXT1', pk(PROTO4, 0x82, 1, '.')],
    ['EXT2', pk(PROTO4, 0x83, 1, 0, '.')],
    ['PERSID', pk(PROTO4, 'Pfoo\n.')],
    ['BINPERSID', pk(PROTO4, 'N', 'Q.')],
    ['NEWOBJ_EX', pk(PROTO4, FERNET_NEW, ')', '}', 0x92, '.')],
    ['EMPTY_LIST', pk(PROTO4, ']', '.')],
    ['PUT', pk(PROTO4, 'N', 'p0\n.')],
    ['STRING', pk(PROTO4, "S'x'\n.")],
    ['NEWTRUE', pk(PROTO4, 0x88, '.')],
    ['PROTO', pk(PROTO4, 0x80, 4, '.')],
    ['BYTEARRAY8', pk(PROTO4, 0x96, u64(0n), '.')],
  ])('opcode %s is unsupported', (name, data) => {
    expectRejected(data, 'unsupported-opcode', new RegExp(`opcode ${name} \\(0x[0-9a-f]{2}\\) at byte \\d+`));
  });

  it('a byte that is no pickle opcode is unsupported', () => {
    expectRejected(pk(PROTO4, 0xff), 'unsupported-opcode', /byte 0xff at offset 2 is not a pickle opcode/);
  });

  it.each([
    ['an empty file', Buffer.alloc(0), /the file is empty/],
    ['text', Buffer.from('hello world\n'), /starts with byte 0x68, not 0x80/],
    ['protocol 1 PROTO', pk(0x80, 1, 'N.'), /pickle protocol 1 is not supported/],
    ['protocol 6', pk(0x80, 6, 'N.'), /pickle protocol 6 is not supported/],
    ['too large', Buffer.concat([pk(PROTO4), Buffer.alloc(SEED_KEY_MAX_BYTES)]), /too large/],
    [
      'trailing bytes',
      Buffer.concat([fixture('chave-p4.key'), Buffer.from('\n')]),
      /1 unexpected bytes follow/,
    ],
    ['trailing pickle', Buffer.concat([fixture('chave-p3.key'), fixture('chave-p3.key')]), /124 unexpected/],
    ['unknown memo entry', pk(PROTO4, 'h', 3, '.'), /memo entry 3, which was never stored/],
    ['stack underflow', pk(PROTO4, 0x86, '.'), /stack is empty/],
    ['underflow below a MARK', pk(PROTO4, '}', '(', 'N', 'N', 's', '.'), /stack is empty/],
    ['a pop across a MARK', pk(PROTO4, 'N', '(', 0x85, '.'), /stack is empty/],
    ['SETITEMS without MARK', pk(PROTO4, '}', 'u.'), /needs a MARK/],
    ['SETITEMS on a tuple', pk(PROTO4, ')', '(', sbu('a'), 'N', 'u.'), /not a dict/],
    ['odd SETITEMS', pk(PROTO4, '}', '(', sbu('a'), 'u.'), /key without a value/],
    ['invalid UTF-8', pk(PROTO4, 0x8c, 2, 0xc3, 0x28, '.'), /not valid UTF-8/],
    ['STACK_GLOBAL of bytes', pk(PROTO4, sbb(SIGNING), sbb(SIGNING), 0x93, '.'), /needs two strings/],
    ['nested FRAME', pk(PROTO4, 0x95, u64(10n), 0x95, u64(0n), 'N.'), /new FRAME starts/],
    [
      'operand across a FRAME',
      pk(PROTO4, 0x95, u64(2n), 'C', 5, Buffer.alloc(5), '.'),
      /past the end of its FRAME/,
    ],
    ['GLOBAL across a FRAME', pk(PROTO4, 0x95, u64(4n), 'cos\nsystem\n.'), /past the end of its FRAME/],
    ['over-long GLOBAL', pk(0x80, 2, 'c', 'x'.repeat(300), '\nFernet\n.'), /longer than 256 bytes/],
  ])('%s is not-a-pickle', (_name, data, message) => {
    expectRejected(data, 'not-a-pickle', message);
  });

  it.each([
    [
      'NEWOBJ with arguments',
      pk(PROTO4, stackGlobal('cryptography.fernet', 'Fernet'), sbu('k'), 0x85, 0x81, '.'),
      /NEWOBJ passes a tuple of 1/,
    ],
    [
      'NEWOBJ of _codecs.encode',
      pk(0x80, 2, 'c_codecs\nencode\n', ')', 0x81, '.'),
      /NEWOBJ creates _codecs\.encode/,
    ],
    [
      'REDUCE calling Fernet',
      pk(PROTO4, stackGlobal('cryptography.fernet', 'Fernet'), sbu(EXPECTED_TEXT), 0x85, 'R.'),
      /REDUCE calls cryptography\.fernet\.Fernet/,
    ],
    ['REDUCE calling a non-global', pk(PROTO4, 'N', ')', 'R.'), /REDUCE calls None/],
    [
      '_codecs.encode to utf-8',
      fernetWith(
        stateOf(['_signing_key', codecsBytes(SIGNING, 'utf-8')], ['_encryption_key', sbb(ENCRYPTION)]),
      ),
      /other than \(text, 'latin1'\)/,
    ],
    [
      '_codecs.encode with 3 arguments',
      pk(0x80, 2, 'c_codecs\nencode\n', sbu('a'), sbu('latin1'), sbu('strict'), 0x87, 'R.'),
      /other than/,
    ],
    [
      '_codecs.encode beyond latin-1',
      pk(0x80, 2, 'c_codecs\nencode\n', binunicode('\u0100'), binunicode('latin1'), 0x86, 'R.'),
      /latin-1 cannot encode/,
    ],
    ['a bare dict', pk(PROTO4, goodState(), '.'), /holds a dict, not a cryptography\.fernet\.Fernet/],
    [
      'the Fernet class itself',
      pk(PROTO4, stackGlobal('cryptography.fernet', 'Fernet'), '.'),
      /holds cryptography\.fernet\.Fernet, not/,
    ],
    ['a Fernet without state', pk(PROTO4, FERNET_NEW, '.'), /has no key state/],
    [
      'two Fernets',
      pk(PROTO4, FERNET_NEW, goodState(), 'b', FERNET_NEW, goodState(), 'b.'),
      /2 objects on its stack/,
    ],
    ['an open MARK', pk(PROTO4, FERNET_NEW, goodState(), 'b', '(', '.'), /MARK still open/],
    ['BUILD twice', pk(PROTO4, FERNET_NEW, goodState(), 'b', goodState(), 'b.'), /twice/],
    ['BUILD on a dict', pk(PROTO4, '}', goodState(), 'b.'), /BUILD sets the state of a dict/],
    ['a tuple state', fernetWith(pk('}', 'N', 0x86)), /state is a tuple of 2, expected a dict/],
    ['slot-state tuple', fernetWith(pk(goodState(), 'N', 0x86)), /state is a tuple of 2/],
    [
      'a nested dict',
      fernetWith(stateOf(['_signing_key', goodState()], ['_encryption_key', sbb(ENCRYPTION)])),
      /_signing_key is a dict/,
    ],
    [
      'a nested Fernet',
      fernetWith(
        stateOf(['_signing_key', pk(FERNET_NEW, goodState(), 'b')], ['_encryption_key', sbb(ENCRYPTION)]),
      ),
      /_signing_key is a Fernet object/,
    ],
    [
      'an integer key',
      fernetWith(stateOf(['_signing_key', pk('J', u32(7))], ['_encryption_key', sbb(ENCRYPTION)])),
      /_signing_key is an integer/,
    ],
    [
      'None as key',
      fernetWith(stateOf(['_signing_key', 'N'], ['_encryption_key', sbb(ENCRYPTION)])),
      /_signing_key is None/,
    ],
    [
      'empty key',
      fernetWith(stateOf(['_signing_key', sbb(Buffer.alloc(0))], ['_encryption_key', sbb(ENCRYPTION)])),
      /is 0 bytes long/,
    ],
    [
      '32-byte key in one field',
      fernetWith(stateOf(['_signing_key', sbb(EXPECTED)], ['_encryption_key', sbb(ENCRYPTION)])),
      /is 32 bytes long/,
    ],
    ['missing both', fernetWith(pk('}')), /has no _signing_key/],
    ['a non-string dict key', fernetWith(pk('}', 'K', 1, sbb(SIGNING), 's')), /dict key is an integer/],
    [
      'a duplicate key',
      fernetWith(stateOf(['_signing_key', sbb(SIGNING)], ['_signing_key', sbb(SIGNING)])),
      /appears twice/,
    ],
    [
      'a key with a BOM',
      fernetWith(stateOf(['\ufeff_signing_key', sbb(SIGNING)], ['_encryption_key', sbb(ENCRYPTION)])),
      /unexpected attribute '\\ufeff_signing_key'/,
    ],
  ])('%s is bad-state', (_name, data, message) => {
    expectRejected(data, 'bad-state', message);
  });

  it.each([
    ['a deep stack', pk(PROTO4, 'N'.repeat(1000), '.'), /more than 64 objects on the stack/],
    ['deep MARKs', pk(PROTO4, '('.repeat(1000), '.'), /more than 8 nested MARKs/],
    [
      'a huge memo',
      pk(
        PROTO4,
        'N',
        Array.from({ length: 300 }, (_, i) => pk('r', u32(i))),
        '.',
      ),
      /more than 256 memo entries/,
    ],
    [
      'a huge dict',
      pk(
        PROTO4,
        '}',
        Array.from({ length: 20 }, (_, i) => pk(sbu(`k${i}`), 'N', 's')),
        '.',
      ),
      /more than 16 entries/,
    ],
  ])('%s hits a bound (bad-state)', (_name, data, message) => {
    expectRejected(data, 'bad-state', message);
  });

  it.each([
    ['BINBYTES8 of 2^63 bytes', pk(PROTO4, 0x8e, u64(2n ** 63n), '.')],
    ['BINUNICODE8 of 2^64-1 bytes', pk(PROTO4, 0x8d, u64(2n ** 64n - 1n), '.')],
    ['BINBYTES of 4 GiB', pk(PROTO4, 'B', u32(0xffff_ffff), '.')],
    ['a FRAME of 1 TiB', pk(PROTO4, 0x95, u64(2n ** 40n), '.')],
    ['a GLOBAL without newline', pk(0x80, 2, 'cposix\nsys')],
  ])('%s is truncated, without allocating it', (_name, data) => {
    expectRejected(data, 'truncated', /the file ends in the middle of the pickle/);
  });
});

describe('truncation and fuzzing', () => {
  it.each(VALID)('every truncation of %s is rejected as truncated', (name) => {
    const data = fixture(name);
    expectRejected(data.subarray(0, 0), 'not-a-pickle', /empty/);
    for (let length = 1; length < data.length; length++) {
      const error = expectRejected(data.subarray(0, length), 'truncated');
      expect(error.offset).toBe(length);
    }
  });

  it('random bytes only ever give a key or a SeedKeyError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => parsesOrRejects(Buffer.from(bytes))),
      { numRuns: 3000 },
    );
  });

  it('random bytes after a valid header only ever give a key or a SeedKeyError', () => {
    // Bias towards the opcodes the reader knows, so the fuzzing gets past the first byte.
    const known = [...'()}NRXbchjqrstuCBJKMNX.'].map((c) => c.charCodeAt(0));
    const opcodeish = fc.oneof(
      fc.constantFrom(...known, 0x81, 0x85, 0x86, 0x87, 0x8c, 0x8d, 0x8e, 0x93, 0x94, 0x95),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.array(opcodeish, { maxLength: 300 }), (version, body) =>
        parsesOrRejects(Buffer.from([0x80, version, ...body])),
      ),
      { numRuns: 3000 },
    );
  });

  it('random mutations of valid pickles only ever give a key or a SeedKeyError', () => {
    const edit = fc.record({
      kind: fc.constantFrom('set', 'insert', 'delete'),
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID),
        fc.array(edit, { minLength: 1, maxLength: 6 }),
        (name, edits) => {
          const bytes = [...fixture(name)];
          for (const { kind, at, byte } of edits) {
            const i = at % (bytes.length + 1);
            if (kind === 'insert') bytes.splice(i, 0, byte);
            else if (kind === 'delete') bytes.splice(i, 1);
            else if (i < bytes.length) bytes[i] = byte;
          }
          parsesOrRejects(Buffer.from(bytes));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

// --- live interop with whatever Python + cryptography this machine has ---

interface Python {
  readonly command: string;
  readonly version: string;
}

function findPythons(): { found: Python[]; reasons: string[] } {
  const found: Python[] = [];
  const reasons: string[] = [];
  const seen = new Set<string>();
  // FERNET_CHAT_SEED_PYTHON pins one interpreter (and lets the no-Python path be exercised).
  const pinned = process.env.FERNET_CHAT_SEED_PYTHON;
  for (const command of pinned ? [pinned] : ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(
      command,
      [
        '-c',
        'import sys, cryptography, cryptography.fernet; print(sys.executable, sys.version.split()[0], cryptography.__version__)',
      ],
      { encoding: 'utf8', timeout: 15_000 },
    );
    if (probe.error || probe.status !== 0) {
      const why =
        probe.error?.message ?? (probe.stderr.trim().split('\n').at(-1) || `exit status ${probe.status}`);
      reasons.push(`${command}: ${why}`);
      continue;
    }
    const [executable = command, python = '?', cryptography = '?'] = probe.stdout.trim().split(' ');
    if (seen.has(executable)) continue;
    seen.add(executable);
    found.push({ command, version: `Python ${python}, cryptography ${cryptography}` });
  }
  return { found, reasons };
}

const GENERATE = `
import pickle, sys, time
from pathlib import Path
from cryptography.fernet import Fernet
out = Path(sys.argv[1])
key = Fernet.generate_key()
(out / "key.txt").write_bytes(key)
(out / "token.txt").write_bytes(Fernet(key).encrypt(b"ola, mundo"))
for protocol in (2, 3, 4, 5):
    with open(out / f"chave-p{protocol}.key", "wb") as fh:
        pickle.dump(Fernet(key), fh, protocol=protocol)
with open(out / "chave.key", "wb") as fh:  # exactly as the seed does it: the default protocol
    pickle.dump(Fernet(key), fh)
`;

/** Check a key against a token Python made with it: HMAC with the first half, AES with the second. */
function decryptWith(key: Buffer, tokenText: string): string {
  const token = Buffer.from(tokenText.trim(), 'base64url');
  const signed = token.subarray(0, -32);
  const mac = createHmac('sha256', key.subarray(0, 16)).update(signed).digest();
  expect(timingSafeEqual(mac, token.subarray(-32))).toBe(true);
  const decipher = createDecipheriv('aes-128-cbc', key.subarray(16), token.subarray(9, 25));
  return Buffer.concat([decipher.update(token.subarray(25, -32)), decipher.final()]).toString('utf8');
}

const pythons = findPythons();
const noPython = pythons.found.length === 0;
const skipLive = noPython && process.env.CI !== 'true';
const why = `no Python with cryptography importable (${pythons.reasons.join('; ')})`;
if (skipLive) console.warn(`seedKey live interop test skipped: ${why}`);

describe('live: pickles made now by real Python', () => {
  const title = !noPython
    ? 'a Python with cryptography is available'
    : skipLive
      ? `live interop (skipped outside CI: ${why})`
      : 'live interop (CI requires a Python with cryptography)';
  it.skipIf(skipLive)(title, () => {
    if (noPython) throw new Error(`CI must run the live seed-key interop test, but there is ${why}`);
    expect(pythons.found.length).toBeGreaterThan(0);
  });

  for (const python of pythons.found) {
    it(`${python.command} (${python.version}): a fresh key pickled at protocols 2-5 and the default`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'fernet-chat-seedkey-live-'));
      try {
        const run = spawnSync(python.command, ['-c', GENERATE, dir], { encoding: 'utf8', timeout: 15_000 });
        expect(run.error).toBeUndefined();
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        const keyText = readFileSync(join(dir, 'key.txt'), 'ascii');
        const expected = Buffer.from(keyText, 'base64url');
        expect(expected).toHaveLength(32);
        for (const name of ['chave-p2.key', 'chave-p3.key', 'chave-p4.key', 'chave-p5.key', 'chave.key']) {
          const key = parseSeedKey(readFileSync(join(dir, name)));
          expect(key.toString('hex'), name).toBe(expected.toString('hex'));
          expect(decryptWith(key, readFileSync(join(dir, 'token.txt'), 'ascii'))).toBe('ola, mundo');
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
