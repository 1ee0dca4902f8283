import { COALESCE_BYTES, MAX_WRITE_BYTES } from '../config/queueLimits.ts';
import type { Transport } from '../streams/transport.ts';

/** Slots an emptied queue keeps for the next turn; one that grew past them in a backlog lets them go. */
const KEPT_SLOTS = 64;

/**
 * A peer's frames waiting for its next write, and how a batch of them is handed to its transport.
 * The array is kept from one write to the next: a fresh array per peer per event-loop turn was a
 * third of what a busy hub allocated (its allocation profile under the room preset), and what a
 * hub allocates it pays for in scavenges, that is in latency.
 */
export class PendingFrames {
  /** The waiting frames are frames[head … tail); the slots before head are cleared. */
  private frames: (Buffer | undefined)[] = [];
  private head = 0;
  private tail = 0;
  private byteCount = 0;

  get length(): number {
    return this.tail - this.head;
  }

  get bytes(): number {
    return this.byteCount;
  }

  push(frame: Buffer): void {
    this.frames[this.tail++] = frame;
    this.byteCount += frame.length;
  }

  clear(): void {
    this.frames = [];
    this.head = 0;
    this.tail = 0;
    this.byteCount = 0;
  }

  /**
   * Hands the transport one write of the oldest frames, at least one and MAX_WRITE_BYTES at most:
   * a few small frames as one Buffer (COALESCE_BYTES), more as a corked writev with no copy.
   */
  writeBatch(transport: Transport): void {
    const frames = this.frames;
    const head = this.head;
    if (this.tail - head === 1) {
      // The common case of a busy room (one frame per peer per turn), kept short: it runs once
      // per recipient of every frame.
      const frame = frames[head]!;
      frames[head] = undefined;
      this.head = 0;
      this.tail = 0;
      this.byteCount = 0;
      if (frames.length > KEPT_SLOTS) this.frames = [];
      transport.write(frame);
      return;
    }
    let end = head;
    let bytes = 0;
    while (end < this.tail && bytes < MAX_WRITE_BYTES) bytes += frames[end++]!.length;
    if (end - head === 1) {
      transport.write(frames[head]!);
    } else if (bytes <= COALESCE_BYTES) {
      const data = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (let i = head; i < end; i++) at += frames[i]!.copy(data, at);
      transport.write(data);
    } else {
      transport.cork();
      for (let i = head; i < end; i++) transport.write(frames[i]!);
      transport.uncork();
    }
    // A loop, not fill(): fill is a call into the runtime that cost more than the few slots it clears.
    for (let i = head; i < end; i++) frames[i] = undefined;
    this.head = end;
    this.byteCount -= bytes;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      if (frames.length > KEPT_SLOTS) this.frames = [];
    } else if (this.head > KEPT_SLOTS && this.head * 2 > this.tail) {
      // A backlog that never empties would otherwise grow the array for ever.
      frames.copyWithin(0, this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
      frames.length = this.tail;
    }
  }
}
