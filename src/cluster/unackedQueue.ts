/** One message for the room's stream, kept until JetStream acknowledges it. */
export interface Unacked {
  readonly id: string;
  readonly data: Buffer;
  /** Its `Fernet-Chat-Senders` header: whose frames, how many of each. */
  readonly senders: string;
}

/**
 * What a hub has published and NATS has not acknowledged yet, oldest first, within a bound in
 * bytes (--cluster-max-unacked-bytes). The NATS client drops what is published while it is
 * disconnected, so the hub holds its publishes here until they are acknowledged and sends them
 * again, in order and under the same ids, until they are. Past the bound `offer` refuses: the
 * hub tells the sender (docs/protocol.md). No I/O in here.
 */
export class UnackedQueue {
  private readonly items: Unacked[] = [];
  private head = 0;
  private held = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.held;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Keeps `item` unless that would pass the bound; false: refused. */
  offer(item: Unacked): boolean {
    if (this.held + item.data.length > this.maxBytes) return false;
    this.items.push(item);
    this.held += item.data.length;
    return true;
  }

  /** The oldest `count` items not acknowledged yet, in order. */
  peek(count: number): Unacked[] {
    return this.items.slice(this.head, this.head + count);
  }

  /** The oldest `count` items are acknowledged: forget them. */
  acknowledge(count: number): void {
    const end = Math.min(this.items.length, this.head + count);
    for (let i = this.head; i < end; i++) this.held -= this.items[i]!.data.length;
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }
}
