import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentTokens } from '../../src/actors/recentTokens.ts';
import { TokenBucket } from '../../src/actors/tokenBucket.ts';

const digest = (n: number) => n.toString(16).padStart(16, '0');

describe('RecentTokens (the replay memory)', () => {
  it('refuses a digest it remembers and accepts a new one', () => {
    const recent = new RecentTokens(3);
    expect(recent.remember(digest(1))).toBe(true);
    expect(recent.remember(digest(1))).toBe(false);
    expect(recent.remember(digest(2))).toBe(true);
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
            expect(recent.remember(digest(n))).toBe(fresh);
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
  it('lets a burst through, then says how long until the next token: no debt', () => {
    const bucket = new TokenBucket(100, 10, 0);
    expect(bucket.available(0)).toBe(10);
    bucket.take(10, 0);
    expect(bucket.available(0)).toBe(0);
    expect(bucket.msUntil(1, 0)).toBe(10); // one token at 100/s
    expect(bucket.available(50)).toBe(5); // 50 ms brought back 5
    expect(bucket.msUntil(1, 50)).toBe(0);
  });

  it('never saves up more than the burst, and is full again once it has refilled', () => {
    const bucket = new TokenBucket(100, 10, 0);
    expect(bucket.available(60_000)).toBe(10);
    bucket.take(10, 60_000);
    expect(bucket.isFull(60_050)).toBe(false);
    expect(bucket.isFull(60_100)).toBe(true);
  });

  it('holds any sender to the rate: taking only what is there, n lines take (n - burst) / rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 100 }),
        (rate, burst, reads) => {
          const bucket = new TokenBucket(rate, burst, 0);
          let now = 0;
          let taken = 0;
          for (const count of reads) {
            let left = count;
            while (left > 0) {
              const now_ = bucket.available(now);
              expect(now_).toBeLessThanOrEqual(burst); // never more than a burst at once
              const take = Math.min(left, now_);
              bucket.take(take, now);
              taken += take;
              left -= take;
              if (left > 0) now += bucket.msUntil(1, now); // reading pauses as long as told
            }
          }
          const total = reads.reduce((a, b) => a + b, 0);
          expect(taken).toBe(total);
          // Only `burst` came free; the rest came at the rate.
          expect(now).toBeGreaterThanOrEqual(((total - burst) * 1000) / rate - 1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
