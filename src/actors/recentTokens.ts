/**
 * A bounded memory of the tokens a client has accepted, by signature, so that a token replayed
 * by the hub or anyone on the path is shown only once. The oldest are forgotten first.
 */
export class RecentTokens {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  /** Remembers the signature; returns false if it was already remembered. */
  remember(signature: Buffer): boolean {
    const key = signature.toString('base64');
    if (this.seen.has(key)) return false;
    if (this.order.length < this.capacity) {
      this.order.push(key);
    } else {
      this.seen.delete(this.order[this.next]!);
      this.order[this.next] = key;
      this.next = (this.next + 1) % this.capacity;
    }
    this.seen.add(key);
    return true;
  }
}
