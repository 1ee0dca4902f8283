import { frameDigest } from '../protocol/frameDigest.ts';

const LF = 0x0a;

/**
 * A run of LF-ended frames cut into NATS messages of at most `maxBytes` each, at frame
 * boundaries, as views of `data` (no copy). A frame longer than `maxBytes` is a message alone;
 * the hub's config keeps frames under NATS's max payload, so that does not happen there.
 */
export function batchesOf(data: Buffer, maxBytes: number): Buffer[] {
  if (data.length <= maxBytes) return [data];
  const batches: Buffer[] = [];
  let start = 0;
  let end = 0;
  while (end < data.length) {
    const lf = data.indexOf(LF, end);
    const next = lf < 0 ? data.length : lf + 1;
    if (next - start > maxBytes && end > start) {
      batches.push(data.subarray(start, end));
      start = end;
    }
    end = next;
  }
  if (end > start) batches.push(data.subarray(start, end));
  return batches;
}

/** Frames (LFs) in a batch. */
export function framesIn(batch: Buffer): number {
  let count = 0;
  for (let at = batch.indexOf(LF); at >= 0; at = batch.indexOf(LF, at + 1)) count++;
  return count;
}

/**
 * A batch's `Nats-Msg-Id`: the frame digest of its bytes (for a batch of one frame, the frame's
 * own digest without its LF). It depends on the bytes only, so a batch sent again after a lost
 * acknowledgement has the same id, and JetStream stores it once.
 */
export function batchId(batch: Buffer): string {
  const end = batch.length > 0 && batch[batch.length - 1] === LF ? batch.length - 1 : batch.length;
  return frameDigest(batch, 0, end);
}

/** A part of a NATS message: `frames` frames of one sender, at `start … end` of its bytes. */
export interface SenderSegment {
  readonly sender: number;
  readonly frames: number;
  readonly start: number;
  readonly end: number;
}

/** Most senders' runs in one NATS message: their list goes in a header, which counts in max_payload. */
export const MAX_SEGMENTS = 48;

/** The `Fernet-Chat-Senders` header of a message: `sender:frames` per run, in order, comma-separated. */
export function sendersHeader(segments: readonly { sender: number; frames: number }[]): string {
  return segments.map(({ sender, frames }) => `${sender}:${frames}`).join(',');
}

/**
 * The runs of a message as its header lists them, checked against its bytes (each run whole
 * frames, all of them covered); undefined if the header does not match (not one of ours).
 */
export function segmentsOf(header: string | undefined, data: Buffer): SenderSegment[] | undefined {
  if (header === undefined || header === '') return undefined;
  const segments: SenderSegment[] = [];
  let start = 0;
  for (const part of header.split(',')) {
    const match = /^(\d{1,16}):(\d{1,9})$/.exec(part);
    if (match === null) return undefined;
    const sender = Number(match[1]);
    const frames = Number(match[2]);
    if (frames === 0 || !Number.isSafeInteger(sender)) return undefined;
    let end = start;
    for (let k = 0; k < frames; k++) {
      const lf = data.indexOf(LF, end);
      if (lf < 0) return undefined;
      end = lf + 1;
    }
    segments.push({ sender, frames, start, end });
    start = end;
  }
  return start === data.length ? segments : undefined;
}
