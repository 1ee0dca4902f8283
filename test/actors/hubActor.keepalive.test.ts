import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { hubActor } from '../../src/actors/hubActor.ts';
import type { HubEffect, HubEvent } from '../../src/streams/hubEvent.ts';

const keepalive = { idleMs: 1_000, pongTimeoutMs: 500 };

/** Drives the hub actor by hand; `at` sends a tick, and returns the pings and closes it caused. */
function hub() {
  const events = new Subject<HubEvent>();
  const effects: HubEffect[] = [];
  events.pipe(hubActor({ notices: true, keepalive })).subscribe((effect) => effects.push(effect));
  const send = (event: HubEvent) => events.next(event);
  const at = (now: number): string[] => {
    const before = effects.length;
    send({ type: 'tick', now });
    return effects
      .slice(before)
      .flatMap((e) =>
        e.type === 'notice' && e.text === '#ping'
          ? [`ping ${e.peer}`]
          : e.type === 'close'
            ? [`close ${e.peer} ${e.reason}`]
            : [],
      );
  };
  return { send, at };
}

describe('hub actor keepalive (judged on ticks)', () => {
  it('measures silence from the join, even for a peer that joins before the first tick of a long-running clock', () => {
    const { send, at } = hub();
    // The clock is the process's monotonic one: far from 0 when the first tick comes.
    send({ type: 'joined', peer: 1, remote: 'test' });
    expect(at(50_000)).toEqual([]);
    expect(at(50_900)).toEqual([]);
    expect(at(51_000)).toEqual(['ping 1']);
    expect(at(51_400)).toEqual([]);
    expect(at(51_500)).toEqual(['close 1 idle']);
    expect(at(60_000)).toEqual([]); // closed once
  });

  it('pings a silent peer once, closes it after the pong timeout, and forgives one that answers', () => {
    const { send, at } = hub();
    at(0);
    send({ type: 'joined', peer: 1, remote: 'test' });
    send({ type: 'joined', peer: 2, remote: 'test' });
    expect(at(100)).toEqual([]);
    expect(at(1_100)).toEqual(['ping 1', 'ping 2']);
    expect(at(1_300)).toEqual([]);
    send({ type: 'pong', peer: 2 });
    expect(at(1_600)).toEqual(['close 1 idle']);
    // Peer 2 answered: silence starts again from the tick that noticed it.
    expect(at(2_500)).toEqual([]);
    expect(at(2_600)).toEqual(['ping 2']);
  });

  it('never pings a peer that keeps sending something: frames, pings, even rejected lines', () => {
    const { send, at } = hub();
    at(0);
    send({ type: 'joined', peer: 1, remote: 'test' });
    const said: HubEvent[] = [
      { type: 'frames', peer: 1, run: { kind: 'frames', data: Buffer.from('x\n'), count: 1 } },
      { type: 'ping', peer: 1 },
      { type: 'rejected', peer: 1, code: 'bad-frame', detail: 'garbage' },
    ];
    for (let now = 400; now < 10_000; now += 400) {
      send(said[(now / 400) % said.length]!);
      expect(at(now)).toEqual([]);
    }
  });
});
