import { describe, expect, it } from 'vitest';
import { PendingFrames } from '../../src/actors/pendingFrames.ts';
import { COALESCE_BYTES, MAX_WRITE_BYTES } from '../../src/config/queueLimits.ts';
import type { Transport } from '../../src/streams/transport.ts';

/** What a transport was handed: each write, and whether it came corked with others. */
function recordingTransport() {
  const writes: { data: Buffer; corked: boolean }[] = [];
  let corked = 0;
  const transport = {
    write: (data: Buffer) => writes.push({ data, corked: corked > 0 }),
    cork: () => corked++,
    uncork: () => corked--,
  } as unknown as Transport;
  return { transport, writes };
}

function frame(n: number, bytes: number): Buffer {
  const data = Buffer.alloc(bytes, 0x61 + (n % 26));
  data[bytes - 1] = 0x0a;
  return data;
}

describe('pending frames', () => {
  it('writes one frame as it is, the very Buffer', () => {
    const { transport, writes } = recordingTransport();
    const pending = new PendingFrames();
    const only = frame(0, 200);
    pending.push(only);
    pending.writeBatch(transport);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.data).toBe(only);
    expect(pending.length).toBe(0);
    expect(pending.bytes).toBe(0);
  });

  it('writes a few small frames as one Buffer with their bytes in order', () => {
    const { transport, writes } = recordingTransport();
    const pending = new PendingFrames();
    const frames = [frame(0, 200), frame(1, 300), frame(2, 100)];
    for (const f of frames) pending.push(f);
    expect(pending.bytes).toBe(600);
    pending.writeBatch(transport);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.corked).toBe(false);
    expect(writes[0]!.data.equals(Buffer.concat(frames))).toBe(true);
  });

  it('writes more than COALESCE_BYTES corked, each frame as it is (no copy)', () => {
    const { transport, writes } = recordingTransport();
    const pending = new PendingFrames();
    const frames = Array.from({ length: 5 }, (_, n) => frame(n, COALESCE_BYTES / 4));
    for (const f of frames) pending.push(f);
    pending.writeBatch(transport);
    expect(writes.map((w) => w.data)).toEqual(frames);
    for (let i = 0; i < frames.length; i++) expect(writes[i]!.data).toBe(frames[i]);
    expect(writes.every((w) => w.corked)).toBe(true);
  });

  it('takes at most MAX_WRITE_BYTES at a time, and the rest in order at the next writes', () => {
    const { transport, writes } = recordingTransport();
    const pending = new PendingFrames();
    const size = 1000;
    const frames = Array.from({ length: Math.ceil((3 * MAX_WRITE_BYTES) / size) }, (_, n) => frame(n, size));
    for (const f of frames) pending.push(f);
    let batches = 0;
    while (pending.length > 0) {
      const before = pending.bytes;
      pending.writeBatch(transport);
      const taken = before - pending.bytes;
      expect(taken).toBeGreaterThan(0);
      expect(taken).toBeLessThan(MAX_WRITE_BYTES + size);
      batches++;
    }
    expect(batches).toBeGreaterThanOrEqual(3);
    expect(Buffer.concat(writes.map((w) => w.data)).equals(Buffer.concat(frames))).toBe(true);
  });

  it('keeps its order through a backlog that never empties, across many compactions', () => {
    const { transport, writes } = recordingTransport();
    const pending = new PendingFrames();
    const size = 4096;
    let pushed = 0;
    const all: Buffer[] = [];
    const push = (count: number) => {
      for (let k = 0; k < count; k++) {
        const f = frame(pushed++, size);
        all.push(f);
        pending.push(f);
      }
    };
    // Each round adds more than a write takes, so the queue is never empty.
    push(100);
    for (let round = 0; round < 200; round++) {
      push(70);
      pending.writeBatch(transport);
      expect(pending.length).toBe(pushed - writes.reduce((n, w) => n + w.data.length / size, 0));
    }
    while (pending.length > 0) pending.writeBatch(transport);
    expect(Buffer.concat(writes.map((w) => w.data)).equals(Buffer.concat(all))).toBe(true);
  });

  it('lets go of everything on clear', () => {
    const { transport, writes } = recordingTransport();
    const pending = new PendingFrames();
    pending.push(frame(0, 10));
    pending.push(frame(1, 10));
    pending.clear();
    expect(pending.length).toBe(0);
    expect(pending.bytes).toBe(0);
    pending.push(frame(2, 10));
    pending.writeBatch(transport);
    expect(writes.map((w) => w.data.toString())).toEqual([frame(2, 10).toString()]);
  });
});
