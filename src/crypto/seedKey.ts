/**
 * Import the seed program's key file: `chave.key`, a `cryptography.fernet.Fernet` object saved with
 * Python's `pickle.dump`.
 *
 * Python's own `pickle.load` can run arbitrary code, so this is not an unpickler. It is a small stack
 * machine that understands only the opcodes Python writes for a pickled Fernet at protocols 2 to 5, and
 * only two globals: `cryptography.fernet.Fernet` and, because protocol 2 spells `bytes` as
 * `_codecs.encode('<latin-1 text>', 'latin1')`, `_codecs.encode` — which is interpreted here as a data
 * constructor, never looked up or called. Nothing is imported, called or evaluated; anything else is a
 * `SeedKeyError`.
 *
 * What real Python writes (CPython 3.11 with cryptography 38.0.4 and 48.0.0 — identical bytes; see
 * fixtures/seed/README.md), for the state `{'_signing_key': <16 bytes>, '_encryption_key': <16 bytes>}`:
 *
 * - protocol 2: PROTO GLOBAL BINPUT EMPTY_TUPLE NEWOBJ EMPTY_DICT MARK BINUNICODE BINGET TUPLE2 REDUCE
 *   SETITEMS BUILD STOP (the bytes as `_codecs.encode(str, 'latin1')`)
 * - protocol 3: PROTO GLOBAL BINPUT EMPTY_TUPLE NEWOBJ EMPTY_DICT MARK BINUNICODE SHORT_BINBYTES
 *   SETITEMS BUILD STOP
 * - protocols 4 and 5: PROTO FRAME SHORT_BINUNICODE MEMOIZE STACK_GLOBAL EMPTY_TUPLE NEWOBJ EMPTY_DICT
 *   MARK SHORT_BINBYTES SETITEMS BUILD STOP
 *
 * A few neighbours of those (SETITEM, TUPLE/TUPLE1/TUPLE3, LONG_BINPUT/LONG_BINGET, BINBYTES,
 * BINBYTES8, BINUNICODE8, BININT1/BININT2/BININT, NONE) are read too, as pure data. Protocols 0 and 1
 * (text opcodes and `copy_reg._reconstructor`) are not supported: no Python 3 writes them by default.
 */

import { Buffer } from 'node:buffer';
import type { SeedKeyErrorCode } from './seedKeyError.ts';
import { SeedKeyError } from './seedKeyError.ts';

/** Largest file accepted. A pickled Fernet key is 124–192 bytes. */
export const SEED_KEY_MAX_BYTES = 64 * 1024;
/** Most objects on the stack at once (a real key file needs 6). */
export const SEED_KEY_MAX_STACK = 64;
/** Most open MARKs at once (a real key file needs 1). */
export const SEED_KEY_MAX_MARKS = 8;
/** Most memo entries (a real key file writes 13). */
export const SEED_KEY_MAX_MEMO = 256;
/** Most entries in one dict (a real key file's state has 2). */
const MAX_DICT_ENTRIES = 16;
/** Longest GLOBAL module or class name read. */
const MAX_NAME_BYTES = 256;

export interface SeedKeyOptions {
  /** How to name the file in error messages; defaults to `chave.key`. */
  readonly source?: string;
}

/**
 * Read a pickled `cryptography.fernet.Fernet` and return its 32-byte key: the 16-byte signing key
 * followed by the 16-byte encryption key, which is Fernet's own key layout (the key file's 44 characters
 * are `base64url(signing || encryption)`). Throws `SeedKeyError` for anything else, and only that.
 */
export function parseSeedKey(data: Buffer, options: SeedKeyOptions = {}): Buffer {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const source = (options.source ?? 'chave.key').replace(/[\p{Cc}\u2028\u2029]/gu, (c) => escapeText(c));
  return new Reader(bytes, source).read();
}

type Value =
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'bytes'; readonly v: Buffer }
  | { readonly t: 'int'; readonly v: number }
  | { readonly t: 'none' }
  | { readonly t: 'tuple'; readonly items: readonly Value[] }
  | { readonly t: 'dict'; readonly entries: Map<string, Value> }
  | { readonly t: 'global'; readonly name: 'cryptography.fernet.Fernet' | '_codecs.encode' }
  | { readonly t: 'fernet'; key: Buffer | undefined };

const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  NONE: 0x4e,
  REDUCE: 0x52,
  BINUNICODE: 0x58,
  BUILD: 0x62,
  GLOBAL: 0x63,
  EMPTY_DICT: 0x7d,
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  EMPTY_TUPLE: 0x29,
  SETITEMS: 0x75,
  PROTO: 0x80,
  NEWOBJ: 0x81,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
} as const;

/** Every opcode of pickle protocols 0–5, by byte, so refusals can name what they saw. */
const OPCODE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries({
    '(': 'MARK',
    '.': 'STOP',
    '0': 'POP',
    '1': 'POP_MARK',
    '2': 'DUP',
    F: 'FLOAT',
    I: 'INT',
    J: 'BININT',
    K: 'BININT1',
    L: 'LONG',
    M: 'BININT2',
    N: 'NONE',
    P: 'PERSID',
    Q: 'BINPERSID',
    R: 'REDUCE',
    S: 'STRING',
    T: 'BINSTRING',
    U: 'SHORT_BINSTRING',
    V: 'UNICODE',
    X: 'BINUNICODE',
    a: 'APPEND',
    b: 'BUILD',
    c: 'GLOBAL',
    d: 'DICT',
    '}': 'EMPTY_DICT',
    e: 'APPENDS',
    g: 'GET',
    h: 'BINGET',
    i: 'INST',
    j: 'LONG_BINGET',
    l: 'LIST',
    ']': 'EMPTY_LIST',
    o: 'OBJ',
    p: 'PUT',
    q: 'BINPUT',
    r: 'LONG_BINPUT',
    s: 'SETITEM',
    t: 'TUPLE',
    ')': 'EMPTY_TUPLE',
    u: 'SETITEMS',
    G: 'BINFLOAT',
    '\x80': 'PROTO',
    '\x81': 'NEWOBJ',
    '\x82': 'EXT1',
    '\x83': 'EXT2',
    '\x84': 'EXT4',
    '\x85': 'TUPLE1',
    '\x86': 'TUPLE2',
    '\x87': 'TUPLE3',
    '\x88': 'NEWTRUE',
    '\x89': 'NEWFALSE',
    '\x8a': 'LONG1',
    '\x8b': 'LONG4',
    B: 'BINBYTES',
    C: 'SHORT_BINBYTES',
    '\x8c': 'SHORT_BINUNICODE',
    '\x8d': 'BINUNICODE8',
    '\x8e': 'BINBYTES8',
    '\x8f': 'EMPTY_SET',
    '\x90': 'ADDITEMS',
    '\x91': 'FROZENSET',
    '\x92': 'NEWOBJ_EX',
    '\x93': 'STACK_GLOBAL',
    '\x94': 'MEMOIZE',
    '\x95': 'FRAME',
    '\x96': 'BYTEARRAY8',
    '\x97': 'NEXT_BUFFER',
    '\x98': 'READONLY_BUFFER',
  }).map(([char, name]) => [char.charCodeAt(0), name]),
);

const SIGNING = '_signing_key';
const ENCRYPTION = '_encryption_key';
const KEY_HALF_BYTES = 16;

// Python decodes pickle text as UTF-8 and keeps a leading U+FEFF, so must we.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Reader {
  private pos = 0;
  /** Offset of the opcode being executed, for messages. */
  private at = 0;
  /** End of the current FRAME, or -1 outside any frame. */
  private frameEnd = -1;
  private readonly stack: Value[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, Value>();

  constructor(
    private readonly data: Buffer,
    private readonly source: string,
  ) {}

  read(): Buffer {
    this.header();
    for (;;) {
      if (this.frameEnd >= 0 && this.pos >= this.frameEnd) this.frameEnd = -1;
      this.at = this.pos;
      const op = this.u8();
      if (op === OP.STOP) return this.stop();
      this.step(op);
    }
  }

  private header(): void {
    const { data } = this;
    if (data.length === 0) {
      this.fail('not-a-pickle', 'the file is empty; expected a pickled cryptography.fernet.Fernet');
    }
    if (data.length > SEED_KEY_MAX_BYTES) {
      this.fail(
        'not-a-pickle',
        `the file is ${data.length} bytes, too large for a pickled Fernet key (about 124 bytes; the limit is ${SEED_KEY_MAX_BYTES})`,
      );
    }
    const first = data[0] ?? 0;
    if (first !== OP.PROTO) {
      if (/^[A-Za-z0-9_-]{43}=\s*$/.test(data.toString('latin1'))) {
        this.fail(
          'not-a-pickle',
          'this is not a pickle but already a plain Fernet key (44 base64url characters); use it as a key file as it is',
          0,
        );
      }
      this.fail(
        'not-a-pickle',
        `not a pickle of protocol 2 to 5: it starts with byte ${hex(first)}, not 0x80 (pickle protocols 0 and 1 are not supported)`,
        0,
      );
    }
    this.pos = 1;
    const version = this.u8();
    if (version < 2 || version > 5) {
      this.fail('not-a-pickle', `pickle protocol ${version} is not supported (only 2 to 5)`, 0);
    }
  }

  private step(op: number): void {
    switch (op) {
      case OP.FRAME: {
        if (this.frameEnd >= 0) this.corrupt('a new FRAME starts before the previous one ends');
        const length = this.u64();
        if (length > this.data.length - this.pos) this.truncated();
        this.frameEnd = this.pos + length;
        return;
      }
      case OP.GLOBAL: {
        const module = this.line();
        const name = this.line();
        this.push(this.global(module, name));
        return;
      }
      case OP.STACK_GLOBAL: {
        const name = this.pop();
        const module = this.pop();
        if (module.t !== 'str' || name.t !== 'str') this.corrupt('STACK_GLOBAL needs two strings');
        this.push(this.global(module.v, name.v));
        return;
      }
      case OP.SHORT_BINUNICODE:
        this.push({ t: 'str', v: this.text(this.u8()) });
        return;
      case OP.BINUNICODE:
        this.push({ t: 'str', v: this.text(this.u32()) });
        return;
      case OP.BINUNICODE8:
        this.push({ t: 'str', v: this.text(this.u64()) });
        return;
      case OP.SHORT_BINBYTES:
        this.push({ t: 'bytes', v: this.take(this.u8()) });
        return;
      case OP.BINBYTES:
        this.push({ t: 'bytes', v: this.take(this.u32()) });
        return;
      case OP.BINBYTES8:
        this.push({ t: 'bytes', v: this.take(this.u64()) });
        return;
      case OP.BININT1:
        this.push({ t: 'int', v: this.u8() });
        return;
      case OP.BININT2:
        this.push({ t: 'int', v: this.take(2).readUInt16LE(0) });
        return;
      case OP.BININT:
        this.push({ t: 'int', v: this.take(4).readInt32LE(0) });
        return;
      case OP.NONE:
        this.push({ t: 'none' });
        return;
      case OP.MEMOIZE:
        this.remember(this.memo.size);
        return;
      case OP.BINPUT:
        this.remember(this.u8());
        return;
      case OP.LONG_BINPUT:
        this.remember(this.u32());
        return;
      case OP.BINGET:
        this.recall(this.u8());
        return;
      case OP.LONG_BINGET:
        this.recall(this.u32());
        return;
      case OP.EMPTY_TUPLE:
        this.push({ t: 'tuple', items: [] });
        return;
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const items: Value[] = [];
        for (let n = op - OP.TUPLE1 + 1; n > 0; n--) items.unshift(this.pop());
        this.push({ t: 'tuple', items });
        return;
      }
      case OP.TUPLE:
        this.push({ t: 'tuple', items: this.popToMark() });
        return;
      case OP.EMPTY_DICT:
        this.push({ t: 'dict', entries: new Map() });
        return;
      case OP.MARK:
        if (this.marks.length >= SEED_KEY_MAX_MARKS) {
          this.tooBig(`more than ${SEED_KEY_MAX_MARKS} nested MARKs`);
        }
        this.marks.push(this.stack.length);
        return;
      case OP.SETITEM: {
        const value = this.pop();
        const key = this.pop();
        this.setItem(this.peek(), key, value);
        return;
      }
      case OP.SETITEMS: {
        const items = this.popToMark();
        const dict = this.peek();
        if (items.length % 2 !== 0) this.corrupt('SETITEMS has a key without a value');
        for (let i = 0; i < items.length; i += 2) this.setItem(dict, items[i]!, items[i + 1]!);
        return;
      }
      case OP.NEWOBJ: {
        const args = this.pop();
        const cls = this.pop();
        if (cls.t !== 'global' || cls.name !== 'cryptography.fernet.Fernet') {
          this.badState(`NEWOBJ creates ${describe(cls)}; only cryptography.fernet.Fernet is accepted`);
        }
        if (args.t !== 'tuple' || args.items.length !== 0) {
          this.badState(`NEWOBJ passes ${describe(args)} to Fernet; Python passes no arguments`);
        }
        this.push({ t: 'fernet', key: undefined });
        return;
      }
      case OP.REDUCE: {
        const args = this.pop();
        const fn = this.pop();
        this.push({ t: 'bytes', v: this.codecsEncode(fn, args) });
        return;
      }
      case OP.BUILD: {
        const state = this.pop();
        this.build(this.peek(), state);
        return;
      }
      case OP.PROTO:
        this.unsupported(op, 'PROTO may only appear at the start of the file');
        return;
      default:
        this.unsupported(op, 'a pickled Fernet key never contains it');
    }
  }

  private stop(): Buffer {
    if (this.marks.length > 0) this.badState('the pickle ends with a MARK still open');
    if (this.stack.length !== 1) {
      this.badState(`the pickle ends with ${this.stack.length} objects on its stack instead of one Fernet`);
    }
    const top = this.stack[0]!;
    if (top.t !== 'fernet') {
      this.badState(`the pickle holds ${describe(top)}, not a cryptography.fernet.Fernet`);
    }
    if (top.key === undefined) this.badState('the pickled Fernet has no key state');
    if (this.pos !== this.data.length) {
      this.fail(
        'not-a-pickle',
        `${this.data.length - this.pos} unexpected bytes follow the end of the pickle at byte ${this.pos}`,
        this.pos,
      );
    }
    return top.key;
  }

  // --- globals, REDUCE, BUILD ---

  private global(module: string, name: string): Value {
    if (module === 'cryptography.fernet' && name === 'Fernet') {
      return { t: 'global', name: 'cryptography.fernet.Fernet' };
    }
    if (module === '_codecs' && name === 'encode') return { t: 'global', name: '_codecs.encode' };
    return this.fail(
      'forbidden-global',
      `pickle names the global '${escapeText(module)}.${escapeText(name)}'; only cryptography.fernet.Fernet is accepted (this is not a saved Fernet key: do not load it with Python's pickle)`,
    );
  }

  /** Protocol 2's spelling of bytes: `_codecs.encode(<str of code points 0-255>, 'latin1')`. */
  private codecsEncode(fn: Value, args: Value): Buffer {
    if (fn.t !== 'global' || fn.name !== '_codecs.encode') {
      return this.badState(`REDUCE calls ${describe(fn)}; only _codecs.encode(text, 'latin1') is accepted`);
    }
    const [text, encoding, ...rest] = args.t === 'tuple' ? args.items : [];
    if (text?.t !== 'str' || encoding?.t !== 'str' || encoding.v !== 'latin1' || rest.length > 0) {
      return this.badState("_codecs.encode is called with arguments other than (text, 'latin1')");
    }
    for (let i = 0; i < text.v.length; i++) {
      if (text.v.charCodeAt(i) > 0xff) {
        this.badState('_codecs.encode is given text that latin-1 cannot encode');
      }
    }
    return Buffer.from(text.v, 'latin1');
  }

  private build(target: Value, state: Value): void {
    if (target.t !== 'fernet') this.badState(`BUILD sets the state of ${describe(target)}, not of a Fernet`);
    if (target.key !== undefined) this.badState('BUILD sets the state of the Fernet twice');
    if (state.t !== 'dict') {
      this.badState(
        `the Fernet's state is ${describe(state)}, expected a dict of ${SIGNING} and ${ENCRYPTION}`,
      );
    }
    for (const name of state.entries.keys()) {
      if (name !== SIGNING && name !== ENCRYPTION) {
        this.badState(
          `the Fernet's state has an unexpected attribute '${escapeText(name)}'; a saved Fernet has only ${SIGNING} and ${ENCRYPTION}`,
        );
      }
    }
    // Copy now: Python's BUILD copies the dict's entries, so a later SETITEM on it changes nothing.
    target.key = Buffer.concat([this.keyHalf(state, SIGNING), this.keyHalf(state, ENCRYPTION)]);
  }

  private keyHalf(state: { readonly entries: Map<string, Value> }, name: string): Buffer {
    const value = state.entries.get(name);
    if (value === undefined) return this.badState(`the Fernet's state has no ${name}`);
    if (value.t !== 'bytes') {
      return this.badState(`the Fernet's ${name} is ${describe(value)}, expected ${KEY_HALF_BYTES} bytes`);
    }
    if (value.v.length !== KEY_HALF_BYTES) {
      return this.badState(
        `the Fernet's ${name} is ${value.v.length} bytes long, expected ${KEY_HALF_BYTES}`,
      );
    }
    return value.v;
  }

  private setItem(dict: Value, key: Value, value: Value): void {
    if (dict.t !== 'dict') this.corrupt(`SETITEM(S) applies to ${describe(dict)}, not a dict`);
    if (key.t !== 'str') this.badState(`a dict key is ${describe(key)}, expected a string`);
    if (dict.entries.has(key.v)) this.badState(`the dict key '${escapeText(key.v)}' appears twice`);
    if (dict.entries.size >= MAX_DICT_ENTRIES)
      this.tooBig(`a dict with more than ${MAX_DICT_ENTRIES} entries`);
    dict.entries.set(key.v, value);
  }

  // --- stack and memo ---

  private push(value: Value): void {
    if (this.stack.length >= SEED_KEY_MAX_STACK) {
      this.tooBig(`more than ${SEED_KEY_MAX_STACK} objects on the stack`);
    }
    this.stack.push(value);
  }

  private base(): number {
    return this.marks.at(-1) ?? 0;
  }

  private pop(): Value {
    if (this.stack.length <= this.base()) this.corrupt('an opcode needs an object but the stack is empty');
    return this.stack.pop()!;
  }

  private peek(): Value {
    if (this.stack.length <= this.base()) this.corrupt('an opcode needs an object but the stack is empty');
    return this.stack[this.stack.length - 1]!;
  }

  private popToMark(): Value[] {
    const base = this.marks.pop();
    if (base === undefined) this.corrupt('an opcode needs a MARK but there is none');
    return this.stack.splice(base);
  }

  private remember(index: number): void {
    const value = this.peek();
    if (!this.memo.has(index) && this.memo.size >= SEED_KEY_MAX_MEMO) {
      this.tooBig(`more than ${SEED_KEY_MAX_MEMO} memo entries`);
    }
    this.memo.set(index, value);
  }

  private recall(index: number): void {
    const value = this.memo.get(index);
    if (value === undefined) this.corrupt(`it refers to memo entry ${index}, which was never stored`);
    this.push(value);
  }

  // --- reading operands ---

  private take(length: number): Buffer {
    const end = this.pos + length;
    if (this.frameEnd >= 0 && end > this.frameEnd) this.corrupt('an opcode runs past the end of its FRAME');
    if (end > this.data.length) this.truncated();
    const bytes = this.data.subarray(this.pos, end);
    this.pos = end;
    return bytes;
  }

  private u8(): number {
    return this.take(1)[0]!;
  }

  private u32(): number {
    return this.take(4).readUInt32LE(0);
  }

  private u64(): number {
    const value = this.take(8).readBigUInt64LE(0);
    // Anything beyond the file size cannot be satisfied; clamp so `take` reports it.
    return value > BigInt(SEED_KEY_MAX_BYTES) ? Number.POSITIVE_INFINITY : Number(value);
  }

  private text(length: number): string {
    const bytes = this.take(length);
    try {
      return utf8.decode(bytes);
    } catch {
      return this.corrupt('a string is not valid UTF-8');
    }
  }

  /** GLOBAL's operands: text up to a newline. */
  private line(): string {
    const limit = Math.min(
      this.frameEnd >= 0 ? this.frameEnd : this.data.length,
      this.pos + MAX_NAME_BYTES + 1,
    );
    const found = this.data.subarray(this.pos, limit).indexOf(0x0a);
    if (found < 0) {
      if (limit === this.pos + MAX_NAME_BYTES + 1)
        this.corrupt(`a GLOBAL name is longer than ${MAX_NAME_BYTES} bytes`);
      if (this.frameEnd >= 0) this.corrupt('a GLOBAL name runs past the end of its FRAME');
      this.truncated();
    }
    const text = this.text(found);
    this.pos += 1;
    return text;
  }

  // --- failures (all `never`) ---

  private fail(code: SeedKeyErrorCode, detail: string, offset: number = this.at): never {
    throw new SeedKeyError(code, `${this.source}: ${detail}`, offset);
  }

  private truncated(): never {
    return this.fail(
      'truncated',
      `the file ends in the middle of the pickle (after ${this.data.length} bytes); it is truncated or damaged, copy it again`,
      this.data.length,
    );
  }

  private corrupt(detail: string): never {
    return this.fail('not-a-pickle', `the pickle is corrupt at byte ${this.at}: ${detail}`);
  }

  private badState(detail: string): never {
    return this.fail('bad-state', `not a saved Fernet key (at byte ${this.at}): ${detail}`);
  }

  private tooBig(what: string): never {
    return this.badState(`${what}, far more than a pickled Fernet key has`);
  }

  private unsupported(op: number, why: string): never {
    const name = OPCODE_NAMES.get(op);
    return this.fail(
      'unsupported-opcode',
      name === undefined
        ? `byte ${hex(op)} at offset ${this.at} is not a pickle opcode; the file is corrupt or not a pickle`
        : `the pickle uses opcode ${name} (${hex(op)}) at byte ${this.at}, which is not accepted: ${why}`,
    );
  }
}

function describe(value: Value): string {
  switch (value.t) {
    case 'str':
      return 'a string';
    case 'bytes':
      return `${value.v.length} bytes`;
    case 'int':
      return 'an integer';
    case 'none':
      return 'None';
    case 'tuple':
      return `a tuple of ${value.items.length}`;
    case 'dict':
      return 'a dict';
    case 'global':
      return value.name;
    case 'fernet':
      return 'a Fernet object';
  }
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

/** Text from the file, made safe for a one-line message: printable ASCII kept, the rest escaped. */
function escapeText(text: string, max = 80): string {
  let out = '';
  let count = 0;
  for (const char of text) {
    if (count++ >= max) return `${out}…`;
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0x20 && code < 0x7f && char !== '\\' && char !== "'") out += char;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return out;
}
