import type { TokenBucket } from './tokenBucket.ts';

/**
 * What one connection may send now: the least of its own bucket and its address's, which all
 * connections from that address share (so that opening more connections buys no more frames).
 */
export class FloodGate {
  constructor(private readonly buckets: readonly TokenBucket[]) {}

  /** Lines that may be read at time `now`. */
  allowance(now: number): number {
    let least = Number.POSITIVE_INFINITY;
    for (const bucket of this.buckets) least = Math.min(least, bucket.available(now));
    return least;
  }

  take(count: number, now: number): void {
    for (const bucket of this.buckets) bucket.take(count, now);
  }

  /** Ms until one more line may be read. */
  msUntilNext(now: number): number {
    let longest = 0;
    for (const bucket of this.buckets) longest = Math.max(longest, bucket.msUntil(1, now));
    return longest;
  }
}
