/** What the input budget needs of a connection: a way to drop it. */
export interface InputHolder {
  close(reason: string): void;
}

/**
 * The hub-wide bound on input held for connections: unfinished frames and reads that flood
 * control holds back. Each connection's share is bounded on its own (a frame, a read), but ten
 * thousand of them are not, so past `limit` the connection holding the most is dropped
 * (`#bye input-limit`): whoever holds a large unfinished frame the longest pays, not whoever
 * happens to read next.
 */
export class InputBudget<Holder extends InputHolder = InputHolder> {
  private readonly held = new Map<Holder, number>();
  private total = 0;

  constructor(readonly limit: number) {}

  get heldBytes(): number {
    return this.total;
  }

  /** `holder` now holds `bytes`; over the limit, the largest holders are dropped until it is met. */
  set(holder: Holder, bytes: number): void {
    const before = this.held.get(holder) ?? 0;
    if (bytes === before) return;
    this.total += bytes - before;
    if (bytes > 0) this.held.set(holder, bytes);
    else this.held.delete(holder);
    while (this.total > this.limit) {
      const largest = this.largest();
      if (largest === undefined) break;
      // Closing releases the holder's input (it sets 0 here); make sure of it regardless.
      largest.close('input-limit');
      this.set(largest, 0);
    }
  }

  private largest(): Holder | undefined {
    let found: Holder | undefined;
    let most = 0;
    for (const [holder, bytes] of this.held)
      if (bytes > most) {
        most = bytes;
        found = holder;
      }
    return found;
  }
}
