/**
 * Batches writes per event-loop turn: whatever is queued for a peer while the poll phase reads
 * sockets goes out as one write in the check phase right after (setImmediate). One setImmediate
 * for all dirty peers, not one per peer.
 */
export interface Flushable {
  flush(): void;
}

export class FlushScheduler {
  private dirty: Flushable[] = [];
  private scheduled = false;

  mark(target: Flushable): void {
    this.dirty.push(target);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  private readonly run = (): void => {
    this.scheduled = false;
    const batch = this.dirty;
    this.dirty = [];
    for (const target of batch) target.flush();
  };
}
