import { displayText } from '../text/displayText.ts';

interface Member {
  readonly name: string;
  /** The name as shown: `bob`, or `bob (2)` for a second connection using the name. */
  readonly label: string;
}

/**
 * Who is online, as far as this client can tell. The hub speaks of peer ids only (`#hello`,
 * `#joined`, `#left`) and never sees a name; names come from the envelopes we decrypt, which
 * carry their sender's hub id (`peer`). Clients that do not send one (older versions) are kept by
 * name alone, and counted in `online` from the hub's notices. Ids are per connection: after a
 * reconnect the roster starts again from the replies to our new join.
 */
export class Roster {
  private readonly members = new Map<number, Member>();
  /** Names from envelopes without a hub id, with how many joins of each are still open. */
  private readonly unlinked = new Map<string, number>();
  /**
   * Who was online on the connection before this one. Others keep their ids when our own
   * connection blinks, so after a reconnect their replies to our new join are not news.
   */
  private previous = new Map<number, Member>();
  /** Ids whose owner said goodbye: the hub's `#left` for them is not news. */
  private readonly saidGoodbye = new Set<number>();
  /** Our own hub id on the current connection, when the hub said it. */
  self: number | undefined;
  /** How many the hub says are online, us included; -1 when it has not said. */
  online = -1;

  /** Forgets everything the hub's ids stood for: they are about a connection that is gone. */
  reset(): void {
    if (this.members.size > 0) this.previous = new Map(this.members);
    this.members.clear();
    this.unlinked.clear();
    this.saidGoodbye.clear();
    this.self = undefined;
    this.online = -1;
  }

  has(peer: number): boolean {
    return this.members.has(peer);
  }

  /** How the sender of an envelope is shown: its label when its id is known under that name. */
  labelOf(name: string, peer: number | undefined): string {
    const member = peer === undefined ? undefined : this.members.get(peer);
    return member !== undefined && member.name === name ? member.label : displayText(name);
  }

  /** Whether `peer` was online under `name` on our connection before this one. */
  wasHereBefore(peer: number, name: string): boolean {
    return this.previous.get(peer)?.name === name;
  }

  /**
   * Records that `peer` goes by `name`; returns its label, whether the id was new, and the label
   * it had before when the name changed.
   */
  see(peer: number, name: string): { label: string; isNew: boolean; before?: string } {
    const known = this.members.get(peer);
    if (known !== undefined && known.name === name) return { label: known.label, isNew: false };
    if (known !== undefined) this.members.delete(peer);
    const label = this.freshLabel(name);
    this.members.set(peer, { name, label });
    return known === undefined ? { label, isNew: true } : { label, isNew: false, before: known.label };
  }

  /** A client without ids joined (or left): kept by name. */
  joinedUnlinked(name: string): void {
    this.unlinked.set(name, (this.unlinked.get(name) ?? 0) + 1);
  }

  leftUnlinked(name: string): void {
    const count = (this.unlinked.get(name) ?? 0) - 1;
    if (count > 0) this.unlinked.set(name, count);
    else this.unlinked.delete(name);
  }

  /** `peer` said goodbye: removes it, and the hub's `#left` for it will say nothing new. */
  goodbye(peer: number): string | undefined {
    this.saidGoodbye.add(peer);
    return this.remove(peer);
  }

  /**
   * The hub says `peer` is gone: its label when the news is ours to tell (it did not say
   * goodbye first), otherwise undefined.
   */
  left(peer: number): string | undefined {
    if (this.saidGoodbye.delete(peer)) return undefined;
    return this.remove(peer);
  }

  /** Everyone known, as shown: ourselves first, marked. */
  names(selfName: string): string[] {
    const self = this.self === undefined ? undefined : this.members.get(this.self);
    const others = [...this.members].filter(([peer]) => peer !== this.self).map(([, m]) => m.label);
    const unlinked = [...this.unlinked].flatMap(([name, count]) =>
      Array.from({ length: count }, () => displayText(name)),
    );
    return [`${self?.label ?? displayText(selfName)} (you)`, ...others, ...unlinked];
  }

  private remove(peer: number): string | undefined {
    const member = this.members.get(peer);
    this.members.delete(peer);
    return member?.label;
  }

  /** `bob`, or `bob (n)` when n - 1 connections online already use the name. */
  private freshLabel(name: string): string {
    const taken = new Set([...this.members.values()].filter((m) => m.name === name).map((m) => m.label));
    const plain = displayText(name);
    if (!taken.has(plain)) return plain;
    for (let n = 2; ; n++) if (!taken.has(`${plain} (${n})`)) return `${plain} (${n})`;
  }
}
