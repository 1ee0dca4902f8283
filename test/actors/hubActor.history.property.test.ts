import fc from 'fast-check';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { hubActor } from '../../src/actors/hubActor.ts';
import type { HubEvent, PeerId } from '../../src/streams/hubEvent.ts';

type Step =
  | { readonly kind: 'join' }
  | { readonly kind: 'leave' | 'recall'; readonly pick: number }
  | { readonly kind: 'frames'; readonly pick: number; readonly count: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'join' } as const) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('recall' as const), pick: fc.nat() }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('frames' as const),
      pick: fc.nat(),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
);

interface PeerLog {
  /** Frames relayed in the room before it joined, in order. */
  readonly before: string[];
  /** Frames others relayed while it was there, in order. */
  readonly whileHere: string[];
  /** What it received: live frames and answers, with the answer's bounds marked. */
  readonly got: string[];
  asked: boolean;
  /** Frames the room still kept when it asked: the newest `keep` of all. */
  kept: string[];
}

/** Runs the steps through the hub actor with history keeping `keep` frames; what each peer got. */
function simulate(steps: readonly Step[], keep: number) {
  const events = new Subject<HubEvent>();
  const logs = new Map<PeerId, PeerLog>();
  events
    .pipe(
      hubActor({
        notices: true,
        history: {
          limits: { frames: keep, bytes: 1 << 30, maxAgeMs: 1e9 },
          epoch: 'e',
          maxAnswerBytes: 1 << 30,
        },
      }),
    )
    .subscribe((effect) => {
      if (effect.type === 'notice' && effect.text.startsWith('#history'))
        logs.get(effect.peer)?.got.push(effect.text);
      if (effect.type === 'deliver' && effect.data[0] !== 0x23)
        effect.to.forEach((peer) =>
          logs.get(peer)?.got.push(...effect.data.toString().split('\n').slice(0, -1)),
        );
    });
  const present: PeerId[] = [];
  const room: string[] = [];
  let nextPeer = 1;
  let nextFrame = 1;
  for (const s of steps) {
    if (s.kind === 'join') {
      const peer = nextPeer++;
      logs.set(peer, { before: [...room], whileHere: [], got: [], asked: false, kept: [] });
      present.push(peer);
      events.next({ type: 'joined', peer, remote: 'test' });
      continue;
    }
    if (present.length === 0) continue;
    const peer = present[s.pick % present.length]!;
    if (s.kind === 'leave') {
      present.splice(present.indexOf(peer), 1);
      events.next({ type: 'left', peer, reason: 'quit' });
    } else if (s.kind === 'recall') {
      const log = logs.get(peer)!;
      if (log.asked) continue;
      log.asked = true;
      log.kept = room.slice(-keep);
      events.next({ type: 'recall', peer, request: { kind: 'history', count: 1_000_000 } });
    } else if (s.kind === 'frames') {
      const texts = Array.from({ length: s.count }, () => `f${nextFrame++}`);
      room.push(...texts);
      for (const other of present) if (other !== peer) logs.get(other)!.whileHere.push(...texts);
      events.next({
        type: 'frames',
        peer,
        run: { kind: 'frames', data: Buffer.from(texts.map((t) => `${t}\n`).join('')), count: s.count },
      });
    }
  }
  return logs;
}

describe('hub actor history, properties (arbitrary joins, frames, leaves and requests)', () => {
  it('a peer that asks gets the room before its join from history and the rest live: nothing missed, nothing twice', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 120, size: 'medium' }),
        fc.integer({ min: 1, max: 12 }),
        (steps, keep) => {
          for (const [peer, log] of simulate(steps, keep)) {
            const start = log.got.indexOf('#history-start');
            if (!log.asked) {
              expect(start, `peer ${peer} never asked`).toBe(-1);
              expect(log.got).toEqual(log.whileHere);
              continue;
            }
            const end = log.got.findIndex((line) => line.startsWith('#history-end'));
            const answer = log.got.slice(start + 1, end);
            const live = [...log.got.slice(0, start), ...log.got.slice(end + 1)];
            // The answer: the frames before the join that the room still kept when asked, in the
            // room's order; a gap exactly when some had gone.
            const before = new Set(log.before);
            expect(answer).toEqual(log.kept.filter((frame) => before.has(frame)));
            const outcome = answer.length < log.before.length ? 'gap' : 'complete';
            expect(log.got[end]).toBe(`#history-end ${answer.length} ${outcome}`);
            // Live: everything after the join, once, in order, whenever the request came.
            expect(live).toEqual(log.whileHere);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
