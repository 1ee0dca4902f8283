import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { hubActor } from '../../src/actors/hubActor.ts';
import type { HubEffect, HubEvent, PeerId } from '../../src/streams/hubEvent.ts';

// The hub actor clustered: the same pure actor, with the room's stream and the other hubs'
// presence as events and publishes as effects. No NATS here (src/cluster is the edge).

const run = (...texts: string[]) => ({
  kind: 'frames' as const,
  data: Buffer.from(texts.map((text) => `${text}\n`).join('')),
  count: texts.length,
});
const joined = (peer: PeerId): HubEvent => ({ type: 'joined', peer, remote: '127.0.0.1:1' });

async function effectsOf(events: HubEvent[]): Promise<string[]> {
  const effects = await lastValueFrom(
    from(events).pipe(
      hubActor({
        notices: true,
        cluster: true,
        history: {
          limits: { frames: 10, bytes: 10_000, maxAgeMs: 60_000 },
          epoch: 'room',
          maxAnswerBytes: 10_000,
        },
      }),
      toArray(),
    ),
  );
  return effects.filter((effect) => effect.type !== 'log').map(show);
}

function show(effect: HubEffect): string {
  switch (effect.type) {
    case 'deliver':
      return `deliver ${effect.data.toString().trim().replaceAll('\n', ',')} to ${effect.to.toArray().join(',')}`;
    case 'notice':
      return `${effect.peer}: ${effect.text}`;
    case 'publish':
      return `publish ${effect.run.data.toString().trim()} from ${effect.peer}`;
    case 'presence':
      return `presence ${effect.online}${effect.change === undefined ? '' : ` ${effect.change.kind} ${effect.change.peer}`}`;
    default:
      return effect.type;
  }
}

describe('the hub actor, clustered', () => {
  it("publishes a local peer's frames instead of delivering them, and delivers the room's stream to all here but the sender", async () => {
    expect(
      await effectsOf([
        joined(11),
        joined(12),
        { type: 'frames', peer: 11, run: run('A') },
        { type: 'room-frames', run: run('A'), sender: 11 },
        { type: 'room-frames', run: run('B', 'C'), sender: 21 },
        { type: 'room-frames', run: run('D') },
      ]),
    ).toEqual([
      'presence 1 joined 11',
      '11: #hello fernet-chat/1 11 1 room -',
      'presence 2 joined 12',
      '12: #hello fernet-chat/1 12 2 room -',
      'deliver #joined 12 2 to 11',
      'publish A from 11',
      'deliver A to 12',
      'deliver B,C to 11,12',
      'deliver D to 11,12',
    ]);
  });

  it("keeps the room's frames in history in the stream's order, for joins and resumes on any hub", async () => {
    const effects = await effectsOf([
      { type: 'room-frames', run: run('old1', 'old2'), sender: 21 },
      joined(11),
      { type: 'recall', peer: 11, request: { kind: 'history', count: 5 } },
    ]);
    expect(effects).toEqual([
      'presence 1 joined 11',
      expect.stringMatching(/^11: #hello fernet-chat\/1 11 1 room [A-Za-z0-9_-]{16}$/),
      '11: #history-start',
      'deliver old1,old2 to 11',
      '11: #history-end 2 complete',
    ]);
  });

  it("counts the other hubs' peers in #hello, #joined and #left, and announces their joins and leaves", async () => {
    expect(
      await effectsOf([
        joined(11),
        { type: 'room-presence', others: 3, joined: [21], left: [] },
        joined(12),
        { type: 'room-presence', others: 2, joined: [], left: [{ peer: 21, reason: 'hub-gone' }] },
        { type: 'left', peer: 12, reason: 'quit' },
      ]),
    ).toEqual([
      'presence 1 joined 11',
      '11: #hello fernet-chat/1 11 1 room -',
      'deliver #joined 21 4 to 11',
      'presence 2 joined 12',
      '12: #hello fernet-chat/1 12 5 room -',
      'deliver #joined 12 5 to 11',
      'deliver #left 21 4 hub-gone to 11,12',
      'presence 1 left 12',
      'deliver #left 12 3 quit to 11',
    ]);
  });
});
