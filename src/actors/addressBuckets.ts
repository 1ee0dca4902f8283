import { TokenBucket } from './tokenBucket.ts';

interface Entry {
  readonly bucket: TokenBucket;
  users: number;
}

/** Below this many entries the map is not swept. */
const SWEEP_FLOOR = 1_024;

/**
 * One flood-control bucket per remote address (see `addressKey`), shared by that address's
 * connections and kept after they leave until it has refilled: reconnecting buys no fresh burst.
 * A full bucket with no users is the same as a new one, so it is forgotten; the map holds the
 * addresses online plus those that sent in the last burst/rate seconds.
 */
export class AddressBuckets {
  private readonly entries = new Map<string, Entry>();
  private sweepAt = SWEEP_FLOOR;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  acquire(address: string, now: number): TokenBucket {
    let entry = this.entries.get(address);
    if (entry === undefined) {
      if (this.entries.size >= this.sweepAt) this.sweep(now);
      entry = { bucket: new TokenBucket(this.rate, this.burst, now), users: 0 };
      this.entries.set(address, entry);
    }
    entry.users++;
    return entry.bucket;
  }

  release(address: string, now: number): void {
    const entry = this.entries.get(address);
    if (entry === undefined) return;
    entry.users--;
    if (entry.users <= 0 && entry.bucket.isFull(now)) this.entries.delete(address);
  }

  private sweep(now: number): void {
    for (const [address, entry] of this.entries)
      if (entry.users <= 0 && entry.bucket.isFull(now)) this.entries.delete(address);
    this.sweepAt = Math.max(SWEEP_FLOOR, 2 * this.entries.size);
  }
}
