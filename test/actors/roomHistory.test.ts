import fc from 'fast-check';
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

  it('holds the relayed Buffers themselves: a slice is views of them, never a copy', () => {
    const data = runOf('a', 'b', 'c');
    const history = new RoomHistory(roomy);
    history.append(data, 3, 0);
    const [view] = history.slice(1, 3, Infinity).runs;
    expect(view?.buffer).toBe(data.buffer);
    expect(view?.toString()).toBe('b\nc\n');
  });

  it('keeps runs of every size intact as the ring grows and wraps', () => {
    const history = new RoomHistory({ ...roomy, frames: 1_000, bytes: 64 << 20 });
    const frames = Array.from({ length: 1_500 }, (_, i) => `${i}`.padStart(i % 7 === 0 ? 20_000 : 149, '.'));
    for (const frame of frames) history.append(runOf(frame), 1, 0);
    expect(texts(history.slice(0, 1_500, Infinity).runs)).toEqual(frames.slice(500));
    expect(history.digestOf(1_500)).toBe(tokenDigest(frames[1_499]!));
  });

  it('answers right while thousands of runs come and go (the run array is compacted behind them)', () => {
    const history = new RoomHistory({ ...roomy, frames: 300 });
    const frames = Array.from({ length: 10_000 }, (_, i) => `frame ${i}`);
    for (let i = 0; i < frames.length;) {
      // Runs of one and of two frames, so that evictions cut into runs too.
      const count = i % 3 === 1 ? 2 : 1;
      history.append(runOf(...frames.slice(i, i + count)), count, 0);
      i += count;
      // The oldest and the newest frame kept, after every append: each compaction is checked.
      const ends = [history.oldest, history.newest].map((seq) =>
        texts(history.slice(seq - 1, seq, Infinity).runs),
      );
      expect(ends).toEqual([[frames[Math.max(0, i - 300)]], [frames[i - 1]]]);
    }
    expect(texts(history.slice(0, 10_000, Infinity).runs)).toEqual(frames.slice(9_700));
    expect(history.digestOf(9_701)).toBe(tokenDigest(frames[9_700]!));
    expect(history.seqOf(tokenDigest(frames[9_999]!))).toBe(10_000);
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

  it('finds the last frame by digest after everything was forgotten before anyone asked for a digest', () => {
    // No join or resume hashed `a` or `b` before they went: the first to ask is a resume after them.
    const history = filled({ ...roomy, maxAgeMs: 100 }, ['a'], ['b']);
    history.expire(60_000);
    expect(history.seqOf(tokenDigest('b'))).toBe(2);
    expect(history.seqOf(tokenDigest('a'))).toBeUndefined();
    // The same when a frame larger than the byte limit goes as it comes.
    const tiny = filled({ ...roomy, bytes: 3 }, ['toolong']);
    expect(tiny.size.frames).toBe(0);
    expect(tiny.seqOf(tokenDigest('toolong'))).toBe(1);
  });

  it('still names the last frame evicted once its run has gone, and hashes it then', () => {
    const history = new RoomHistory({ ...roomy, maxAgeMs: 100 });
    const frame = (n: number) => `${n}`.padEnd(3000, 'f');
    for (let n = 1; n <= 42; n++) history.append(runOf(frame(n)), 1, n <= 21 ? 0 : 500);
    history.expire(550); // frames 1-21 go, with their runs
    for (let n = 43; n <= 63; n++) history.append(runOf(frame(n)), 1, 600);
    // No digest was asked for before: frame 21 is hashed now, from its bytes.
    expect(history.seqOf(tokenDigest(frame(21)))).toBe(21);
    expect(texts(history.slice(21, 63, Infinity).runs)).toEqual(
      Array.from({ length: 42 }, (_, i) => frame(22 + i)),
    );
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

/** A model of the history: every frame kept in an array, the limits applied one frame at a time. */
class ModelHistory {
  kept: { seq: number; text: string; at: number }[] = [];
  bytes = 0;
  next = 1;
  lastEvicted: { seq: number; text: string } | undefined;

  constructor(private readonly limits: { frames: number; bytes: number; maxAgeMs: number }) {}

  append(texts: string[], at: number): void {
    for (const text of texts) {
      this.kept.push({ seq: this.next++, text, at });
      this.bytes += text.length + 1;
    }
    while (this.kept.length > this.limits.frames) this.evict();
    while (this.bytes > this.limits.bytes) this.evict();
  }

  expire(now: number): void {
    while (this.kept[0] !== undefined && this.kept[0].at < now - this.limits.maxAgeMs) this.evict();
  }

  slice(after: number, through: number, maxBytes: number) {
    const oldest = this.kept[0]?.seq ?? this.next;
    let missing = Math.min(Math.max(after, oldest - 1), through) > after;
    const inRange = this.kept.filter((f) => f.seq > after && f.seq <= through);
    const taken: string[] = [];
    let bytes = 0;
    for (const frame of inRange.reverse()) {
      if (bytes + frame.text.length + 1 > maxBytes) {
        missing = true;
        break;
      }
      bytes += frame.text.length + 1;
      taken.unshift(frame.text);
    }
    return { texts: taken, frames: taken.length, missing };
  }

  seqOf(text: string): number | undefined {
    const kept = this.kept.filter((f) => f.text === text).at(-1);
    if (kept !== undefined) return kept.seq;
    return this.lastEvicted?.text === text ? this.lastEvicted.seq : undefined;
  }

  textOf(seq: number): string | undefined {
    return (
      this.kept.find((f) => f.seq === seq)?.text ??
      (this.lastEvicted?.seq === seq ? this.lastEvicted.text : undefined)
    );
  }

  private evict(): void {
    const frame = this.kept.shift()!;
    this.bytes -= frame.text.length + 1;
    this.lastEvicted = frame;
  }
}

type Op =
  | { kind: 'append'; frames: string[]; dt: number }
  | { kind: 'expire'; dt: number }
  | { kind: 'slice'; after: number; span: number; maxBytes: number }
  | { kind: 'lookup'; back: number };

const frameText = fc.oneof(
  { weight: 20, arbitrary: fc.stringMatching(/^[a-e]{1,40}$/) },
  // Frames that reach the byte limit within a few dozen.
  { weight: 4, arbitrary: fc.integer({ min: 1_000, max: 6_000 }).map((n) => `${n}`.padEnd(n, 'm')) },
  // Now and then a long one.
  { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 40_000 }).map((n) => 'L'.repeat(n)) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      frames: fc.array(frameText, { minLength: 1, maxLength: 4 }),
      dt: fc.nat(50),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), dt: fc.nat(300) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('slice' as const),
      after: fc.nat(40),
      span: fc.nat(40),
      maxBytes: fc.oneof(fc.constant(Infinity), fc.nat(200), fc.nat(100_000)),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lookup' as const), back: fc.nat(30) }) },
);

describe('room history against a model of it', () => {
  it('keeps, evicts, slices and names frames as an array of every frame would', () => {
    fc.assert(
      fc.property(
        fc.record({
          // Few frames, so that they are evicted often; or enough that the ring has to grow.
          frames: fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 31, max: 400 })),
          bytes: fc.integer({ min: 1, max: 120_000 }),
        }),
        fc.array(op, { maxLength: 120 }),
        (limits, ops) => {
          const full = { ...limits, maxAgeMs: 500 };
          const history = new RoomHistory(full);
          const model = new ModelHistory(full);
          // Every answer given, with what it held: it must not change as the history moves on.
          const answers: { runs: Buffer[]; texts: string[] }[] = [];
          let now = 0;
          for (const o of ops) {
            if (o.kind === 'append') {
              now += o.dt;
              history.append(runOf(...o.frames), o.frames.length, now);
              model.append(o.frames, now);
            } else if (o.kind === 'expire') {
              now += o.dt;
              history.expire(now);
              model.expire(now);
            } else if (o.kind === 'slice') {
              const through = Math.min(model.next - 1, o.after + o.span);
              const slice = history.slice(o.after, through, o.maxBytes);
              const expected = model.slice(o.after, through, o.maxBytes);
              expect({ texts: texts(slice.runs), frames: slice.frames, missing: slice.missing }).toEqual(
                expected,
              );
              answers.push({ runs: slice.runs, texts: expected.texts });
            } else {
              const seq = model.next - 1 - o.back;
              const text = model.textOf(seq);
              expect(history.digestOf(seq)).toBe(text === undefined ? undefined : tokenDigest(text));
              if (text !== undefined) expect(history.seqOf(tokenDigest(text))).toBe(model.seqOf(text));
            }
            expect([history.oldest, history.newest]).toEqual([
              model.kept[0]?.seq ?? model.next,
              model.next - 1,
            ]);
            expect(history.size).toEqual({ frames: model.kept.length, bytes: model.bytes });
          }
          for (const answer of answers) expect(texts(answer.runs)).toEqual(answer.texts);
        },
      ),
      { numRuns: 300 },
    );
  });
});
