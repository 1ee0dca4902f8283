import { Observable, type Subscriber } from 'rxjs';
import { CLOSING_READ_BYTES, LINGER_MS } from '../config/queueLimits.ts';
import { VIEW_FACTOR } from '../config/memoryBudget.ts';
import { notice } from '../protocol/notice.ts';
import { classifyFrameEvent } from '../streams/classifyFrames.ts';
import type { FrameEvent, FrameRun, Framing } from '../streams/frameEvent.ts';
import { FrameSplitter } from '../streams/frameSplitter.ts';
import type { AddressBuckets } from './addressBuckets.ts';
import { addressKey } from './addressKey.ts';
import { FloodGate } from './floodGate.ts';
import type { HubEvent, PeerId } from '../streams/hubEvent.ts';
import type { Transport } from '../streams/transport.ts';
import type { InputBudget } from './inputBudget.ts';
import { OutboundQueue, type QueueOptions } from './outboundQueue.ts';
import { TokenBucket } from './tokenBucket.ts';

/** The inbound side's settings, and the outbound queue's (QueueOptions: its limits, the room's backpressure). */
export interface PeerOptions extends QueueOptions<PeerActor> {
  readonly maxFrameBytes: number;
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
  /** Told once a peer's events have ended (after `left`, or when they are unsubscribed from). */
  readonly onGone?: (peer: PeerActor) => void;
}

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
 * Outbound: its OutboundQueue, which owns the writes and the slow-consumer policy, and talks to
 * the room's backpressure itself.
 */
export class PeerActor {
  readonly events: Observable<HubEvent>;
  readonly remoteAddress: string;
  private readonly queue: OutboundQueue<PeerActor>;
  private paused = 0;
  private closeReason: string | undefined;
  private splitter: FrameSplitter;
  private floodGate: FloodGate | undefined;
  private floodTimer: NodeJS.Timeout | undefined;
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
    this.queue = new OutboundQueue(socket, options, this);
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
    if (this.inputEnded && this.held === undefined) this.queue.endOnceWritten();
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
    this.held = undefined;
    this.splitter.end();
    clearTimeout(this.floodTimer);
    this.queue.release();
    this.accountInput();
  }

  /** Bytes queued for this peer and not yet taken by the kernel. */
  get queuedBytes(): number {
    return this.queue.queuedBytes;
  }

  /** Whether a backed-up write to this peer has ever drained: it has shown that it reads. */
  get seenReading(): boolean {
    return this.queue.seenReading;
  }

  /** Bytes held for this peer's input: an unfinished frame, and a read flood control holds back. */
  get inputBytes(): number {
    return this.heldInput;
  }

  get isClosing(): boolean {
    return this.closeReason !== undefined;
  }

  send(data: Buffer): void {
    if (this.closeReason === undefined) this.queue.send(data);
  }

  notice(text: string): void {
    if (this.options.notices) this.send(Buffer.from(`${text}\n`));
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
    // What it had sent is let go, and what it sends now is dropped (see dropWhatIsInFlight:
    // reading and discarding a flood cost the hub a core, so past a read's worth it is read no more).
    clearTimeout(this.floodTimer);
    this.held = undefined;
    this.splitter.end();
    this.accountInput();
    this.socket.pause();
    this.paused = PauseReason.Closing;
    this.dropWhatIsInFlight();
    const bye = this.options.notices ? Buffer.from(`${notice.bye(reason)}\n`) : undefined;
    this.queue.close(reason, bye, lingerMs);
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
