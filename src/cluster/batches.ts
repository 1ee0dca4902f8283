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
