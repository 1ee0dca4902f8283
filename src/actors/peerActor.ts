import { Observable, type Subscriber } from 'rxjs';
import {
  CATCH_UP_MS,
  CLOSING_READ_BYTES,
  DEFAULT_STUCK_MS,
  EAGER_FLUSH_BYTES,
  FIRST_CATCH_UP_MS,
  LINGER_MS,
  MAX_WRITE_BYTES,
  QUEUE_HARD_LIMIT_FACTOR,
  WRITE_HIGH_WATER_BYTES,
} from '../config/queueLimits.ts';
import { VIEW_FACTOR } from '../config/memoryBudget.ts';
import { notice } from '../protocol/notice.ts';
import { classifyFrameEvent } from '../streams/classifyFrames.ts';
import type { FrameEvent, FrameRun, Framing } from '../streams/frameEvent.ts';
import { FrameSplitter } from '../streams/frameSplitter.ts';
import type { AddressBuckets } from './addressBuckets.ts';
import { addressKey } from './addressKey.ts';
import type { FlushScheduler } from './flushScheduler.ts';
import { FloodGate } from './floodGate.ts';
import type { HubEvent, PeerId } from '../streams/hubEvent.ts';
import type { Transport } from '../streams/transport.ts';
import type { InputBudget } from './inputBudget.ts';
import { TokenBucket } from './tokenBucket.ts';

export interface PeerOptions {
  readonly maxFrameBytes: number;
  /**
   * Bytes that may wait to be written to this peer. Past them it is behind until it is back to half
   * of them (see `waitFor`), and at QUEUE_HARD_LIMIT_FACTOR times this it is dropped as a slow
   * consumer.
   */
  readonly maxQueueBytes: number;
  readonly framing: Framing;
  readonly notices: boolean;
  /**
   * Lines per second before reads pause (0: no flood control), and the burst allowed. Every line
   * counts, refused ones too: a flood of garbage costs the hub replies and log lines.
   */
  readonly floodRate: number;
  readonly floodBurst: number;
  /** The buckets that all connections from one address share (flood control per address). */
  readonly addressBuckets?: AddressBuckets;
  /** The hub-wide bound on input held for unfinished frames and held-back reads. */
  readonly inputBudget?: InputBudget<PeerActor>;
  readonly scheduler: FlushScheduler;
  /**
   * Told when writes to this peer start backing up (the socket's buffer is full), and when it has
   * written all it held or starts closing: a closing peer holds no one up.
   */
  readonly onCongestion?: (peer: PeerActor, congested: boolean) => void;
  /**
   * Asked when this peer falls behind (its queue passes its limit): `wait` if the hub stops
   * reading until the peer has caught up (`onUnderLimit` ends the wait; catchUpMs at most, or
   * FIRST_CATCH_UP_MS for a peer not yet seen reading); `later` if reading is paused for everyone
   * already, and the peer is asked again on its next frame, so that the hub may wait for it once
   * the pause lifts; `no` if the hub will not wait for it. Without it, no one waits.
   */
  readonly waitFor?: (peer: PeerActor) => WaitVerdict;
  /** Told when the wait for this peer ends: back to half its limit, catchUpMs out, or closing. */
  readonly onUnderLimit?: (peer: PeerActor) => void;
  /** A peer whose writes stay backed up this long without draining once is stuck: slow consumer. */
  readonly stuckMs?: number;
  /** The longest the hub waits for this peer to catch up (`waitFor`); CATCH_UP_MS. */
  readonly catchUpMs?: number;
  /** Told once a peer's events have ended (after `left`, or when they are unsubscribed from). */
  readonly onGone?: (peer: PeerActor) => void;
}

// The outbound queue's and a closing peer's limits are gathered in src/config/queueLimits.ts.
export {
  CATCH_UP_MS,
  DEFAULT_STUCK_MS,
  FIRST_CATCH_UP_MS,
  WRITE_HIGH_WATER_BYTES,
} from '../config/queueLimits.ts';

/** The hub's answer when a peer falls behind (see PeerOptions.waitFor). */
export type WaitVerdict = 'wait' | 'later' | 'no';

/** Why reading from a peer may be paused; reads resume when no reason is left. */
export const PauseReason = { Flood: 1, Backpressure: 2, Closing: 4 } as const;
export type PauseReason = (typeof PauseReason)[keyof typeof PauseReason];

/** Errors are reported through `events`; this keeps a late one from becoming an uncaught exception. */
const ignore = (): void => {};

/**
 * One connection of the hub: TCP, or a WebSocket through its Transport.
 *
 * Inbound: `events` is the connection as hub events, from `joined` to `left`, with flood control
 * that pauses reading (TCP then slows the sender; nothing is dropped). The socket's reads go
 * through a FrameSplitter and classifyFrameEvent inside one observable, not a chain of operators:
 * a hub holds thousands of these, and a chain of operators per connection cost about 8 KiB of
 * heap each.
 *
 * Outbound: a queue bounded in bytes, written once per event-loop turn. A peer past its queue
 * limit is behind; one whose queue reaches the hard limit, or whose writes stay backed up for
 * stuckMs, is closed as a slow consumer so that it cannot hold up the rest.
 */
export class PeerActor {
  readonly events: Observable<HubEvent>;
  readonly remoteAddress: string;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private endWhenFlushed = false;
  private marked = false;
  private congested = false;
  /** From passing its queue limit until it is back to half of it. */
  private behind = false;
  /** Set while the hub waits for this peer to catch up, since `behindSince`. */
  private catchUp: NodeJS.Timeout | undefined;
  private behindSince = 0;
  private stuck: NodeJS.Timeout | undefined;
  /** Whether the hub counts this peer's writes as backed up (`onCongestion`). */
  private counted = false;
  private paused = 0;
  private closeReason: string | undefined;
  /**
   * Set once a backed-up write to this peer has drained: it has shown that it reads. Until then
   * (it may never read at all) its backed-up writes count for no one's backpressure, the hub
   * waits for it FIRST_CATCH_UP_MS at most, and its hard limit and stuck timer bound it.
   */
  private reads = false;
  private splitter: FrameSplitter;
  private floodGate: FloodGate | undefined;
  private floodTimer: NodeJS.Timeout | undefined;
  /** Destroys the socket of a closing peer that has not taken its last bytes in time. */
  private linger: NodeJS.Timeout | undefined;
  /** The rest of a read that flood control holds back; reading resumes with it. */
  private held: Buffer | undefined;
  /** The client has finished sending: our side ends once what is held has been framed. */
  private inputEnded = false;
  private heldInput = 0;
  private emitFrames: ((event: FrameEvent) => void) | undefined;
  readonly addressKey: string;

  constructor(
    readonly id: PeerId,
    /** A TCP socket, or a WebSocket adapted to one (src/streams/transport.ts). */
    private readonly socket: Transport,
    /** Shared by every peer of a hub. */
    private readonly options: PeerOptions,
  ) {
    socket.on('error', ignore);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    this.remoteAddress = socket.remoteAddress ?? '?';
    this.addressKey = addressKey(this.remoteAddress);
    this.splitter = new FrameSplitter(options);
    this.events = new Observable<HubEvent>((subscriber) => this.read(subscriber));
  }

  /** The socket as hub events: `joined`, what its frames mean, then `left` with the reason. */
  private read(subscriber: Subscriber<HubEvent>): () => void {
    const { id, socket, options } = this;
    subscriber.next({ type: 'joined', peer: id, remote: `${this.remoteAddress}:${socket.remotePort ?? 0}` });
    if (options.floodRate > 0) {
      const now = performance.now();
      const own = new TokenBucket(options.floodRate, options.floodBurst, now);
      const shared = options.addressBuckets?.acquire(this.addressKey, now);
      this.floodGate = new FloodGate(shared ? [own, shared] : [own]);
    }
    // What follows in a read once the peer is closed (its 100th refused frame, say) goes nowhere.
    // Runs are unpinned once classified: the refused lines cut out of a run may be most of its read.
    const sink = {
      next: (event: HubEvent) => {
        if (this.closeReason !== undefined) return;
        const run = event.type === 'frames' ? unpinned(event.run) : undefined;
        subscriber.next(event.type === 'frames' && run !== event.run ? { ...event, run: run! } : event);
      },
    };
    this.emitFrames = (event: FrameEvent) => classifyFrameEvent(id, event, sink);
    const onData = (chunk: Buffer) => {
      if (this.closeReason === undefined) this.take(chunk);
    };
    const onEnd = () => {
      this.inputEnded = true;
      this.endIfDone();
    };
    const onError = (error: NodeJS.ErrnoException) => {
      this.closeReason ??= error.code?.toLowerCase() ?? 'error';
    };
    const onClose = () => {
      this.release();
      subscriber.next({ type: 'left', peer: id, reason: this.closeReason ?? 'quit' });
      subscriber.complete();
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.once('close', onClose);
    if (socket.destroyed) onClose();
    return () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onClose);
      this.release();
      if (this.floodGate !== undefined) options.addressBuckets?.release(this.addressKey, performance.now());
      this.floodGate = undefined;
      options.onGone?.(this);
    };
  }

  /**
   * Frames a read, as far as flood control allows: every line takes a token, and what the
   * buckets cannot pay for is held, with reading paused, until they can. Nothing is dropped and
   * nothing runs into debt, however many lines one read holds.
   */
  private take(chunk: Buffer): void {
    const gate = this.floodGate;
    const emit = this.emitFrames!;
    if (gate === undefined) {
      this.splitter.push(chunk, emit);
      this.accountInput();
      return;
    }
    const now = performance.now();
    let lines = 0;
    const taken = this.splitter.push(
      chunk,
      (event) => {
        lines += event.kind === 'frames' ? event.count : 1;
        emit(event);
      },
      gate.allowance(now),
    );
    gate.take(lines, now);
    if (taken < chunk.length && this.closeReason === undefined) {
      this.held = chunk.subarray(taken);
      // (It keeps the whole read alive: that is what counts against the input budget.)
      this.pauseReading(PauseReason.Flood, true);
      this.floodTimer = setTimeout(() => {
        this.floodTimer = undefined;
        this.pauseReading(PauseReason.Flood, false);
      }, gate.msUntilNext(now));
      this.floodTimer.unref();
    }
    this.accountInput();
    this.endIfDone();
  }

  /**
   * A client that has finished sending (the hub's sockets allow half-open connections) is closed
   * once its last frames have been framed: flood control may hold some of them back, and they
   * are relayed at its pace, not dropped.
   */
  private endIfDone(): void {
    if (!this.inputEnded || this.held !== undefined || this.endWhenFlushed) return;
    // What is queued for it still goes out first (it may be reading until our end), for as long
    // as a closing peer gets: one that never reads again must not hold its slot for ever.
    this.endWhenFlushed = true;
    this.linger = setTimeout(() => this.socket.destroy(), LINGER_MS);
    this.linger.unref();
    this.writePending();
  }

  /** Tells the hub-wide input budget what this peer holds now (which may drop it). */
  private accountInput(): void {
    const bytes =
      this.closeReason === undefined ? this.splitter.heldBytes + (this.held?.buffer.byteLength ?? 0) : 0;
    if (bytes === this.heldInput) return;
    this.heldInput = bytes;
    this.options.inputBudget?.set(this, bytes);
  }

  /** The connection is gone or going: let go of everything held for it, and of its timers. */
  private release(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.held = undefined;
    this.splitter.end();
    clearTimeout(this.floodTimer);
    clearTimeout(this.stuck);
    clearTimeout(this.linger);
    this.stopWaiting();
    this.accountInput();
  }

  get queuedBytes(): number {
    return this.pendingBytes + this.socket.writableLength;
  }

  /** Whether a backed-up write to this peer has ever drained (see `reads`). */
  get seenReading(): boolean {
    return this.reads;
  }

  /** Bytes held for this peer's input: an unfinished frame, and a read flood control holds back. */
  get inputBytes(): number {
    return this.heldInput;
  }

  get isClosing(): boolean {
    return this.closeReason !== undefined;
  }

  send(data: Buffer): void {
    if (this.closeReason !== undefined || this.endWhenFlushed) return;
    const waiting = this.pendingBytes + this.socket.writableLength;
    const queued = waiting + data.length;
    // An empty queue always takes the frame: only a backlog makes a slow consumer.
    if (queued > this.options.maxQueueBytes && waiting > 0 && !this.mayExceedLimit(queued)) {
      this.close('slow-consumer');
      return;
    }
    this.pending.push(data);
    this.pendingBytes += data.length;
    // One poll phase can read megabytes; past this, batching gains nothing and the kernel should have it.
    if (this.pendingBytes >= EAGER_FLUSH_BYTES) {
      this.writePending();
      return;
    }
    if (!this.marked) {
      this.marked = true;
      this.options.scheduler.mark(this);
    }
  }

  notice(text: string): void {
    if (this.options.notices) this.send(Buffer.from(`${text}\n`));
  }

  /** The scheduler's call, once per event-loop turn in which something was queued. */
  flush(): void {
    this.marked = false;
    this.writePending();
  }

  /**
   * Hands queued slices to the socket, corked so that they go out in one writev (no copy of the
   * shared frame Buffers per peer), at most MAX_WRITE_BYTES at a time. While the socket is backed
   * up the rest waits here, not in Node's buffer: each drain then shows that the reader is taking.
   */
  private writePending(): void {
    while (this.pending.length > 0 && !this.congested && !this.socket.destroyed) {
      let count = this.pending.length;
      let bytes = this.pendingBytes;
      if (bytes > MAX_WRITE_BYTES) {
        bytes = 0;
        count = 0;
        while (bytes < MAX_WRITE_BYTES) bytes += this.pending[count++]!.length;
      }
      const batch = count === this.pending.length ? this.pending : this.pending.slice(0, count);
      this.pending = count === this.pending.length ? [] : this.pending.slice(count);
      this.pendingBytes -= bytes;
      if (batch.length === 1) {
        // The common case in a calm room; corking one buffer only costs Node a queue entry.
        this.socket.write(batch[0]!);
      } else {
        this.socket.cork();
        for (const data of batch) this.socket.write(data);
        this.socket.uncork();
      }
      // Past Node's own mark (16 KiB) write() said false, so 'drain' will come once it is written.
      if (this.socket.writableLength >= WRITE_HIGH_WATER_BYTES) this.congest();
    }
    if (this.behind && this.pendingBytes + this.socket.writableLength <= this.options.maxQueueBytes / 2) {
      // Caught up (to half its limit): the hub need not wait for it, and may again next time.
      this.behind = false;
      this.stopWaiting();
    }
    if (this.pending.length === 0 && this.endWhenFlushed) this.socket.end();
  }

  /**
   * Whether a queue over its limit may stay: it is under the hard limit. The hub is asked once per
   * time the peer falls behind, and again on each frame while reading is paused for everyone, so
   * that it waits for the peer once the pause lifts. (Taking the pause as the answer let the
   * saturated Node generator push 57 k msg/s instead of 35 k into the hub, seconds late.)
   */
  private mayExceedLimit(queued: number): boolean {
    if (queued > this.options.maxQueueBytes * QUEUE_HARD_LIMIT_FACTOR) return false;
    if (this.behind) return true;
    const verdict = this.options.waitFor?.(this) ?? 'no';
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

  /** (Re)sets the end of the hub's wait for this peer, `ms` after it fell behind. */
  private waitUntil(ms: number): void {
    clearTimeout(this.catchUp);
    this.catchUp = setTimeout(() => this.stopWaiting(), ms - (performance.now() - this.behindSince));
    this.catchUp.unref();
  }

  /** The hub need not wait for this peer any longer (it caught up, the time is out, or it closes). */
  private stopWaiting(): void {
    if (this.catchUp === undefined) return;
    clearTimeout(this.catchUp);
    this.catchUp = undefined;
    this.options.onUnderLimit?.(this);
  }

  /**
   * Writes back up: tell the hub, and hold further writes until the socket drains. A peer that
   * does not drain once in stuckMs takes nothing at all: it is stuck, and dropped. (One that is
   * slow but reading drains every MAX_WRITE_BYTES or so; its hard limit is what bounds it.)
   */
  private congest(): void {
    this.congested = true;
    // A closing peer has its linger timer, and counts for no one's backpressure.
    if (this.closeReason === undefined) {
      // One never seen to read may never read: its backlog counts for no one's backpressure (a
      // wave of them would hold the room until their stuck timers drop them).
      if (this.reads) this.countCongestion(true);
      this.stuck = setTimeout(() => this.close('slow-consumer'), this.options.stuckMs ?? DEFAULT_STUCK_MS);
      this.stuck.unref();
    }
    this.socket.once('drain', () => {
      clearTimeout(this.stuck);
      this.congested = false;
      if (!this.reads) {
        this.reads = true;
        // It reads after all: the hub's wait for it, if still on, is the full one.
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
    this.options.onCongestion?.(this, congested);
  }

  /** Pauses or resumes reading for one reason; reading goes on only when no reason is left. */
  pauseReading(reason: PauseReason, pause: boolean): void {
    if (this.closeReason !== undefined) return;
    const before = this.paused;
    this.paused = pause ? this.paused | reason : this.paused & ~reason;
    if (before === 0 && this.paused !== 0) this.socket.pause();
    else if (before !== 0 && this.paused === 0) this.resumeReading();
  }

  /** Frames what flood control held back first; reads resume if that did not pause them again. */
  private resumeReading(): void {
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) this.take(held);
    if (this.paused === 0 && !this.socket.destroyed) this.socket.resume();
  }

  /**
   * Says `#bye <reason>` (best effort), flushes what is queued and closes the connection; a peer
   * that has not taken it all after `lingerMs` is dropped.
   */
  close(reason: string, lingerMs = LINGER_MS): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    // A closing peer holds no one up: it may take up to lingerMs to be gone. What it had sent is
    // let go, and what it sends now is dropped (see dropWhatIsInFlight: reading and discarding a
    // flood cost the hub a core, so past a read's worth it is read no more).
    clearTimeout(this.stuck);
    clearTimeout(this.floodTimer);
    this.stopWaiting();
    this.held = undefined;
    this.splitter.end();
    this.accountInput();
    this.socket.pause();
    this.paused = PauseReason.Closing;
    this.dropWhatIsInFlight();
    this.countCongestion(false);
    const bye = this.options.notices ? Buffer.from(`${notice.bye(reason)}\n`) : undefined;
    if (reason === 'slow-consumer') {
      // Whatever is queued would only deepen the backlog: the bye goes alone, past the queue.
      this.pending = [];
      this.pendingBytes = 0;
      if (bye) this.socket.end(bye);
      else this.socket.end();
    } else {
      if (bye) {
        this.pending.push(bye);
        this.pendingBytes += bye.length;
      }
      // The socket ends once everything queued is written (at once, unless it is backed up).
      this.endWhenFlushed = true;
      this.writePending();
    }
    clearTimeout(this.linger);
    this.linger = setTimeout(() => this.socket.destroy(), lingerMs);
    this.linger.unref();
  }

  /**
   * A frame or two the peer sent as the hub said #bye (a chat line, the answer to a join) would,
   * left unread, hide its FIN behind them: the hub would not see it go and would wait out the
   * whole grace. So a closing peer is still read, and what it sends dropped, up to
   * CLOSING_READ_BYTES; past that reading stops for good, so a flood costs no more than before.
   */
  private dropWhatIsInFlight(): void {
    let dropped = 0;
    const drop = (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped <= CLOSING_READ_BYTES) return;
      this.socket.off('data', drop);
      this.socket.pause();
    };
    this.socket.on('data', drop);
    this.socket.resume();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.closeReason ??= 'shutdown';
    this.socket.destroy();
  }
}

/**
 * A run of frames as the queues and history will hold it: a view of the read it came in, unless
 * it is a small part of that read, which it would keep alive whole (a token followed by 64 KiB of
 * empty lines, or by a refused line of 64 KiB, made each queued or kept 101 bytes hold 64 KiB).
 * Then it is copied out. So a run keeps at most VIEW_FACTOR times its bytes alive (the budget's).
 */
function unpinned(run: FrameRun): FrameRun {
  if (run.data.length * VIEW_FACTOR >= run.data.buffer.byteLength) return run;
  const data = Buffer.allocUnsafeSlow(run.data.length);
  run.data.copy(data);
  return { kind: 'frames', data, count: run.count };
}
