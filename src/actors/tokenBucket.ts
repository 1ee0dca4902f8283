/**
 * Flood control's arithmetic: `rate` tokens a second, at most `burst` saved up. A sender takes
 * only what is there (`available`), so the bucket never runs into debt: what it cannot pay for
 * waits, unread, until `msUntil` says enough has come back.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** Whole tokens there at time `now` (ms). */
  available(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }

  /** Whether the bucket is back to its burst: it is then the same as a new one. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  /** Takes `count` tokens (no more than `available`; a little over is a short debt). */
  take(count: number, now: number): void {
    this.refill(now);
    this.tokens -= count;
  }

  /** Ms from `now` until `count` tokens are there (0 if they are). */
  msUntil(count: number, now: number): number {
    this.refill(now);
    const missing = Math.min(count, this.burst) - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.rate);
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.rate) / 1000);
      this.updatedAt = now;
    }
  }
}
