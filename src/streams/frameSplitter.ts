import type { FrameEvent, Framing } from './frameEvent.ts';

const LF = 0x0a;
const CR = 0x0d;
const LF_BUFFER = Buffer.from([LF]);

export interface FrameSplitterOptions {
  /** Most bytes a frame may have before its LF. */
  readonly maxFrameBytes: number;
  /** `chunk`: a read that ends without LF also ends a frame (the seed's framing, SPEC §4). */
  readonly framing?: Framing;
}

/**
 * The state of framing one byte stream: the part of a frame still waiting for its LF, or the
 * fact that an oversize frame is being skipped. Empty lines are not frames and are skipped.
 */
export class FrameSplitter {
  private readonly maxFrameBytes: number;
  private readonly chunkFraming: boolean;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private skipping = false;

  constructor(options: FrameSplitterOptions) {
    this.maxFrameBytes = options.maxFrameBytes;
    this.chunkFraming = options.framing === 'chunk';
  }

  push(chunk: Buffer, emit: (event: FrameEvent) => void): void {
    let pos = 0;
    if (this.skipping || this.carryBytes > 0) {
      const lf = chunk.indexOf(LF);
      if (lf < 0) {
        this.holdRest(chunk, emit);
        return;
      }
      pos = lf + 1;
      if (this.skipping) this.skipping = false;
      else this.completeCarried(chunk.subarray(0, pos), emit);
    }

    let runStart = pos;
    let count = 0;
    for (let lf = chunk.indexOf(LF, pos); lf >= 0; lf = chunk.indexOf(LF, pos)) {
      const hasCr = lf > pos && chunk[lf - 1] === CR;
      const length = lf - pos - (hasCr ? 1 : 0);
      if (length === 0 || hasCr || length > this.maxFrameBytes) {
        // This line cannot join the run as it stands: close the run before it.
        if (count > 0) emit({ kind: 'frames', data: chunk.subarray(runStart, pos), count });
        count = 0;
        runStart = lf + 1;
        if (length > this.maxFrameBytes) this.oversize(length, emit);
        else if (length > 0) emit(line([chunk.subarray(pos, pos + length)]));
      } else {
        count++;
      }
      pos = lf + 1;
    }
    if (count > 0) emit({ kind: 'frames', data: chunk.subarray(runStart, pos), count });
    if (pos < chunk.length) this.holdRest(chunk.subarray(pos), emit);
  }

  /** The stream ended: a frame without its LF is incomplete and is dropped (returns its size). */
  end(): number {
    const dropped = this.carryBytes;
    this.carry = [];
    this.carryBytes = 0;
    this.skipping = false;
    return dropped;
  }

  private holdRest(rest: Buffer, emit: (event: FrameEvent) => void): void {
    if (this.skipping) return;
    this.carry.push(rest);
    this.carryBytes += rest.length;
    if (this.chunkFraming) {
      const frame = withoutCr(this.carry);
      this.carry = [];
      this.carryBytes = 0;
      const length = lengthOf(frame);
      if (length > this.maxFrameBytes) this.oversize(length, emit);
      else if (length > 0) emit(line(frame));
    } else if (this.carryBytes > this.maxFrameBytes + 1) {
      // +1: the last byte might be the CR of a frame of exactly the limit.
      const seen = this.carryBytes;
      this.carry = [];
      this.carryBytes = 0;
      this.skipping = true;
      this.oversize(seen, emit);
    }
  }

  private completeCarried(head: Buffer, emit: (event: FrameEvent) => void): void {
    const parts = this.carry;
    parts.push(head.subarray(0, head.length - 1));
    this.carry = [];
    this.carryBytes = 0;
    const frame = withoutCr(parts);
    const length = lengthOf(frame);
    if (length > this.maxFrameBytes) this.oversize(length, emit);
    else if (length > 0) emit(line(frame));
  }

  private oversize(bytes: number, emit: (event: FrameEvent) => void): void {
    emit({ kind: 'oversize', bytes, limit: this.maxFrameBytes });
  }
}

function lengthOf(parts: readonly Buffer[]): number {
  return parts.reduce((sum, part) => sum + part.length, 0);
}

function line(parts: Buffer[]): FrameEvent {
  return { kind: 'frames', data: Buffer.concat([...parts, LF_BUFFER]), count: 1 };
}

/** Drops a CR at the very end of a frame held in parts (it may sit alone in the last part). */
function withoutCr(parts: Buffer[]): Buffer[] {
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    if (part.length === 0) continue;
    if (part[part.length - 1] === CR) parts[i] = part.subarray(0, part.length - 1);
    break;
  }
  return parts;
}
