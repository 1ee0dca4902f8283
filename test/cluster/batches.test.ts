import { describe, expect, it } from 'vitest';
import { batchesOf, batchId, framesIn, segmentsOf, sendersHeader } from '../../src/cluster/batches.ts';
import { tokenDigest } from '../../src/protocol/frameDigest.ts';

const run = (...frames: string[]) => Buffer.from(frames.map((frame) => `${frame}\n`).join(''));

describe('batching frames into NATS messages', () => {
  it('keeps a run that fits as one message, the same Buffer', () => {
    const data = run('aaa', 'bbb');
    expect(batchesOf(data, 100)).toEqual([data]);
    expect(batchesOf(data, 100)[0]).toBe(data);
  });

  it('cuts a longer run at frame boundaries, each message within the limit, nothing lost or reordered', () => {
    const frames = Array.from({ length: 50 }, (_, i) => `frame-${i}-`.padEnd(10 + (i % 7) * 7, 'x'));
    const data = run(...frames);
    const batches = batchesOf(data, 64);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(64);
      expect(batch.at(-1)).toBe(0x0a);
    }
    expect(Buffer.concat(batches).equals(data)).toBe(true);
    expect(batches.reduce((sum, batch) => sum + framesIn(batch), 0)).toBe(50);
  });

  it('sends a frame longer than the limit alone rather than cut it', () => {
    const data = run('short', 'x'.repeat(40), 'tail');
    expect(batchesOf(data, 20).map((batch) => batch.toString())).toEqual([
      'short\n',
      `${'x'.repeat(40)}\n`,
      'tail\n',
    ]);
  });

  it("names a batch by its bytes: the same batch sent again has the same id; one frame's is the frame digest", () => {
    const token = 'gAAAAABrBA6gWzM7M3IuVZQV1IKMevR3I6OLbYZyrw2MQEWNyMTx8YOe9iACsBu4q5fHom';
    expect(batchId(run(token))).toBe(tokenDigest(token));
    expect(batchId(Buffer.from(run('a', 'b')))).toBe(batchId(run('a', 'b')));
    expect(batchId(run('a', 'b'))).not.toBe(batchId(run('b', 'a')));
  });

  it("lists whose frames a message holds, and reads the list back as runs of the message's bytes", () => {
    const data = run('a1', 'b1', 'b2', 'a2');
    const header = sendersHeader([
      { sender: 1_000_000_001, frames: 1 },
      { sender: 2_000_000_001, frames: 2 },
      { sender: 1_000_000_001, frames: 1 },
    ]);
    expect(header).toBe('1000000001:1,2000000001:2,1000000001:1');
    const segments = segmentsOf(header, data)!;
    expect(segments.map((s) => [s.sender, data.subarray(s.start, s.end).toString()])).toEqual([
      [1_000_000_001, 'a1\n'],
      [2_000_000_001, 'b1\nb2\n'],
      [1_000_000_001, 'a2\n'],
    ]);
  });

  it('takes a senders list that does not match the bytes as no list (not from a hub)', () => {
    const data = run('a', 'b');
    expect(segmentsOf(undefined, data)).toBeUndefined();
    expect(segmentsOf('1:1', data)).toBeUndefined();
    expect(segmentsOf('1:3', data)).toBeUndefined();
    expect(segmentsOf('1:0,2:2', data)).toBeUndefined();
    expect(segmentsOf('x:2', data)).toBeUndefined();
    expect(segmentsOf('1:1,2:1', data)).toHaveLength(2);
  });
});
