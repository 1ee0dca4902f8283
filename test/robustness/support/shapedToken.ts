/**
 * Tokens that pass the hub's shape check (SPEC §4) without being encrypted, carrying a sender id
 * and a sequence number, so that raw-socket tests and the soak test can check what arrived, once,
 * in order, without the cost of Fernet. Decoded layout: 0x80, 8 bytes of time (0), sender (u32),
 * seq (u32), a check word (u32), then filler up to 57 + 16k bytes.
 */

const VERSION = 0x80;
const SENDER_AT = 9;
const SEQ_AT = 13;
const CHECK_AT = 17;
const FIELDS_END = 21;
const MAGIC = 0x5eed_f00d;

export interface ShapedToken {
  readonly sender: number;
  readonly seq: number;
}

/** Decoded bytes for k 16-byte blocks: 57 + 16k (k ≥ 1). */
export function decodedBytesFor(k: number): number {
  return 57 + 16 * k;
}

/** Text of a valid-shape token for (sender, seq); `k` sets its size (k = 1: 100 characters). */
export function shapedToken(sender: number, seq: number, k = 1): string {
  const bytes = Buffer.alloc(decodedBytesFor(k), 0x5a);
  bytes[0] = VERSION;
  bytes.fill(0, 1, SENDER_AT);
  bytes.writeUInt32BE(sender >>> 0, SENDER_AT);
  bytes.writeUInt32BE(seq >>> 0, SEQ_AT);
  bytes.writeUInt32BE((MAGIC ^ sender ^ seq) >>> 0, CHECK_AT);
  return withPadding(bytes.toString('base64url'));
}

/** The same as a line, LF included. */
export function shapedLine(sender: number, seq: number, k = 1): Buffer {
  return Buffer.from(`${shapedToken(sender, seq, k)}\n`, 'latin1');
}

/** Reads sender and seq back from a token made by shapedToken, or undefined for anything else. */
export function readShapedToken(text: string | Buffer): ShapedToken | undefined {
  const source = typeof text === 'string' ? text : text.toString('latin1');
  // The fields sit in the first 28 characters (21 bytes); decode just those.
  if (source.length < 100) return undefined;
  const head = Buffer.from(source.slice(0, 28), 'base64url');
  if (head.length < FIELDS_END || head[0] !== VERSION) return undefined;
  const sender = head.readUInt32BE(SENDER_AT);
  const seq = head.readUInt32BE(SEQ_AT);
  if (head.readUInt32BE(CHECK_AT) !== (MAGIC ^ sender ^ seq) >>> 0) return undefined;
  return { sender, seq };
}

function withPadding(text: string): string {
  return text + '='.repeat((4 - (text.length % 4)) % 4);
}
