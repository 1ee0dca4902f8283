import { describe, expect, it } from 'vitest';
import { PauseReason } from '../../src/actors/peerActor.ts';
import { Backpressure, OVERLOAD_GRACE_MS } from '../../src/hub/backpressure.ts';

/** A peer that remembers whether backpressure has paused its reading. */
class FakePeer {
  paused = false;
  pauseReading(reason: PauseReason, pause: boolean): void {
    expect(reason).toBe(PauseReason.Backpressure);
    this.paused = pause;
  }
}

function hubOf(count: number) {
  const peers = new Map(Array.from({ length: count }, (_, i) => [i + 1, new FakePeer()] as const));
  const clock = { now: 1_000 };
  const backpressure = new Backpressure(peers, () => clock.now);
  return { peers: [...peers.values()], clock, backpressure };
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
    expect(backpressure.overloaded()).toBe(false);
  });

  it('stays overloaded for the grace period after the pause lifts, so draining readers are not dropped', () => {
    const { peers, clock, backpressure } = hubOf(4);
    expect(backpressure.overloaded()).toBe(false);
    backpressure.update(peers[0]!, true);
    backpressure.update(peers[1]!, true);
    expect(backpressure.overloaded()).toBe(true);
    clock.now += 10_000;
    backpressure.update(peers[0]!, false); // the pause lifts now
    expect(backpressure.active).toBe(false);
    clock.now += OVERLOAD_GRACE_MS - 1;
    expect(backpressure.overloaded()).toBe(true);
    clock.now += 1;
    expect(backpressure.overloaded()).toBe(false);
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

describe('Backpressure, a peer over its queue limit', () => {
  it('is slow on its own when no other peer is backed up: the hub does not wait for it', () => {
    const { peers, backpressure } = hubOf(100);
    backpressure.update(peers[0]!, true);
    expect(backpressure.admitOverLimit(peers[0]!)).toBe(false);
    expect(backpressure.active).toBe(false);
    expect(peers.some((peer) => peer.paused)).toBe(false);
  });

  it('is the room’s load when others are backed up too, short of a quarter: reading pauses until it is under', () => {
    const { peers, backpressure } = hubOf(100);
    for (const peer of peers.slice(0, 20)) backpressure.update(peer, true); // 20 of 100
    expect(backpressure.active).toBe(false);
    expect(backpressure.admitOverLimit(peers[0]!)).toBe(true);
    expect(backpressure.active).toBe(true);
    expect(peers.every((peer) => peer.paused)).toBe(true);
    expect(backpressure.overloaded()).toBe(true); // the others get the overload allowance meanwhile
    backpressure.underLimit(peers[0]!);
    expect(backpressure.active).toBe(false);
    expect(peers.some((peer) => peer.paused)).toBe(false);
  });

  it('holds no one up once it is gone', () => {
    const { peers, backpressure } = hubOf(100);
    backpressure.update(peers[0]!, true);
    backpressure.update(peers[1]!, true);
    expect(backpressure.admitOverLimit(peers[0]!)).toBe(true);
    backpressure.forget(peers[0]!);
    expect(backpressure.active).toBe(false);
    expect(backpressure.admitOverLimit(peers[1]!)).toBe(false); // now alone
  });
});
