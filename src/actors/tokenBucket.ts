/**
 * Flood control's arithmetic: `rate` tokens a second, at most `burst` saved up. Taking more than
 * there are leaves a debt; the answer is how long to wait until it is paid.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** Takes `count` tokens at time `now` (ms); returns 0, or the ms to wait before taking more. */
  take(count: number, now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.rate) / 1000);
    this.updatedAt = now;
    this.tokens -= count;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate);
  }
}
