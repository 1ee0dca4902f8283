/**
 * Valid-shape Fernet tokens for the benchmark, made up front and patched in place.
 *
 * A token is base64url text with '=' padding of 57 + 16k decoded bytes (k >= 1, so at least 73),
 * first byte 0x80: exactly what the hub's shape check accepts. The decoded bytes are laid out in
 * 3-byte groups so that every field is a fixed run of 4 characters of the text, which the sender
 * encodes and the receiver decodes at fixed offsets without decoding the whole token:
 *
 *   bytes  0..8   0x80, then the unix time in seconds (8 bytes, big-endian): constant per codec,
 *                 so the text starts with "gAAAAA" like every real Fernet token
 *   bytes  9..11  run id (24 bits)                        chars 12..15
 *   bytes 12..14  sender index (24 bits)                  chars 16..19
 *   bytes 15..20  sequence number (48 bits)               chars 20..27
 *   bytes 21..26  actual send time, ns since epoch (48)   chars 28..35
 *   bytes 27..32  scheduled send time, ns since epoch     chars 36..43
 *   bytes 33..35  check value over the fields (24 bits)   chars 44..47
 *   bytes 36..    constant filler per codec; its text (chars 48..) is compared byte for byte
 *
 * "ns since epoch" is the generator's monotonic clock (performance.now) relative to an epoch the
 * generator picks, so 48 bits last 78 hours.
 */

export const LF = 0x0a;
const HASH = 0x23;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ENC = new Uint8Array(64);
const DEC = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) {
  const code = ALPHABET.charCodeAt(i);
  ENC[i] = code;
  DEC[code] = i;
}

/** Sender index used by the start barrier's probe lines. */
export const PROBE_SENDER = 0xffffff;
export const MAX_24 = 0xffffff;
const TWO_24 = 0x1000000;
const TWO_48 = TWO_24 * TWO_24;

const C_RUN = 12;
const C_SENDER = 16;
const C_SEQ = 20;
const C_TACT = 28;
const C_TSCHED = 36;
const C_CHECK = 44;
/** Characters 0..11 are the constant head, 12..47 the fields, 48.. the constant tail. */
export const HEAD_CHARS = 12;
export const FIELDS_END = 48;

export interface TokenLayout {
  /** k in 57 + 16k */
  k: number;
  decodedBytes: number;
  tokenChars: number;
  /** tokenChars + 1 (the LF) */
  lineBytes: number;
}

export function layoutFor(k: number): TokenLayout {
  const decodedBytes = 57 + 16 * k;
  const tokenChars = 4 * Math.ceil(decodedBytes / 3);
  return { k, decodedBytes, tokenChars, lineBytes: tokenChars + 1 };
}

/** The layout whose line length (token + LF) is closest to `size` bytes (ties: the shorter). */
export function chooseLayout(size: number): TokenLayout {
  let best = layoutFor(1);
  for (let k = 2; k < 1 << 20; k++) {
    const l = layoutFor(k);
    if (Math.abs(l.lineBytes - size) < Math.abs(best.lineBytes - size)) best = l;
    if (l.lineBytes > size) break;
  }
  return best;
}

/** Standard base64url with '=' padding, as Python's `cryptography` writes Fernet tokens. */
export function base64urlPadded(bytes: Uint8Array): string {
  let s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
  while (s.length % 4 !== 0) s += '=';
  return s;
}

export interface ParsedToken {
  run: number;
  sender: number;
  seq: number;
  tact: number;
  tsched: number;
}

export function emptyParsed(): ParsedToken {
  return { run: 0, sender: 0, seq: 0, tact: 0, tsched: 0 };
}

function mix24(run: number, sender: number, seq: number, tact: number, tsched: number): number {
  let h = Math.imul(run ^ 0x5bd1e995, 0x9e3779b1);
  h = Math.imul(h ^ sender ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (seq % TWO_24) ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ Math.floor(seq / TWO_24) ^ (h >>> 16), 0x27d4eb2f);
  h = Math.imul(h ^ (tact % TWO_24) ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ Math.floor(tact / TWO_24) ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ (tsched % TWO_24) ^ (h >>> 16), 0x27d4eb2f);
  h = Math.imul(h ^ Math.floor(tsched / TWO_24) ^ (h >>> 15), 0x85ebca6b);
  h ^= h >>> 16;
  return h & MAX_24;
}

function put24(dst: Uint8Array, at: number, v: number): void {
  dst[at] = ENC[(v >>> 18) & 63]!;
  dst[at + 1] = ENC[(v >>> 12) & 63]!;
  dst[at + 2] = ENC[(v >>> 6) & 63]!;
  dst[at + 3] = ENC[v & 63]!;
}

function put48(dst: Uint8Array, at: number, v: number): void {
  put24(dst, at, Math.floor(v / TWO_24) & MAX_24);
  put24(dst, at + 4, v % TWO_24);
}

/** Decodes 4 characters into 24 bits; -1 if one of them is not base64url. */
function get24(src: Uint8Array, at: number): number {
  const a = DEC[src[at]!]!;
  const b = DEC[src[at + 1]!]!;
  const c = DEC[src[at + 2]!]!;
  const d = DEC[src[at + 3]!]!;
  if ((a | b | c | d) < 0) return -1;
  return (a << 18) | (b << 12) | (c << 6) | d;
}

function clamp48(v: number): number {
  if (!(v > 0)) return 0;
  return v >= TWO_48 ? TWO_48 - 1 : Math.floor(v);
}

export interface TokenCodecOptions {
  /** approximate line length in bytes, LF included */
  size: number;
  /** seeds the constant filler; tokens of codecs with other seeds fail to parse */
  seed?: number;
  /** unix seconds in the token's timestamp field (default: now) */
  unixSeconds?: number;
}

/**
 * Writes and parses benchmark lines. `write` copies a prepared line and patches the 36 field
 * characters; `parse` checks head, fields, check value and tail at fixed offsets (no allocation).
 */
export class TokenCodec {
  readonly layout: TokenLayout;
  /** a complete line (token + LF) with zero fields; head and tail are what every line carries */
  readonly template: Buffer;
  readonly seed: number;
  /**
   * Offsets of the tail characters that parse checks. Tails are constant, so a line spliced from
   * two tokens at the same offset is still a valid line; what a byte-forwarding relay produces
   * instead (lines of the wrong length, or fields that fail the check value) is caught without
   * comparing every tail byte. `verifyTail` compares all of it.
   */
  private readonly tailSpots: Uint16Array;

  constructor(opts: TokenCodecOptions) {
    this.layout = chooseLayout(opts.size);
    this.seed = (opts.seed ?? 1) >>> 0;
    const bytes = new Uint8Array(this.layout.decodedBytes);
    bytes[0] = 0x80;
    const secs = Math.floor(opts.unixSeconds ?? Date.now() / 1000);
    // 8-byte big-endian seconds; the top 3 bytes stay zero for the next ten million years
    for (let i = 0; i < 5; i++) bytes[8 - i] = Math.floor(secs / 256 ** i) % 256;
    let x = this.seed ^ 0x2545f491;
    for (let i = (FIELDS_END / 4) * 3; i < bytes.length; i++) {
      x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
      x = Math.imul(x ^ (x >>> 12), 0x297a2d39);
      x ^= x >>> 15;
      bytes[i] = x & 0xff;
    }
    this.template = Buffer.from(`${base64urlPadded(bytes)}\n`, 'latin1');
    const n = this.layout.tokenChars;
    const spots: number[] = [];
    for (let k = FIELDS_END; k < n; k += 16) spots.push(k);
    spots.push(n - 1);
    this.tailSpots = Uint16Array.from(spots);
  }

  /** Full comparison of the constant tail (tests, and where speed does not matter). */
  verifyTail(src: Buffer, at: number): boolean {
    const n = this.layout.tokenChars;
    return this.template.compare(src, at + FIELDS_END, at + n, FIELDS_END, n) === 0;
  }

  get lineBytes(): number {
    return this.layout.lineBytes;
  }

  /** Writes one complete line (token + LF) at dst[at .. at + lineBytes). */
  write(
    dst: Buffer,
    at: number,
    run: number,
    sender: number,
    seq: number,
    tact: number,
    tsched: number,
  ): void {
    this.template.copy(dst, at);
    const ta = clamp48(tact);
    const ts = clamp48(tsched);
    put24(dst, at + C_RUN, run & MAX_24);
    put24(dst, at + C_SENDER, sender & MAX_24);
    put48(dst, at + C_SEQ, seq);
    put48(dst, at + C_TACT, ta);
    put48(dst, at + C_TSCHED, ts);
    put24(dst, at + C_CHECK, mix24(run & MAX_24, sender & MAX_24, seq, ta, ts));
  }

  /** Convenience for tests and probes: one line as a new Buffer. */
  line(run: number, sender: number, seq: number, tact: number, tsched: number): Buffer {
    const b = Buffer.allocUnsafe(this.layout.lineBytes);
    this.write(b, 0, run, sender, seq, tact, tsched);
    return b;
  }

  /**
   * Parses the token at src[at .. at + tokenChars) (the caller has found the LF after it).
   * Returns false for anything that is not a line this codec wrote, unchanged.
   */
  parse(src: Buffer, at: number, out: ParsedToken): boolean {
    const t = this.template;
    for (let i = 0; i < HEAD_CHARS; i++) if (src[at + i] !== t[i]) return false;
    const run = get24(src, at + C_RUN);
    const sender = get24(src, at + C_SENDER);
    const seqHi = get24(src, at + C_SEQ);
    const seqLo = get24(src, at + C_SEQ + 4);
    const taHi = get24(src, at + C_TACT);
    const taLo = get24(src, at + C_TACT + 4);
    const tsHi = get24(src, at + C_TSCHED);
    const tsLo = get24(src, at + C_TSCHED + 4);
    const check = get24(src, at + C_CHECK);
    if ((run | sender | seqHi | seqLo | taHi | taLo | tsHi | tsLo | check) < 0) return false;
    const seq = seqHi * TWO_24 + seqLo;
    const tact = taHi * TWO_24 + taLo;
    const tsched = tsHi * TWO_24 + tsLo;
    if (mix24(run, sender, seq, tact, tsched) !== check) return false;
    const spots = this.tailSpots;
    for (let i = 0; i < spots.length; i++) {
      const k = spots[i]!;
      if (src[at + k] !== t[k]) return false;
    }
    out.run = run;
    out.sender = sender;
    out.seq = seq;
    out.tact = tact;
    out.tsched = tsched;
    return true;
  }
}

/** True if `line` (no LF) starts like a hub notice. */
export function isNotice(buf: Uint8Array, at: number): boolean {
  return buf[at] === HASH;
}
