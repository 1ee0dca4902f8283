import { type JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { LogRecord } from '../streams/hubEvent.ts';
import { batchesOf, batchId, framesIn, MAX_SEGMENTS, sendersHeader } from './batches.ts';
import { natsProblem } from './clusterError.ts';
import { SENDERS_HEADER } from './roomNames.ts';
import { UnackedQueue } from './unackedQueue.ts';

/** Messages published at once before their acknowledgements are awaited. */
const WINDOW = 256;
/** A publish unacknowledged this long is sent again (same id: stored once). */
const ACK_TIMEOUT_MS = 2_000;
/** After a failed round, the next one waits this long (or until NATS is back). */
const RETRY_MS = 250;

/**
 * Publishes local peers' frames to the room's stream, as the hub writes to its peers: what its
 * peers sent in one turn of the event loop goes out together, in as few messages as fit under
 * NATS's max payload (each listing whose frames it holds), holding every message until JetStream
 * acknowledges it (UnackedQueue), and sending again, oldest first and under the same ids, what
 * was not. Only a prefix of a round is let go: what follows a failure is sent again too, so a
 * sender's frames keep their order (a message stored twice is stored once: `Nats-Msg-Id`).
 */
export class Publisher {
  private readonly queue: UnackedQueue;
  private pumping = false;
  private closed = false;
  /** The refusals since the queue last had room: one log line per stretch. */
  private refusing = false;
  private failing = false;
  /** NATS is connected, as far as its status says: while it is not, nothing is sent (it would be dropped). */
  private up = true;
  private wake: (() => void) | undefined;
  private emptied: (() => void)[] = [];
  /** What peers sent this turn, in order, not yet made into messages (views of their runs). */
  private pending: { sender: number; data: Buffer; frames: number }[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly subject: string,
    maxUnackedBytes: number,
    private readonly maxPayload: number,
    private readonly log: (record: LogRecord) => void,
  ) {
    this.queue = new UnackedQueue(maxUnackedBytes);
  }

  /** Bytes held unacknowledged. */
  get heldBytes(): number {
    return this.queue.bytes + this.pendingBytes;
  }

  /**
   * Takes a peer's run of frames for the stream: as many whole frames from its start as fit
   * within the bound. Returns how many frames were refused (0: all taken).
   */
  offer(sender: number, data: Buffer): number {
    const room = this.queue.maxBytes - this.heldBytes;
    const taken = data.length <= room ? data : data.subarray(0, prefixWithin(data, room));
    if (taken.length < data.length) {
      if (!this.refusing)
        this.log({
          event: 'cluster-full',
          held: this.heldBytes,
          limit: this.queue.maxBytes,
          detail: 'NATS has not acknowledged what this hub holds; new frames are refused until it does',
        });
      this.refusing = true;
    } else if (this.refusing) {
      this.log({ event: 'cluster-accepting', held: this.heldBytes });
      this.refusing = false;
    }
    if (taken.length > 0) {
      if (this.pending.length === 0) setImmediate(() => this.pack());
      for (const part of batchesOf(taken, this.maxPayload))
        this.pending.push({ sender, data: part, frames: framesIn(part) });
      this.pendingBytes += taken.length;
    }
    return taken.length === data.length ? 0 : framesIn(data.subarray(taken.length));
  }

  /** NATS is away: hold everything until it is back. */
  disconnected(): void {
    this.up = false;
  }

  /** NATS is back: send again now rather than at the next round. */
  reconnected(): void {
    this.up = true;
    this.wake?.();
  }

  /** Resolves when everything held is acknowledged, or after `timeoutMs`; true if it was. */
  flushed(timeoutMs: number): Promise<boolean> {
    if (this.queue.length === 0 && this.pending.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.emptied.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  /**
   * This turn's runs into messages, in order: consecutive runs share a message while it stays
   * under the max payload and MAX_SEGMENTS runs. Each message is a copy (a run is a view of its
   * peer's read, which history and peers share), named by its digest.
   */
  private pack(): void {
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    let i = 0;
    while (i < pending.length) {
      let bytes = pending[i]!.data.length;
      let j = i + 1;
      while (j < pending.length && j - i < MAX_SEGMENTS && bytes + pending[j]!.data.length <= this.maxPayload)
        bytes += pending[j++]!.data.length;
      const parts = pending.slice(i, j);
      const data = Buffer.concat(
        parts.map((part) => part.data),
        bytes,
      );
      this.queue.offer({ id: batchId(data), data, senders: sendersHeader(parts) });
      i = j;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        if (!this.up) {
          await this.pause();
          continue;
        }
        const round = this.queue.peek(WINDOW);
        const results = await Promise.allSettled(
          round.map((item) => {
            const h = headers();
            h.set(SENDERS_HEADER, item.senders);
            return this.js.publish(this.subject, item.data, {
              msgID: item.id,
              headers: h,
              timeout: ACK_TIMEOUT_MS,
            });
          }),
        );
        let acked = 0;
        while (acked < results.length && results[acked]!.status === 'fulfilled') acked++;
        this.queue.acknowledge(acked);
        if (acked === results.length) {
          if (this.failing) this.log({ event: 'cluster-publishing', held: this.queue.bytes });
          this.failing = false;
          continue;
        }
        const failure = results[acked] as PromiseRejectedResult;
        if (!this.failing)
          this.log({
            event: 'cluster-retrying',
            held: this.queue.bytes,
            messages: this.queue.length,
            detail: natsProblem(failure.reason),
          });
        this.failing = true;
        await this.pause();
      }
    } finally {
      this.pumping = false;
      if (this.queue.length === 0) for (const resolve of this.emptied.splice(0)) resolve();
    }
  }

  /** Until the next round: RETRY_MS, or sooner when NATS is back. */
  private async pause(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RETRY_MS);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }
}

/** The length of the longest run of whole frames at the start of `data` within `bytes`. */
function prefixWithin(data: Buffer, bytes: number): number {
  let end = 0;
  for (;;) {
    const lf = data.indexOf(0x0a, end);
    if (lf < 0 || lf + 1 > bytes) return end;
    end = lf + 1;
  }
}
