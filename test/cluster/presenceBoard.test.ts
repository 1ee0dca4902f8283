import { describe, expect, it } from 'vitest';
import { parsePresence, PresenceBoard } from '../../src/cluster/presenceBoard.ts';

describe('presence across the room', () => {
  it('counts the other live hubs, not itself, and says when the count changes', () => {
    const board = new PresenceBoard(1, 900);
    expect(board.hear({ hub: 1, online: 5 }, 0).countChanged).toBe(false);
    expect(board.hear({ hub: 2, online: 3 }, 0).countChanged).toBe(true);
    expect(board.hear({ hub: 3, online: 4 }, 0).countChanged).toBe(true);
    expect(board.hear({ hub: 3, online: 4 }, 100).countChanged).toBe(false);
    expect(board.others).toBe(7);
  });

  it('passes on the joins and leaves of other hubs, once each', () => {
    const board = new PresenceBoard(1, 900);
    expect(board.hear({ hub: 2, online: 2, joined: [21, 22] }, 0)).toEqual({
      countChanged: true,
      joined: [21, 22],
      left: [],
    });
    expect(board.hear({ hub: 2, online: 1, left: [{ peer: 21, reason: 'quit' }] }, 10)).toEqual({
      countChanged: true,
      joined: [],
      left: [{ peer: 21, reason: 'quit' }],
    });
    // A leave of a peer it never heard of is no news.
    expect(board.hear({ hub: 2, online: 1, left: [{ peer: 99, reason: 'quit' }] }, 20).left).toEqual([]);
  });

  it("corrects what lost messages left wrong from a hub's full list of peers", () => {
    const board = new PresenceBoard(1, 900);
    board.hear({ hub: 2, online: 2, joined: [21, 22] }, 0);
    // 22's leave and 23's join were lost (NATS away, or we were frozen); the full list says so.
    expect(board.hear({ hub: 2, online: 2, peers: [21, 23] }, 10)).toEqual({
      countChanged: false,
      joined: [23],
      left: [{ peer: 22, reason: 'gone' }],
    });
  });

  it('drops a hub silent for the timeout, with the peers it was heard to have', () => {
    const board = new PresenceBoard(1, 900);
    board.hear({ hub: 2, online: 2, joined: [2_000_000_001, 2_000_000_002] }, 0);
    board.hear({ hub: 2, online: 1, left: [{ peer: 2_000_000_001, reason: 'quit' }] }, 100);
    board.hear({ hub: 3, online: 1, joined: [3_000_000_001] }, 100);
    expect(board.expire(899)).toEqual([]);
    board.hear({ hub: 3, online: 1 }, 800);
    expect(board.expire(1_000)).toEqual([2_000_000_002]);
    expect(board.others).toBe(1);
    expect(board.live).toBe(1);
  });

  it('ignores presence messages that are not ours', () => {
    const bytes = (text: string) => Buffer.from(text);
    expect(parsePresence(bytes('not json'))).toBeUndefined();
    expect(parsePresence(bytes('{"hub":"x","online":1}'))).toBeUndefined();
    expect(parsePresence(bytes('{"hub":2,"online":-1}'))).toBeUndefined();
    expect(
      parsePresence(
        bytes(
          '{"hub":2,"online":1,"joined":[7,"x"],"left":[{"peer":8,"reason":"quit"},{"peer":"9"}],"peers":[7,"y"]}',
        ),
      ),
    ).toEqual({
      hub: 2,
      online: 1,
      joined: [7],
      left: [{ peer: 8, reason: 'quit' }],
      peers: [7],
    });
  });
});
