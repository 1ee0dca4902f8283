import { describe, expect, it } from 'vitest';
import { type Unacked, UnackedQueue } from '../../src/cluster/unackedQueue.ts';

const item = (id: string, bytes: number): Unacked => ({
  id,
  data: Buffer.alloc(bytes),
  senders: '1:1',
});

describe('the bounded queue of unacknowledged publishes', () => {
  it('holds what it is given, in order, up to its bound in bytes, and refuses past it', () => {
    const queue = new UnackedQueue(100);
    expect(queue.offer(item('a', 40))).toBe(true);
    expect(queue.offer(item('b', 60))).toBe(true);
    expect(queue.offer(item('c', 1))).toBe(false);
    expect(queue.bytes).toBe(100);
    expect(queue.peek(10).map((entry) => entry.id)).toEqual(['a', 'b']);
  });

  it('lets go of an acknowledged prefix only, so what follows a failure is sent again with its id', () => {
    const queue = new UnackedQueue(1000);
    for (const id of ['a', 'b', 'c', 'd']) queue.offer(item(id, 10));
    queue.acknowledge(1);
    expect(queue.peek(2).map((entry) => entry.id)).toEqual(['b', 'c']);
    expect(queue.bytes).toBe(30);
    queue.acknowledge(3);
    expect(queue.length).toBe(0);
    expect(queue.bytes).toBe(0);
    // Room again once acknowledged.
    expect(queue.offer(item('e', 1000))).toBe(true);
  });

  it('stays bounded over many rounds (the acknowledged are forgotten)', () => {
    const queue = new UnackedQueue(50);
    for (let round = 0; round < 10_000; round++) {
      expect(queue.offer(item(String(round), 10))).toBe(true);
      queue.acknowledge(1);
    }
    expect(queue.length).toBe(0);
    expect(queue.bytes).toBe(0);
  });
});
