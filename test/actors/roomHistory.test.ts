import { describe, expect, it } from 'vitest';
import { RoomHistory } from '../../src/actors/roomHistory.ts';
import { tokenDigest } from '../../src/protocol/frameDigest.ts';

const roomy = { frames: 100, bytes: 1 << 20, maxAgeMs: 60_000 };
const runOf = (...frames: string[]) => Buffer.from(frames.map((f) => `${f}\n`).join(''));
/** The frames of a slice, as text. */
const texts = (runs: Buffer[]) => runs.flatMap((run) => run.toString().split('\n').slice(0, -1));

function filled(limits = roomy, ...runs: string[][]): RoomHistory {
  const history = new RoomHistory(limits);
  runs.forEach((frames, i) => history.append(runOf(...frames), frames.length, i * 1000));
  return history;
}

describe('room history', () => {
  it('numbers frames in the order relayed and slices any range of them, oldest first', () => {
    const history = filled(roomy, ['a', 'b'], ['c'], ['d', 'e', 'f']);
    expect([history.oldest, history.newest]).toEqual([1, 6]);
    expect(texts(history.slice(0, 6, Infinity).runs)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(texts(history.slice(1, 4, Infinity).runs)).toEqual(['b', 'c', 'd']);
    expect(history.slice(3, 5, Infinity)).toMatchObject({ frames: 2, missing: false });
    expect(history.slice(6, 6, Infinity).frames).toBe(0);
  });

  it('packs small runs into slabs of its own, and an answer is views of them, never a copy', () => {
    const history = new RoomHistory(roomy);
    const runs = [runOf('a', 'b'), runOf('c')];
    history.append(runs[0]!, 2, 0);
    history.append(runs[1]!, 1, 0);
    // The relayed Buffers are not kept (each would pin its socket read's allocation)…
    const [view] = history.slice(0, 3, Infinity).runs;
    for (const run of runs) expect(view?.buffer).not.toBe(run.buffer);
    // …and what changes in them afterwards is not history's.
    runs[0]!.fill(0x78);
    expect(texts(history.slice(0, 3, Infinity).runs)).toEqual(['a', 'b', 'c']);
    // Two answers share the slab: an answer copies nothing.
    const again = history.slice(1, 3, Infinity).runs;
    for (const run of again) expect(run.buffer).toBe(view?.buffer);
    expect(Buffer.concat(again).toString()).toBe('b\nc\n');
  });

  it('keeps a large run as it came, without a copy', () => {
    const large = runOf('x'.repeat(20_000));
    const history = new RoomHistory(roomy);
    history.append(runOf('a'), 1, 0);
    history.append(large, 1, 0);
    history.append(runOf('b'), 1, 0);
    const runs = history.slice(0, 3, Infinity).runs;
    expect(runs.some((run) => run.buffer === large.buffer)).toBe(true);
    expect(texts(runs)).toEqual(['a', 'x'.repeat(20_000), 'b']);
  });

  it('keeps every run intact across slabs', () => {
    const history = new RoomHistory({ ...roomy, frames: 1_000 });
    // 1,000 frames of 150 bytes: more than two 64 KiB slabs.
    const frames = Array.from({ length: 1_000 }, (_, i) => `${i}`.padStart(149, '.'));
    for (const frame of frames) history.append(runOf(frame), 1, 0);
    expect(texts(history.slice(0, 1_000, Infinity).runs)).toEqual(frames);
    expect(history.digestOf(1_000)).toBe(tokenDigest(frames[999]!));
  });

  it('evicts the oldest frames past the frame limit, cutting into a run', () => {
    const history = filled({ ...roomy, frames: 4 }, ['a', 'b'], ['c'], ['d', 'e']);
    expect([history.oldest, history.newest]).toEqual([2, 5]);
    expect(history.size.frames).toBe(4);
    expect(texts(history.slice(0, 5, Infinity).runs)).toEqual(['b', 'c', 'd', 'e']);
    // Frame 1 is gone: a slice from 0 says so.
    expect(history.slice(0, 5, Infinity).missing).toBe(true);
    expect(history.slice(1, 5, Infinity).missing).toBe(false);
    // Nothing asked for was evicted: a peer that joined before frame 1 misses nothing.
    expect(history.slice(0, 0, Infinity)).toEqual({ runs: [], frames: 0, missing: false });
  });

  it('evicts the oldest frames past the byte limit, LFs counted', () => {
    const history = filled({ ...roomy, bytes: 10 }, ['aaaa'], ['bbbb'], ['cc']);
    // 5 + 5 + 3 bytes: the first run must go.
    expect(history.size).toEqual({ frames: 2, bytes: 8 });
    expect(texts(history.slice(0, 3, Infinity).runs)).toEqual(['bbbb', 'cc']);
  });

  it('forgets frames older than the age limit when told the time', () => {
    const history = filled({ ...roomy, maxAgeMs: 1500 }, ['a'], ['b'], ['c']); // at 0, 1000, 2000
    history.expire(2000);
    expect(texts(history.slice(0, 3, Infinity).runs)).toEqual(['b', 'c']);
    history.expire(10_000);
    expect(history.size).toEqual({ frames: 0, bytes: 0 });
    expect([history.oldest, history.newest]).toEqual([4, 3]);
  });

  it('finds frames by digest, its newest copy when a frame came twice, and forgets evicted ones', () => {
    const history = filled({ ...roomy, frames: 4 }, ['a', 'b'], ['a'], ['c']);
    expect(history.seqOf(tokenDigest('b'))).toBe(2);
    expect(history.seqOf(tokenDigest('a'))).toBe(3);
    expect(history.digestOf(4)).toBe(tokenDigest('c'));
    history.append(runOf('d', 'e'), 2, 0); // evicts frames 1 and 2
    expect(history.seqOf(tokenDigest('b'))).toBe(2); // the last evicted is still known…
    history.append(runOf('f'), 1, 0); // evicts frame 3, the second `a`
    expect(history.seqOf(tokenDigest('b'))).toBeUndefined(); // …until another goes
    expect(history.seqOf(tokenDigest('a'))).toBe(3);
    history.append(runOf('g'), 1, 0);
    expect(history.seqOf(tokenDigest('a'))).toBeUndefined();
    expect(history.seqOf(tokenDigest('f'))).toBe(7);
    expect(history.seqOf(tokenDigest('g'))).toBe(8);
    expect(history.seqOf(tokenDigest('zz'))).toBeUndefined();
  });

  it('still knows the last frame after an empty room has forgotten everything by age', () => {
    const history = filled({ ...roomy, maxAgeMs: 100 }, ['a'], ['b']);
    const last = history.digestOf(history.newest);
    history.expire(60_000);
    expect(history.size.frames).toBe(0);
    // A client that saw `b` and nothing since resumes complete: nothing after `b` is missing.
    expect(history.seqOf(last!)).toBe(2);
    expect(history.slice(2, history.newest, Infinity)).toEqual({ runs: [], frames: 0, missing: false });
  });

  it('cuts an answer at the byte limit, keeping the newest frames, and says so', () => {
    const history = filled(roomy, ['aaaa', 'bbbb'], ['cccc', 'dddd']);
    const slice = history.slice(0, 4, 12);
    expect(texts(slice.runs)).toEqual(['bbbb', 'cccc', 'dddd'].slice(1));
    expect(slice).toMatchObject({ frames: 2, missing: true });
    expect(history.slice(0, 4, 15)).toMatchObject({ frames: 3, missing: true });
    expect(history.slice(0, 4, 20)).toMatchObject({ frames: 4, missing: false });
  });

  it('keeps nothing when any limit is 0, but still counts frames', () => {
    for (const limits of [
      { ...roomy, frames: 0 },
      { ...roomy, bytes: 0 },
      { ...roomy, maxAgeMs: 0 },
    ]) {
      const history = filled(limits, ['a'], ['b']);
      expect(history.enabled).toBe(false);
      expect(history.size).toEqual({ frames: 0, bytes: 0 });
      expect(history.newest).toBe(2);
    }
  });

  it('stays within its limits over a long run of appends and lookups', () => {
    const history = new RoomHistory({ frames: 50, bytes: 400, maxAgeMs: 1_000_000 });
    for (let i = 0; i < 5_000; i++) {
      const frames = Array.from({ length: 1 + (i % 3) }, (_, k) => `f${i}.${k}`);
      history.append(runOf(...frames), frames.length, i);
      if (i % 7 === 0) history.seqOf(tokenDigest(`f${i}.0`));
      expect(history.size.frames).toBeLessThanOrEqual(50);
      expect(history.size.bytes).toBeLessThanOrEqual(400);
    }
    const all = texts(history.slice(0, history.newest, Infinity).runs);
    expect(all.length).toBe(history.size.frames);
    expect(all.at(-1)).toBe('f4999.1');
    expect(history.seqOf(tokenDigest('f4999.0'))).toBe(history.newest - 1);
  });
});
