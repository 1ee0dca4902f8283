import {
  CATCH_UP_MS,
  DEFAULT_STUCK_MS,
  EAGER_FLUSH_BYTES,
  FIRST_CATCH_UP_MS,
  LINGER_MS,
  QUEUE_HARD_LIMIT_FACTOR,
  WRITE_HIGH_WATER_BYTES,
} from '../config/queueLimits.ts';
import type { Transport } from '../streams/transport.ts';
import { PendingFrames } from './pendingFrames.ts';
import type { RoomBackpressure } from './backpressure.ts';
import type { FlushScheduler } from './flushScheduler.ts';

export interface QueueOptions<Peer> {
  /**
   * Bytes that may wait to be written to this peer. Past them it is behind until it is back to half
   * of them, and at QUEUE_HARD_LIMIT_FACTOR times this it is dropped as a slow consumer.
   */
  readonly maxQueueBytes: number;
  readonly scheduler: FlushScheduler;
  /**
   * The room's overload protection: told when this peer's writes back up and clear, asked whether
   * to wait when it falls behind, told when that wait ends. Without it, no one waits.
   */
  readonly backpressure?: RoomBackpressure<Peer> | undefined;
  /** A peer whose writes stay backed up this long without draining once is stuck: slow consumer. */
  readonly stuckMs?: number;
  /** The longest the room waits for this peer to catch up; CATCH_UP_MS. */
  readonly catchUpMs?: number;
}

/** What the queue needs of the connection it writes for: whether it closes, and a way to drop it. */
export interface QueueOwner {
  readonly isClosing: boolean;
  close(reason: 'slow-consumer'): void;
}

/**
 * The outbound side of one connection, as `ws` has a Sender beside its Receiver: a queue bounded
 * in bytes, written to the Transport once per event-loop turn, and the whole slow-consumer
 * policy. A peer past its queue limit is behind, and the room may wait for it; one whose queue
 * reaches the hard limit, or whose writes stay backed up for stuckMs, is closed as a slow
 * consumer so that it cannot hold up the rest.
 */
export class OutboundQueue<Peer extends QueueOwner> {
  private readonly pending = new PendingFrames();
  /** Ending: the transport ends once what is queued is written, and nothing more is taken. */
  private ending = false;
  private marked = false;
  private congested = false;
  /** From passing its queue limit until it is back to half of it. */
  private behind = false;
  /** Set while the room waits for this peer to catch up, since `behindSince`. */
  private catchUp: NodeJS.Timeout | undefined;
  private behindSince = 0;
  private stuck: NodeJS.Timeout | undefined;
  /** Whether the room counts this peer's writes as backed up. */
  private counted = false;
  /** Destroys the transport of a closing peer that has not taken its last bytes in time. */
  private linger: NodeJS.Timeout | undefined;
  /**
   * Set once a backed-up write to this peer has drained: it has shown that it reads. Until then
   * (it may never read at all) its backed-up writes count for no one's backpressure, the room
   * waits for it FIRST_CATCH_UP_MS at most, and its hard limit and stuck timer bound it.
   */
  private reads = false;
  /**
   * The latest congestion, until the event loop's check phase after it: a drain before then shows
   * no reading. Over TLS a write stays in `writableLength` until Node completes it in that check
   * phase (a native immediate, before ours), however fast the kernel took it, so every write past
   * the mark backs up and drains at once, even to a client that never reads: judged by that,
   * every TLS client was seen reading at its first 256 KiB, and waves of TLS non-readers held the
   * room (npm run attack's tls-non-readers: the pair's p99 at 5.7 s). A write still backed up when
   * our immediate runs is one the kernel did not take.
   */
  private fresh: object | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly options: QueueOptions<Peer>,
    /** The connection as the room's backpressure knows it, and what a slow consumer closes. */
    private readonly owner: Peer,
  ) {}

  get queuedBytes(): number {
    return this.pending.bytes + this.transport.writableLength;
  }

  /** Whether a backed-up write to this peer has ever drained (see `reads`). */
  get seenReading(): boolean {
    return this.reads;
  }

  /** Queues whole frames; the owner sends nothing once it is closing. */
  send(data: Buffer): void {
    if (this.ending) return;
    const waiting = this.pending.bytes + this.transport.writableLength;
    const queued = waiting + data.length;
    // An empty queue always takes the frame: only a backlog makes a slow consumer.
    if (queued > this.options.maxQueueBytes && waiting > 0 && !this.mayExceedLimit(queued)) {
      this.owner.close('slow-consumer');
      return;
    }
    this.pending.push(data);
    // One poll phase can read megabytes; past this, batching gains nothing and the kernel should have it.
    if (this.pending.bytes >= EAGER_FLUSH_BYTES) {
      this.writePending();
      return;
    }
    if (!this.marked) {
      this.marked = true;
      this.options.scheduler.mark(this);
    }
  }

  /** The scheduler's call, once per event-loop turn in which something was queued. */
  flush(): void {
    this.marked = false;
    this.writePending();
  }

  /**
   * The client has finished sending and its last frames are framed: what is queued for it still
   * goes out first (it may be reading until our end), for as long as a closing peer gets (one that
   * never reads again must not hold its slot for ever).
   */
  endOnceWritten(): void {
    if (this.ending) return;
    this.ending = true;
    this.linger = setTimeout(() => this.transport.destroy(), LINGER_MS);
    this.linger.unref();
    this.writePending();
  }

  /**
   * The outbound half of closing: the room stops waiting for this peer and counting it, `bye` goes
   * out (best effort) and the transport ends; one that has not taken it all after `lingerMs` is
   * destroyed.
   */
  close(reason: string, bye: Buffer | undefined, lingerMs: number): void {
    // A closing peer holds no one up: it may take up to lingerMs to be gone.
    clearTimeout(this.stuck);
    this.stopWaiting();
    this.countCongestion(false);
    if (reason === 'slow-consumer') {
      // Whatever is queued would only deepen the backlog: the bye goes alone, past the queue.
      this.pending.clear();
      if (bye) this.transport.end(bye);
      else this.transport.end();
    } else {
      if (bye) {
        this.pending.push(bye);
      }
      // The transport ends once everything queued is written (at once, unless it is backed up).
      this.ending = true;
      this.writePending();
    }
    clearTimeout(this.linger);
    this.linger = setTimeout(() => this.transport.destroy(), lingerMs);
    this.linger.unref();
  }

  /** The connection is gone: let go of what is queued, of the timers, and of the room's wait. */
  release(): void {
    this.pending.clear();
    clearTimeout(this.stuck);
    clearTimeout(this.linger);
    this.stopWaiting();
  }

  /**
   * Hands queued frames to the transport, MAX_WRITE_BYTES at a time (see PendingFrames). While the
   * transport is backed up the rest waits here, not in Node's buffer: each drain then shows that
   * the reader is taking.
   */
  private writePending(): void {
    const transport = this.transport;
    while (this.pending.length > 0 && !this.congested && !transport.destroyed) {
      this.pending.writeBatch(transport);
      // Past Node's own mark (16 KiB) write() said false, so 'drain' will come once it is written.
      if (transport.writableLength >= WRITE_HIGH_WATER_BYTES) this.congest();
    }
    if (this.behind && this.pending.bytes + transport.writableLength <= this.options.maxQueueBytes / 2) {
      // Caught up (to half its limit): the room need not wait for it, and may again next time.
      this.behind = false;
      this.stopWaiting();
    }
    if (this.pending.length === 0 && this.ending) transport.end();
  }

  /**
   * Whether a queue over its limit may stay: it is under the hard limit. The room is asked once per
   * time the peer falls behind, and again on each frame while reading is paused for everyone, so
   * that it waits for the peer once the pause lifts. (Taking the pause as the answer let the
   * saturated Node generator push 57 k msg/s instead of 35 k into the hub, seconds late.)
   */
  private mayExceedLimit(queued: number): boolean {
    if (queued > this.options.maxQueueBytes * QUEUE_HARD_LIMIT_FACTOR) return false;
    if (this.behind) return true;
    const verdict = this.options.backpressure?.waitFor(this.owner) ?? 'no';
    if (verdict === 'later') return true;
    this.behind = true;
    if (verdict === 'wait') {
      this.behindSince = performance.now();
      const catchUpMs = this.options.catchUpMs ?? CATCH_UP_MS;
      // One that has never been seen to read may never read: a short wait, unless it drains.
      this.waitUntil(this.reads ? catchUpMs : Math.min(catchUpMs, FIRST_CATCH_UP_MS));
    }
    return true;
  }

  /** (Re)sets the end of the room's wait for this peer, `ms` after it fell behind. */
  private waitUntil(ms: number): void {
    clearTimeout(this.catchUp);
    this.catchUp = setTimeout(() => this.stopWaiting(), ms - (performance.now() - this.behindSince));
    this.catchUp.unref();
  }

  /** The room need not wait for this peer any longer (it caught up, the time is out, or it closes). */
  private stopWaiting(): void {
    if (this.catchUp === undefined) return;
    clearTimeout(this.catchUp);
    this.catchUp = undefined;
    this.options.backpressure?.underLimit(this.owner);
  }

  /**
   * Writes back up: tell the room, and hold further writes until the transport drains. A peer that
   * does not drain once in stuckMs takes nothing at all: it is stuck, and dropped. (One that is
   * slow but reading drains once the kernel's buffers have room again, which on loopback can take a
   * couple of megabytes of reading; its hard limit is what bounds it.)
   */
  private congest(): void {
    this.congested = true;
    const fresh = {};
    this.fresh = fresh;
    // A closing peer has its linger timer, and counts for no one's backpressure.
    if (!this.owner.isClosing) {
      // One never seen to read may never read: its backlog counts for no one's backpressure (a
      // wave of them would hold the room until their stuck timers drop them).
      if (this.reads) this.countCongestion(true);
      this.stuck = setTimeout(
        () => this.owner.close('slow-consumer'),
        this.options.stuckMs ?? DEFAULT_STUCK_MS,
      );
      this.stuck.unref();
    }
    setImmediate(() => {
      if (this.fresh === fresh) this.fresh = undefined;
    });
    this.transport.once('drain', () => {
      clearTimeout(this.stuck);
      this.congested = false;
      if (!this.reads && this.fresh !== fresh) {
        this.reads = true;
        // It reads after all: the room's wait for it, if still on, is the full one.
        if (this.catchUp !== undefined) this.waitUntil(this.options.catchUpMs ?? CATCH_UP_MS);
      }
      this.writePending();
      // Still backed up while its own backlog waits: only a peer that has written it all is clear.
      if (!this.congested) this.countCongestion(false);
    });
  }

  private countCongestion(congested: boolean): void {
    if (congested === this.counted) return;
    this.counted = congested;
    this.options.backpressure?.update(this.owner, congested);
  }
}
