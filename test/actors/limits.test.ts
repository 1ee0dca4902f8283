import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentTokens } from '../../src/actors/recentTokens.ts';
import { TokenBucket } from '../../src/actors/tokenBucket.ts';

const signature = (n: number) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex');

describe('RecentTokens (the replay memory)', () => {
  it('refuses a signature it remembers and accepts a new one', () => {
    const recent = new RecentTokens(3);
    expect(recent.remember(signature(1))).toBe(true);
    expect(recent.remember(signature(1))).toBe(false);
    expect(recent.remember(signature(2))).toBe(true);
  });

  it('is bounded: it forgets the oldest first, and remembers exactly the last `capacity`', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.nat({ max: 40 }), { maxLength: 200 }),
        (capacity, seen) => {
          const recent = new RecentTokens(capacity);
          const model: number[] = []; // the accepted ones, oldest first, at most `capacity`
          for (const n of seen) {
            const fresh = !model.includes(n);
            expect(recent.remember(signature(n))).toBe(fresh);
            if (fresh) {
              model.push(n);
              if (model.length > capacity) model.shift();
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('TokenBucket (flood control arithmetic)', () => {
  it('lets a burst through, then asks to wait what the debt takes to repay at the rate', () => {
    const bucket = new TokenBucket(100, 10, 0);
    expect(bucket.take(10, 0)).toBe(0);
    expect(bucket.take(5, 0)).toBe(50); // 5 frames owed at 100/s
    expect(bucket.take(1, 50)).toBe(10); // 50 ms repaid 5, one more owed
    expect(bucket.take(1, 1_000)).toBe(0);
  });

  it('never saves up more than the burst', () => {
    const bucket = new TokenBucket(100, 10, 0);
    expect(bucket.take(10, 60_000)).toBe(0);
    expect(bucket.take(1, 60_000)).toBe(10);
  });

  it('holds any sender to the rate on average: after waiting as told, n frames take (n - burst) / rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 100 }),
        (rate, burst, reads) => {
          const bucket = new TokenBucket(rate, burst, 0);
          let now = 0;
          let frames = 0;
          for (const count of reads) {
            frames += count;
            now += bucket.take(count, now); // reads pause for as long as told
          }
          const total = reads.reduce((a, b) => a + b, 0);
          expect(frames).toBe(total);
          // The last wait pays the last read's debt; before it, at most `burst` came free.
          expect(now).toBeGreaterThanOrEqual(((total - burst) * 1000) / rate - 1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
