import { describe, expect, it } from 'vitest';
import { Recipients } from '../../src/streams/recipients.ts';
import { RosterMembers } from '../../src/actors/rosterMembers.ts';

describe('Recipients', () => {
  const roster = [1, 2, 3, 4];

  it('visits everyone on the roster but the sender', () => {
    const seen: number[] = [];
    new Recipients(roster, 3).forEach((peer) => seen.push(peer));
    expect(seen).toEqual([1, 2, 4]);
  });

  it('visits the members that stand for the roster, never the sender, skipping ones that are gone', () => {
    const members = ['one', 'two', undefined, 'four'];
    const seen: string[] = [];
    new Recipients(roster, 2).forEachMember(members, (member) => seen.push(member));
    expect(seen).toEqual(['one', 'four']);
  });

  it('visits the whole roster when the frames came from no one here', () => {
    const seen: string[] = [];
    new Recipients(roster).forEachMember(['a', 'b', 'c', 'd'], (member) => seen.push(member));
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('RosterMembers', () => {
  it('resolves a roster once, and again only when the roster is another array', () => {
    const peers = new Map([
      [1, 'alice'],
      [2, 'bob'],
    ]);
    let lookups = 0;
    const counted = {
      get: (peer: number) => {
        lookups++;
        return peers.get(peer);
      },
    } as unknown as ReadonlyMap<number, string>;
    const members = new RosterMembers(counted);
    const first = [1, 2];
    expect(members.of(first)).toEqual(['alice', 'bob']);
    expect(members.of(first)).toEqual(['alice', 'bob']);
    expect(lookups).toBe(2);
    peers.set(3, 'carol');
    expect(members.of([1, 2, 3])).toEqual(['alice', 'bob', 'carol']);
    expect(lookups).toBe(5);
    expect(members.of([3, 9])).toEqual(['carol', undefined]);
  });
});
