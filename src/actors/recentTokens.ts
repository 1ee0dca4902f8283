/**
 * A bounded memory of the tokens a client has shown or sent, by digest (docs/protocol.md): a
 * token replayed by the hub or anyone on the path is shown only once, and a history answer that
 * repeats what the client has (its own lines, frames it saw before a reconnect) is recognised.
 * The oldest are forgotten first. Token text is decoded strictly (one text per token), so the
 * digest of the text names the token as well as its signature would.
 */
export class RecentTokens {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  /** Remembers the digest; returns false if it was already remembered. */
  remember(digest: string): boolean {
    if (this.seen.has(digest)) return false;
    if (this.order.length < this.capacity) {
      this.order.push(digest);
    } else {
      this.seen.delete(this.order[this.next]!);
      this.order[this.next] = digest;
      this.next = (this.next + 1) % this.capacity;
    }
    this.seen.add(digest);
    return true;
  }
}
