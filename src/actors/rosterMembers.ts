import type { PeerId } from '../streams/hubEvent.ts';

/**
 * A roster of peer ids resolved to what an edge holds for them, kept while the roster stays the
 * same array: the hub actor replaces its roster on every join and leave and shares it otherwise,
 * so a busy room resolves it once per change, not once per recipient per frame.
 */
export class RosterMembers<Member> {
  private roster: readonly PeerId[] | undefined;
  private members: (Member | undefined)[] = [];

  constructor(private readonly lookup: ReadonlyMap<PeerId, Member>) {}

  of(roster: readonly PeerId[]): readonly (Member | undefined)[] {
    if (roster !== this.roster) {
      this.roster = roster;
      this.members = roster.map((peer) => this.lookup.get(peer));
    }
    return this.members;
  }
}
