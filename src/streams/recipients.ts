import type { PeerId } from './hubEvent.ts';

/**
 * Who a delivery goes to: a roster, less the peer the frames came from. "Never back to the
 * sender" is this class: the hub actor says who sent a run, and every edge that delivers asks
 * here who gets it, so no edge can forget the rule. One roster array is shared by every delivery
 * until someone joins or leaves, so a delivery allocates nothing per recipient.
 */
export class Recipients {
  constructor(
    /** Everyone in the room when the frames came, the sender too. */
    readonly roster: readonly PeerId[],
    /** The sender, or undefined for frames that came from no one here (history, a notice). */
    readonly sender?: PeerId,
  ) {}

  /** Just this peer (a history answer, which goes to whoever asked). */
  static only(peer: PeerId): Recipients {
    return new Recipients([peer]);
  }

  forEach(visit: (peer: PeerId) => void): void {
    const { roster, sender } = this;
    for (let i = 0; i < roster.length; i++) {
      const peer = roster[i]!;
      if (peer !== sender) visit(peer);
    }
  }

  /**
   * The same recipients as an edge knows them: `members[i]` stands for `roster[i]` (undefined for
   * one it no longer has), so that a delivery to a hundred peers is not a hundred lookups.
   */
  forEachMember<Member>(members: ArrayLike<Member | undefined>, visit: (member: Member) => void): void {
    const { roster, sender } = this;
    for (let i = 0; i < roster.length; i++) {
      if (roster[i] === sender) continue;
      const member = members[i];
      if (member !== undefined) visit(member);
    }
  }

  includes(peer: PeerId): boolean {
    return peer !== this.sender && this.roster.includes(peer);
  }

  toArray(): PeerId[] {
    const peers: PeerId[] = [];
    this.forEach((peer) => peers.push(peer));
    return peers;
  }
}
