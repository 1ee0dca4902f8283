import fc from 'fast-check';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { hubActor } from '../../src/actors/hubActor.ts';
import type { HubEffect, HubEvent, PeerId } from '../../src/streams/hubEvent.ts';
import { framesOf } from '../support/frames.ts';

/** What a generated step asks for; peers are picked by index into those present (or gone). */
type Step =
  | { readonly kind: 'join' }
  | { readonly kind: 'leave'; readonly pick: number }
  | { readonly kind: 'frames'; readonly pick: number; readonly count: number }
  | { readonly kind: 'late'; readonly pick: number }
  | { readonly kind: 'ping' | 'pong' | 'rejected'; readonly pick: number }
  | { readonly kind: 'tick'; readonly gap: number };

/** Steps, weighted: frames mostly, or (for keepalive) ticks mostly, so that peers fall silent. */
const steps = (weights: { frames: number; tick: number; maxGap: number }): fc.Arbitrary<Step> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: 'join' } as const) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('leave' as const), pick: fc.nat() }) },
    {
      weight: weights.frames,
      arbitrary: fc.record({
        kind: fc.constant('frames' as const),
        pick: fc.nat(),
        count: fc.integer({ min: 1, max: 4 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('late' as const), pick: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constantFrom('ping' as const, 'pong' as const, 'rejected' as const),
        pick: fc.nat(),
      }),
    },
    {
      weight: weights.tick,
      arbitrary: fc.record({
        kind: fc.constant('tick' as const),
        gap: fc.integer({ min: 1, max: weights.maxGap }),
      }),
    },
  );
const step = steps({ frames: 8, tick: 2, maxGap: 400 });
const MAX_GAP = 600;
const quietStep = steps({ frames: 2, tick: 8, maxGap: MAX_GAP });

interface Sent {
  readonly frame: string;
  readonly from: PeerId;
  /** Who was present when it arrived. */
  readonly present: ReadonlySet<PeerId>;
}

/**
 * Runs the steps through the hub actor, applying its effects as the hub's edges do (to whom the
 * effect's Recipients name), and returns what was sent and what each peer received.
 */
function simulate(steps: readonly Step[], keepalive?: { idleMs: number; pongTimeoutMs: number }) {
  const events = new Subject<HubEvent>();
  const effects: HubEffect[] = [];
  events.pipe(hubActor({ notices: true, keepalive })).subscribe((effect) => {
    // `#joined`/`#left` go out as one shared delivery; here they count as a notice to each recipient.
    if (effect.type === 'deliver' && effect.data[0] === 0x23) {
      const text = effect.data.toString().trimEnd();
      effect.to.forEach((peer) => effects.push({ type: 'notice', peer, text }));
    } else {
      effects.push(effect);
    }
  });

  const present: PeerId[] = [];
  const gone: PeerId[] = [];
  const sent: Sent[] = [];
  const received = new Map<PeerId, string[]>();
  const shared: { event: Buffer; effect: Buffer }[] = [];
  let nextPeer = 1;
  let nextFrame = 1;
  let now = 1_000_000;

  const collect = (from: number) => {
    for (const effect of effects.slice(from)) {
      if (effect.type !== 'deliver') continue;
      for (const to of effect.to.toArray()) {
        const frames = framesOf({ kind: 'frames', data: effect.data, count: 0 }).map(String);
        received.get(to)?.push(...frames);
      }
    }
  };

  for (const s of steps) {
    const before = effects.length;
    switch (s.kind) {
      case 'join': {
        const peer = nextPeer++;
        present.push(peer);
        received.set(peer, []);
        events.next({ type: 'joined', peer, remote: 'test' });
        break;
      }
      case 'leave': {
        if (present.length === 0) break;
        const [peer] = present.splice(s.pick % present.length, 1);
        gone.push(peer!);
        events.next({ type: 'left', peer: peer!, reason: 'quit' });
        break;
      }
      case 'frames': {
        if (present.length === 0) break;
        const peer = present[s.pick % present.length]!;
        const texts = Array.from({ length: s.count }, () => `f${nextFrame++}`);
        const data = Buffer.from(texts.map((t) => `${t}\n`).join(''));
        for (const frame of texts) sent.push({ frame, from: peer, present: new Set(present) });
        events.next({ type: 'frames', peer, run: { kind: 'frames', data, count: s.count } });
        const delivery = effects.slice(before).find((e) => e.type === 'deliver');
        if (delivery?.type === 'deliver') shared.push({ event: data, effect: delivery.data });
        break;
      }
      case 'late': {
        // A frame from a peer that has already left (its socket's last bytes): nobody gets it.
        if (gone.length === 0) break;
        const peer = gone[s.pick % gone.length]!;
        const frame = `late${nextFrame++}`;
        events.next({
          type: 'frames',
          peer,
          run: { kind: 'frames', data: Buffer.from(`${frame}\n`), count: 1 },
        });
        sent.push({ frame, from: peer, present: new Set() });
        break;
      }
      case 'ping':
      case 'pong':
        if (present.length > 0) events.next({ type: s.kind, peer: present[s.pick % present.length]! });
        break;
      case 'rejected':
        if (present.length > 0)
          events.next({
            type: 'rejected',
            peer: present[s.pick % present.length]!,
            code: 'bad-frame',
            detail: 'x',
          });
        break;
      case 'tick':
        now += s.gap;
        events.next({ type: 'tick', now });
        break;
    }
    collect(before);
  }
  return { sent, received, effects, shared, present };
}

describe('hub actor, properties (arbitrary orders of joins, frames, leaves and the rest)', () => {
  it('every frame reaches exactly the peers present when it arrived, once, in order, never its sender', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120, size: 'medium' }), (steps) => {
        const { sent, received, shared } = simulate(steps);
        for (const [peer, got] of received) {
          // Exactly what others sent while it was there, in the order the hub got it.
          const expected = sent.filter((s) => s.from !== peer && s.present.has(peer)).map((s) => s.frame);
          expect(got).toEqual(expected);
        }
        // Never to the sender, never twice, never after leaving: all implied by the equality above;
        // and in per-sender order, since the global order restricted to one sender is its order.
        for (const { event, effect } of shared) expect(effect).toBe(event); // one shared Buffer, no copy
      }),
      { numRuns: 500 },
    );
  });

  it('tells a joiner #hello with the count, the others #joined and #left, and never talks to a peer that left', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80, size: 'medium' }), (steps) => {
        const { effects } = simulate(steps);
        const online = new Set<PeerId>();
        const left = new Set<PeerId>();
        const noticesOf = new Map<PeerId, string[]>();
        for (const effect of effects) {
          if (effect.type === 'log') {
            if (effect.record.event === 'join') online.add(Number(effect.record.peer));
            if (effect.record.event === 'leave') {
              online.delete(Number(effect.record.peer));
              left.add(Number(effect.record.peer));
            }
            continue;
          }
          if (effect.type !== 'notice') continue;
          expect(left.has(effect.peer), `notice to ${effect.peer} after it left`).toBe(false);
          const list = noticesOf.get(effect.peer) ?? [];
          noticesOf.set(effect.peer, list);
          if (list.length === 0)
            expect(effect.text).toBe(`#hello fernet-chat/1 ${effect.peer} ${online.size}`);
          else expect(effect.text).toMatch(/^#(joined \d+ \d+|left \d+ \d+ quit|pong|error bad-frame x)$/);
          if (effect.text.startsWith('#joined') || effect.text.startsWith('#left'))
            expect(Number(effect.text.split(' ')[2])).toBe(online.size);
          list.push(effect.text);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keepalive: pings only a peer silent for the idle time, closes only one pinged and silent since, each once', () => {
    const idleMs = 1_000;
    const pongTimeoutMs = 500;
    let pings = 0;
    let closes = 0;
    fc.assert(
      fc.property(fc.array(quietStep, { minLength: 40, maxLength: 150 }), (steps) => {
        const events = new Subject<HubEvent>();
        const effects: HubEffect[] = [];
        events
          .pipe(hubActor({ notices: true, keepalive: { idleMs, pongTimeoutMs } }))
          .subscribe((e) => effects.push(e));
        const present: PeerId[] = [];
        /** The time of the last tick at or before each peer's last sign of life. */
        const lastHeard = new Map<PeerId, number>();
        const pingedAt = new Map<PeerId, number>();
        const closed = new Set<PeerId>();
        let now = 1_000_000;
        let nextPeer = 1;
        const hear = (peer: PeerId) => {
          lastHeard.set(peer, now);
          pingedAt.delete(peer);
        };
        for (const s of steps) {
          const before = effects.length;
          const pick = 'pick' in s ? present[s.pick % Math.max(1, present.length)] : undefined;
          switch (s.kind) {
            case 'join': {
              const peer = nextPeer++;
              present.push(peer);
              hear(peer);
              events.next({ type: 'joined', peer, remote: 'test' });
              break;
            }
            case 'leave':
              if (pick === undefined) break;
              present.splice(present.indexOf(pick), 1);
              events.next({ type: 'left', peer: pick, reason: 'quit' });
              break;
            case 'frames':
              if (pick === undefined) break;
              hear(pick);
              events.next({
                type: 'frames',
                peer: pick,
                run: { kind: 'frames', data: Buffer.from('x\n'), count: 1 },
              });
              break;
            case 'ping':
            case 'pong':
              if (pick === undefined) break;
              hear(pick);
              events.next({ type: s.kind, peer: pick });
              break;
            case 'rejected':
              if (pick === undefined) break;
              hear(pick);
              events.next({ type: 'rejected', peer: pick, code: 'bad-frame', detail: 'x' });
              break;
            case 'late':
              break;
            case 'tick': {
              // Signs of life since the last tick count from the tick before them.
              const previous = now;
              now += s.gap;
              events.next({ type: 'tick', now });
              for (const effect of effects.slice(before)) {
                if (effect.type === 'notice' && effect.text === '#ping') {
                  expect(present).toContain(effect.peer);
                  expect(pingedAt.has(effect.peer), 'pinged twice').toBe(false);
                  expect(now - lastHeard.get(effect.peer)!, 'pinged too soon').toBeGreaterThanOrEqual(idleMs);
                  pingedAt.set(effect.peer, now);
                  pings++;
                }
                if (effect.type === 'close') {
                  expect(effect.reason).toBe('idle');
                  expect(closed.has(effect.peer), 'closed twice').toBe(false);
                  const pinged = pingedAt.get(effect.peer);
                  expect(pinged, 'closed without a ping').toBeDefined();
                  expect(now - pinged!, 'closed too soon').toBeGreaterThanOrEqual(pongTimeoutMs);
                  closed.add(effect.peer);
                  closes++;
                }
              }
              // The edges close those sockets, and their `left` follows.
              for (const peer of present.filter((p) => closed.has(p))) {
                present.splice(present.indexOf(peer), 1);
                events.next({ type: 'left', peer, reason: 'idle' });
              }
              // Liveness: a peer silent far past both limits has been closed by now.
              for (const peer of present) {
                const silent = previous - lastHeard.get(peer)!;
                if (silent >= idleMs + pongTimeoutMs + 2 * MAX_GAP && lastHeard.get(peer)! < previous)
                  expect(closed.has(peer) || pingedAt.has(peer), `peer ${peer} silent ${silent} ms`).toBe(
                    true,
                  );
              }
              break;
            }
          }
        }
      }),
      { numRuns: 300 },
    );
    // The runs did exercise both.
    expect(pings).toBeGreaterThan(100);
    expect(closes).toBeGreaterThan(50);
  });
});
