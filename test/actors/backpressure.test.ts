import { describe, expect, it } from 'vitest';
import { PauseReason } from '../../src/actors/peerActor.ts';
import { FIRST_CATCH_UP_MS } from '../../src/config/queueLimits.ts';
import {
  Backpressure,
  NEW_READER_WAIT_BURST_MS,
  NEW_READER_WAIT_MS_PER_SECOND,
} from '../../src/actors/backpressure.ts';

/** A peer that remembers whether backpressure has paused its reading. */
class FakePeer {
  paused = false;
  constructor(readonly seenReading = true) {}
  pauseReading(reason: PauseReason, pause: boolean): void {
    expect(reason).toBe(PauseReason.Backpressure);
    this.paused = pause;
  }
}

function hubOf(count: number, clock = { now: 0 }, seenReading = true) {
  const peers = new Map(Array.from({ length: count }, (_, i) => [i + 1, new FakePeer(seenReading)] as const));
  const backpressure = new Backpressure(peers, () => clock.now);
  return { peers: [...peers.values()], backpressure };
}

describe('Backpressure', () => {
  it('pauses every peer once a quarter of them (two at least) are backed up, and resumes when they drain', () => {
    const { peers, backpressure } = hubOf(12);
    backpressure.update(peers[0]!, true);
    backpressure.update(peers[1]!, true);
    expect(backpressure.active).toBe(false); // 2 of 12: individual slow readers, their own limits apply
    backpressure.update(peers[2]!, true);
    expect(backpressure.active).toBe(true); // 3 of 12
    expect(peers.every((peer) => peer.paused)).toBe(true);
    backpressure.update(peers[2]!, false);
    expect(backpressure.active).toBe(false);
    expect(peers.some((peer) => peer.paused)).toBe(false);
  });

  it('a single stuck reader never pauses the hub, even among two peers', () => {
    const { peers, backpressure } = hubOf(2);
    backpressure.update(peers[0]!, true);
    expect(backpressure.active).toBe(false);
  });

  it('a congested peer that leaves no longer counts', () => {
    const { peers, backpressure } = hubOf(4);
    backpressure.update(peers[0]!, true);
    backpressure.update(peers[1]!, true);
    expect(backpressure.active).toBe(true);
    backpressure.forget(peers[1]!);
    expect(backpressure.active).toBe(false);
  });
});

describe('Backpressure, a peer that falls behind', () => {
  it('is waited for even when no other peer is backed up: reading pauses until it is under', () => {
    const { peers, backpressure } = hubOf(100);
    backpressure.update(peers[0]!, true);
    expect(backpressure.waitFor(peers[0]!)).toBe('wait');
    expect(backpressure.active).toBe(true);
    expect(peers.every((peer) => peer.paused)).toBe(true);
    backpressure.underLimit(peers[0]!);
    expect(backpressure.active).toBe(false);
    expect(peers.some((peer) => peer.paused)).toBe(false);
  });

  it('with others backed up too, short of a quarter: reading pauses until it is under', () => {
    const { peers, backpressure } = hubOf(100);
    for (const peer of peers.slice(0, 20)) backpressure.update(peer, true); // 20 of 100
    expect(backpressure.active).toBe(false);
    expect(backpressure.waitFor(peers[0]!)).toBe('wait');
    expect(backpressure.active).toBe(true);
    expect(peers.every((peer) => peer.paused)).toBe(true);
    expect(backpressure.waitFor(peers[1]!)).toBe('later'); // reading is paused already
    backpressure.underLimit(peers[0]!);
    expect(backpressure.active).toBe(false);
    expect(peers.some((peer) => peer.paused)).toBe(false);
  });

  it('holds no one up once it is gone', () => {
    const { peers, backpressure } = hubOf(100);
    backpressure.update(peers[0]!, true);
    backpressure.update(peers[1]!, true);
    expect(backpressure.waitFor(peers[0]!)).toBe('wait');
    backpressure.forget(peers[0]!);
    expect(backpressure.active).toBe(false);
    expect(peers.some((peer) => peer.paused)).toBe(false);
  });
});

describe('Backpressure, readers never seen reading', () => {
  it('are waited for within a budget of NEW_READER_WAIT_MS_PER_SECOND, so that a wave of them cannot hold the room', () => {
    const clock = { now: 0 };
    const { peers, backpressure } = hubOf(400, clock, false);
    let waited = 0;
    // 300 of them fall behind one after another, 10 ms apart, over 3 s.
    for (const peer of peers.slice(0, 300)) {
      const verdict = backpressure.waitFor(peer);
      if (verdict === 'wait') {
        waited++;
        clock.now += FIRST_CATCH_UP_MS; // the wait runs out
        backpressure.underLimit(peer);
      } else {
        expect(verdict).toBe('later');
        clock.now += 10;
      }
    }
    const heldMs = waited * FIRST_CATCH_UP_MS;
    expect(heldMs).toBeLessThanOrEqual(
      NEW_READER_WAIT_BURST_MS + (NEW_READER_WAIT_MS_PER_SECOND * clock.now) / 1000,
    );
    expect(heldMs / clock.now).toBeLessThan(0.15); // the room moves at least 85 % of the time
    // A reader seen reading is waited for as ever.
    const reader = new FakePeer(true);
    expect(backpressure.waitFor(reader)).toBe('wait');
  });
});

describe('Backpressure, re-entered', () => {
  it('a peer resumed by the end of a pause that brings the pause back (a nested wait) leaves everyone paused', () => {
    const clock = { now: 0 };
    const { peers, backpressure } = hubOf(6, clock);
    // Peer 0, once resumed, frames what it held, and their delivery puts peer 5 behind.
    const resumed = peers[0]!;
    const behind = peers[5]!;
    const pause = resumed.pauseReading.bind(resumed);
    resumed.pauseReading = (reason, paused) => {
      pause(reason, paused);
      if (!paused) expect(backpressure.waitFor(behind)).toBe('wait');
    };
    expect(backpressure.waitFor(peers[1]!)).toBe('wait');
    expect(peers.every((peer) => peer.paused)).toBe(true);
    backpressure.underLimit(peers[1]!); // the pause ends, and peer 0's frames start another
    expect(backpressure.active).toBe(true);
    expect(peers.filter((peer) => !peer.paused)).toEqual([]);
  });
});
