import type { FrameEvent, Framing } from './frameEvent.ts';

const LF = 0x0a;
const CR = 0x0d;

export interface FrameSplitterOptions {
  /** Most bytes a frame may have before its LF. */
  readonly maxFrameBytes: number;
  /** `chunk`: a read that ends without LF also ends a frame (the seed's framing, SPEC §4). */
  readonly framing?: Framing;
}

/**
 * The state of framing one byte stream: the part of a frame still waiting for its LF, or the
 * fact that an oversize frame is being skipped. Empty lines are not frames and are skipped.
 *
 * The unfinished part is copied into one Buffer of its own, grown by doubling up to the frame
 * limit: a frame that trickles in one byte per read costs its own size, not a Buffer per read
 * (which cost about 100 times the bytes held), and it never pins the reads it came in.
 */
export class FrameSplitter {
  private readonly maxFrameBytes: number;
  private readonly chunkFraming: boolean;
  private carry: Buffer | undefined;
  private carryBytes = 0;
  private skipping = false;

  constructor(options: FrameSplitterOptions) {
    this.maxFrameBytes = options.maxFrameBytes;
    this.chunkFraming = options.framing === 'chunk';
  }

  /** Bytes of memory held for an unfinished frame (the carry's capacity, not only what it holds). */
  get heldBytes(): number {
    return this.carry?.length ?? 0;
  }

  /**
   * Frames `chunk`, stopping after `maxLines` lines (frames, refused lines and oversize reports
   * alike; empty lines are free). Returns how many bytes of `chunk` it took: all of them, or the
   * offset of the first line it left for a later push (flood control holds the rest).
   */
  push(chunk: Buffer, emit: (event: FrameEvent) => void, maxLines = Number.POSITIVE_INFINITY): number {
    if (maxLines <= 0) return 0;
    let lines = 0;
    let pos = 0;
    if (this.skipping || this.carryBytes > 0) {
      const lf = chunk.indexOf(LF);
      if (lf < 0) {
        this.holdRest(chunk, emit);
        return chunk.length;
      }
      pos = lf + 1;
      if (this.skipping) this.skipping = false;
      else if (this.completeCarried(chunk.subarray(0, pos), emit)) lines++;
    }

    let runStart = pos;
    let count = 0;
    while (lines < maxLines) {
      const lf = chunk.indexOf(LF, pos);
      if (lf < 0) break;
      const hasCr = lf > pos && chunk[lf - 1] === CR;
      const length = lf - pos - (hasCr ? 1 : 0);
      if (length === 0 || hasCr || length > this.maxFrameBytes) {
        // This line cannot join the run as it stands: close the run before it.
        if (count > 0) emit({ kind: 'frames', data: chunk.subarray(runStart, pos), count });
        count = 0;
        runStart = lf + 1;
        if (length > 0) {
          lines++;
          if (length > this.maxFrameBytes) this.oversize(length, emit);
          else emit(line(chunk.subarray(pos, pos + length)));
        }
      } else {
        count++;
        lines++;
      }
      pos = lf + 1;
    }
    if (count > 0) emit({ kind: 'frames', data: chunk.subarray(runStart, pos), count });
    if (pos < chunk.length) {
      if (lines >= maxLines) return pos;
      this.holdRest(chunk.subarray(pos), emit);
    }
    return chunk.length;
  }

  /** The stream ended: a frame without its LF is incomplete and is dropped (returns its size). */
  end(): number {
    const dropped = this.carryBytes;
    this.clearCarry();
    this.skipping = false;
    return dropped;
  }

  private holdRest(rest: Buffer, emit: (event: FrameEvent) => void): void {
    if (this.skipping) return;
    if (this.chunkFraming) {
      const frame = withoutCr(this.carryBytes > 0 ? Buffer.concat([this.carried(), rest]) : rest);
      this.clearCarry();
      if (frame.length > this.maxFrameBytes) this.oversize(frame.length, emit);
      else if (frame.length > 0) emit(line(frame));
      return;
    }
    const seen = this.carryBytes + rest.length;
    // +1: the last byte might be the CR of a frame of exactly the limit.
    if (seen > this.maxFrameBytes + 1) {
      this.clearCarry();
      this.skipping = true;
      this.oversize(seen, emit);
      return;
    }
    this.append(rest);
  }

  /** Copies `bytes` onto the carry, doubling its capacity as needed (never past the frame limit). */
  private append(bytes: Buffer): void {
    const needed = this.carryBytes + bytes.length;
    if (this.carry === undefined || needed > this.carry.length) {
      const capacity = Math.min(this.maxFrameBytes + 2, Math.max(needed, 2 * (this.carry?.length ?? 32)));
      // Not from the shared pool: a small carry must not pin an 8 KiB slab shared with others.
      const grown = Buffer.allocUnsafeSlow(capacity);
      this.carry?.copy(grown, 0, 0, this.carryBytes);
      this.carry = grown;
    }
    bytes.copy(this.carry, this.carryBytes);
    this.carryBytes = needed;
  }

  private carried(): Buffer {
    return this.carry!.subarray(0, this.carryBytes);
  }

  private clearCarry(): void {
    this.carry = undefined;
    this.carryBytes = 0;
  }

  /** Ends the carried frame with `head` (which ends in its LF); true if it made a line. */
  private completeCarried(head: Buffer, emit: (event: FrameEvent) => void): boolean {
    const whole = Buffer.concat([this.carried(), head]);
    this.clearCarry();
    let length = whole.length - 1;
    if (length > 0 && whole[length - 1] === CR) whole[--length] = LF;
    if (length > this.maxFrameBytes) this.oversize(length, emit);
    else if (length > 0) emit({ kind: 'frames', data: whole.subarray(0, length + 1), count: 1 });
    return length > 0;
  }

  private oversize(bytes: number, emit: (event: FrameEvent) => void): void {
    emit({ kind: 'oversize', bytes, limit: this.maxFrameBytes });
  }
}

function line(frame: Buffer): FrameEvent {
  const data = Buffer.allocUnsafe(frame.length + 1);
  frame.copy(data);
  data[frame.length] = LF;
  return { kind: 'frames', data, count: 1 };
}

/** Drops a CR at the very end of a frame. */
function withoutCr(frame: Buffer): Buffer {
  return frame.length > 0 && frame[frame.length - 1] === CR ? frame.subarray(0, frame.length - 1) : frame;
}
