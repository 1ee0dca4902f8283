import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Backpressure, type RoomBackpressure } from '../../src/actors/backpressure.ts';
import type { FlushScheduler } from '../../src/actors/flushScheduler.ts';
import { OutboundQueue, type QueueOptions } from '../../src/actors/outboundQueue.ts';
import { PauseReason } from '../../src/actors/peerActor.ts';
import {
  CATCH_UP_MS,
  DEFAULT_STUCK_MS,
  FIRST_CATCH_UP_MS,
  LINGER_MS,
  QUEUE_HARD_LIMIT_FACTOR,
  WRITE_HIGH_WATER_BYTES,
} from '../../src/config/queueLimits.ts';
import type { Transport } from '../../src/streams/transport.ts';

const KiB = 1024;
const FRAME = Buffer.alloc(16 * KiB, 0x41);

/**
 * A transport whose kernel takes nothing until told (`take`): what is written waits in
 * `writableLength`, and `drain` comes once a backlog past the high-water mark has been taken.
 */
class FakeTransport extends EventEmitter implements Transport {
  writableLength = 0;
  destroyed = false;
  written: Buffer[] = [];
  ended: Buffer | 'end' | undefined;
  write(data: Buffer): boolean {
    this.written.push(data);
    this.writableLength += data.length;
    return this.writableLength < 16 * KiB;
  }
  cork(): void {}
  uncork(): void {}
  pause(): void {}
  resume(): void {}
  end(data?: Buffer): void {
    this.ended = data ?? 'end';
  }
  destroy(): void {
    this.destroyed = true;
  }
  setNoDelay(): void {}
  setKeepAlive(): void {}
  /** The reader takes `bytes` (all by default); a backed-up transport then drains. */
  take(bytes = this.writableLength): void {
    this.writableLength -= Math.min(bytes, this.writableLength);
    if (this.writableLength === 0) this.emit('drain');
  }
}

/** The queue's owner as PeerActor is one: closing closes the queue; the room pauses its reading. */
class FakePeer {
  readonly transport = new FakeTransport();
  readonly queue: OutboundQueue<FakePeer>;
  closedWith: string | undefined;
  pausedByRoom = false;
  constructor(options: QueueOptions<FakePeer>) {
    this.queue = new OutboundQueue(this.transport, options, this);
  }
  get isClosing(): boolean {
    return this.closedWith !== undefined;
  }
  get seenReading(): boolean {
    return this.queue.seenReading;
  }
  close(reason: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    this.queue.close(reason, Buffer.from(`#bye ${reason}\n`), LINGER_MS);
  }
  pauseReading(reason: PauseReason, pause: boolean): void {
    expect(reason).toBe(PauseReason.Backpressure);
    this.pausedByRoom = pause;
  }
}

/** Flushes by hand: the test says when an event-loop turn ends. */
const scheduler = { mark: () => {} } as unknown as FlushScheduler;

/** A room that records what the queue told it, and answers `verdict` when asked to wait. */
function recordingRoom(verdict: 'wait' | 'later' | 'no') {
  const said: string[] = [];
  const room: RoomBackpressure<FakePeer> = {
    update: (_, congested) => said.push(congested ? 'congested' : 'clear'),
    waitFor: () => {
      said.push('behind');
      return verdict;
    },
    underLimit: () => said.push('caught up'),
  };
  return { said, room };
}

/** Sends frames until `done`, flushing as an event-loop turn would. */
function sendUntil(peer: FakePeer, done: () => boolean, most = 100_000): void {
  for (let i = 0; i < most && !done(); i++) {
    peer.queue.send(FRAME);
    if (i % 4 === 3) peer.queue.flush();
  }
}

/**
 * Backs the writes up once, past the event loop's check phase (a backlog the kernel did not take,
 * not a write Node has yet to complete), and lets the reader take them all: it has been seen reading.
 */
function showReading(peer: FakePeer): void {
  sendUntil(peer, () => peer.transport.writableLength >= WRITE_HIGH_WATER_BYTES);
  vi.advanceTimersByTime(0);
  peer.transport.take();
  peer.queue.flush();
  peer.transport.take();
  expect(peer.queue.seenReading).toBe(true);
  expect(peer.queue.queuedBytes).toBe(0);
}

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'],
  });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('OutboundQueue, a reader that never reads', () => {
  it('is dropped as a slow consumer once its writes stay backed up for stuckMs, counted by no one', () => {
    const { said, room } = recordingRoom('no');
    const peer = new FakePeer({ maxQueueBytes: 1024 * KiB, scheduler, backpressure: room });
    sendUntil(peer, () => peer.transport.writableLength >= WRITE_HIGH_WATER_BYTES);
    vi.advanceTimersByTime(DEFAULT_STUCK_MS - 1);
    expect(peer.closedWith).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(peer.closedWith).toBe('slow-consumer');
    // Never seen reading: its backlog paused no one.
    expect(said).toEqual([]);
    // The bye goes alone, past the queue, and the transport is gone after the linger.
    expect(peer.transport.ended).toEqual(Buffer.from('#bye slow-consumer\n'));
    expect(peer.queue.queuedBytes).toBe(peer.transport.writableLength);
    vi.advanceTimersByTime(LINGER_MS);
    expect(peer.transport.destroyed).toBe(true);
  });

  it('is not seen reading when its writes drain before the check phase after them, as every TLS write does', () => {
    // Over TLS a write stays in writableLength until Node completes it in the next check phase,
    // however fast the kernel took it: a client that never reads backs up and drains at once,
    // write after write, while its kernel buffers fill.
    const { said, room } = recordingRoom('no');
    const peer = new FakePeer({ maxQueueBytes: 1024 * KiB, scheduler, backpressure: room });
    for (let write = 0; write < 8; write++) {
      sendUntil(peer, () => peer.transport.writableLength >= WRITE_HIGH_WATER_BYTES);
      peer.transport.take();
      expect(peer.queue.seenReading).toBe(false);
      vi.advanceTimersByTime(0);
    }
    // Then its kernel buffers are full: it backs up for good, and is dropped, counted by no one.
    sendUntil(peer, () => peer.transport.writableLength >= WRITE_HIGH_WATER_BYTES);
    vi.advanceTimersByTime(DEFAULT_STUCK_MS);
    expect(peer.closedWith).toBe('slow-consumer');
    expect(said).toEqual([]);
    expect(peer.queue.seenReading).toBe(false);
  });

  it('is waited for FIRST_CATCH_UP_MS at most, and dropped at its hard limit', () => {
    const LIMIT = 256 * KiB;
    const { said, room } = recordingRoom('wait');
    const peer = new FakePeer({ maxQueueBytes: LIMIT, scheduler, backpressure: room, stuckMs: 60_000 });
    sendUntil(peer, () => said.includes('behind'));
    vi.advanceTimersByTime(FIRST_CATCH_UP_MS - 1);
    expect(said).toEqual(['behind']);
    vi.advanceTimersByTime(1);
    expect(said).toEqual(['behind', 'caught up']);
    let lastQueued = 0;
    sendUntil(peer, () => {
      if (!peer.isClosing) lastQueued = peer.queue.queuedBytes;
      return peer.isClosing;
    });
    expect(peer.closedWith).toBe('slow-consumer');
    expect(lastQueued).toBeGreaterThan(LIMIT * (QUEUE_HARD_LIMIT_FACTOR - 1));
    expect(said).toEqual(['behind', 'caught up']); // asked once, never counted as backed up
  });
});

describe('OutboundQueue, a reader that is slow but reading', () => {
  it('is waited for: each drain restarts its stuck timer, and its backlog counts for the room', () => {
    const { said, room } = recordingRoom('no');
    const peer = new FakePeer({ maxQueueBytes: 64 * 1024 * KiB, scheduler, backpressure: room });
    for (let i = 0; i < 3_000; i++) peer.queue.send(FRAME); // 48 MiB
    for (let round = 0; round < 20; round++) {
      vi.advanceTimersByTime(DEFAULT_STUCK_MS - 100);
      peer.transport.take(); // it takes a little, late but before its stuck timer runs out
    }
    expect(peer.closedWith).toBeUndefined();
    expect(peer.queue.seenReading).toBe(true);
    // Backed up since it first drained: only a peer that has written all it held is clear.
    expect(said).toEqual(['congested']);
    for (let i = 0; i < 1_000 && peer.queue.queuedBytes > 0; i++) peer.transport.take();
    expect(said).toEqual(['congested', 'clear']);
  });

  it('that falls behind, the room waits for until it is back to half its limit', () => {
    const LIMIT = 1024 * KiB;
    const { said, room } = recordingRoom('wait');
    const peer = new FakePeer({ maxQueueBytes: LIMIT, scheduler, backpressure: room, stuckMs: 60_000 });
    showReading(peer);
    said.length = 0;
    sendUntil(peer, () => said.includes('behind'));
    vi.advanceTimersByTime(CATCH_UP_MS - 1);
    expect(said).toEqual(['congested', 'behind']);
    for (let i = 0; i < 64 && !said.includes('caught up'); i++) peer.transport.take(64 * KiB);
    expect(said).toEqual(['congested', 'behind', 'caught up']);
    expect(peer.queue.queuedBytes).toBeLessThanOrEqual(LIMIT / 2);
    expect(peer.closedWith).toBeUndefined();
  });

  it('that stays behind, the room waits for CATCH_UP_MS at most, and it is not dropped for it', () => {
    const { said, room } = recordingRoom('wait');
    const peer = new FakePeer({ maxQueueBytes: 1024 * KiB, scheduler, backpressure: room, stuckMs: 60_000 });
    showReading(peer);
    said.length = 0;
    sendUntil(peer, () => said.includes('behind'));
    vi.advanceTimersByTime(CATCH_UP_MS - 1);
    expect(said).not.toContain('caught up');
    vi.advanceTimersByTime(1);
    expect(said).toEqual(['congested', 'behind', 'caught up']);
    expect(peer.closedWith).toBeUndefined();
  });
});

describe('OutboundQueue and the room’s backpressure', () => {
  it('a reader that falls behind pauses the room until it has caught up, and a closing one resumes it at once', () => {
    const peers = new Map<number, FakePeer>();
    const backpressure = new Backpressure<FakePeer>(peers, () => performance.now());
    const options = { maxQueueBytes: 1024 * KiB, scheduler, backpressure, stuckMs: 60_000 };
    for (let id = 1; id <= 10; id++) peers.set(id, new FakePeer(options));
    const slow = peers.get(1)!;
    showReading(slow);
    sendUntil(slow, () => slow.queue.queuedBytes > 1024 * KiB);
    expect([...peers.values()].every((peer) => peer.pausedByRoom)).toBe(true);
    for (let i = 0; i < 64 && backpressure.active; i++) slow.transport.take(64 * KiB);
    expect(slow.queue.queuedBytes).toBeLessThanOrEqual(512 * KiB);
    expect([...peers.values()].some((peer) => peer.pausedByRoom)).toBe(false);

    // Behind again, then closing: a closing peer holds no one up.
    sendUntil(slow, () => backpressure.active);
    slow.close('shutdown');
    expect(backpressure.active).toBe(false);
    expect([...peers.values()].some((peer) => peer.pausedByRoom)).toBe(false);
  });

  it('the backed-up writes of a quarter of the readers pause the room until they are written', () => {
    const peers = new Map<number, FakePeer>();
    const backpressure = new Backpressure<FakePeer>(peers, () => performance.now());
    const options = { maxQueueBytes: 64 * 1024 * KiB, scheduler, backpressure };
    for (let id = 1; id <= 8; id++) peers.set(id, new FakePeer(options));
    const [first, second] = [peers.get(1)!, peers.get(2)!];
    for (const peer of [first, second]) {
      showReading(peer);
      sendUntil(peer, () => peer.transport.writableLength >= WRITE_HIGH_WATER_BYTES);
    }
    expect(backpressure.active).toBe(true);
    first.transport.take();
    first.queue.flush();
    first.transport.take();
    expect(backpressure.active).toBe(false);
  });
});

describe('OutboundQueue, closing', () => {
  it('says bye after what is queued and ends once it is written; sends nothing more', () => {
    const peer = new FakePeer({ maxQueueBytes: 1024 * KiB, scheduler });
    peer.queue.send(Buffer.from('a\n'));
    peer.close('shutdown');
    peer.queue.send(Buffer.from('b\n'));
    expect(Buffer.concat(peer.transport.written).toString()).toBe('a\n#bye shutdown\n');
    expect(peer.transport.ended).toBe('end');
  });

  it('a client that has finished sending gets what is queued, then the end; past LINGER_MS it is destroyed', () => {
    const peer = new FakePeer({ maxQueueBytes: 64 * 1024 * KiB, scheduler });
    sendUntil(peer, () => peer.transport.writableLength >= WRITE_HIGH_WATER_BYTES);
    peer.queue.send(FRAME);
    peer.queue.endOnceWritten();
    expect(peer.transport.ended).toBeUndefined(); // backed up: the rest waits
    vi.advanceTimersByTime(LINGER_MS);
    expect(peer.transport.destroyed).toBe(true);
  });
});
