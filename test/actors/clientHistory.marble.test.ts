import { map, type Observable, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type ClientActorOptions, clientActor } from '../../src/actors/clientActor.ts';
import type { ClientOutput, LineKind, LinkEvent } from '../../src/actors/clientOutput.ts';
import type { Envelope } from '../../src/protocol/envelope.ts';
import { tokenDigest } from '../../src/protocol/frameDigest.ts';
import {
  envelope,
  FIXED_SECONDS,
  FIXED_TIME,
  openEnvelope,
  testId,
  testRing,
  tokenOf,
} from '../support/testKey.ts';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

function alice(options: Partial<ClientActorOptions> = {}) {
  let ids = 0;
  return clientActor({
    ring: testRing,
    name: 'alice',
    maxFrameBytes: 64 * 1024,
    ttlSeconds: 3600,
    idleMs: 0,
    clock: () => FIXED_TIME,
    newId: () => testId(++ids),
    ...options,
  });
}

const EPOCH = 'e1';
/** The link up as the hub link reports it after a `#hello` with an epoch and a newest frame. */
const upWith = (epoch: string | undefined, last?: string): LinkEvent => ({
  type: 'up',
  peer: 1,
  online: 2,
  ...(epoch === undefined ? {} : { epoch }),
  ...(last === undefined ? {} : { last }),
});
const down: LinkEvent = { type: 'down', reason: 'connection lost' };
const frame = (text: string): LinkEvent => ({ type: 'frame', frame: text });
const start = frame('#history-start');
const end = (sent: number, outcome: 'complete' | 'gap') => frame(`#history-end ${sent} ${outcome}`);

/** A token from someone else, said `minutesAgo` before FIXED_TIME (its `at` and its token time). */
function said(fields: Partial<Envelope> & Pick<Envelope, 'from'>, minutesAgo = 0): string {
  const at = new Date(FIXED_TIME.getTime() - minutesAgo * 60_000);
  return tokenOf(envelope({ at: at.toISOString(), ...fields }), testRing, FIXED_SECONDS - minutesAgo * 60);
}
const minutesAgo = (minutes: number) => new Date(FIXED_TIME.getTime() - minutes * 60_000).toISOString();

type View = Exclude<ClientOutput, { type: 'send' }> | { send: unknown };

/** Outputs made comparable: sent tokens opened; shown lines without their sender (lineStyle's). */
function opened(outputs: Observable<ClientOutput>): Observable<View> {
  return outputs.pipe(
    map((output): View => {
      if (output.type === 'show')
        return {
          type: 'show',
          line: output.line,
          ...(output.earlier === undefined ? {} : { earlier: output.earlier }),
        };
      if (output.type !== 'send') return output;
      if (output.frame.startsWith('#')) return { send: output.frame };
      return { send: openEnvelope(output.frame).envelope };
    }),
  );
}

const sent = (kind: Envelope['kind'], id: number, extra: Partial<Envelope> = {}): View => ({
  send: {
    v: 1,
    kind,
    from: 'alice',
    text: '',
    id: testId(id),
    at: FIXED_TIME.toISOString(),
    peer: 1,
    ...extra,
  },
});
const show = (line: string): View => ({ type: 'show', line });
const earlier = (line: string, at: string): View => ({ type: 'show', line, earlier: at });
const warn = (kind: LineKind, line: string): View => ({ type: 'warn', kind, line });
const status = (kind: LineKind, line: string): View => ({ type: 'status', kind, line });
const SEPARATOR = show('* ---- earlier messages above ----');

describe('client history and resume (marble)', () => {
  it('on its first connection asks for history before its join, shows it as earlier with its time, then a separator', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('u---sab-e-c', {
        u: upWith(EPOCH, 'AAAAAAAAAAAAAAAA'),
        s: start,
        a: frame(said({ from: 'bob', text: 'morning' }, 30)),
        b: frame(said({ from: 'carol', text: 'hi bob', action: true }, 20)),
        e: end(2, 'complete'),
        c: frame(said({ from: 'bob', text: 'live now' })),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('(hj)-ab-x-c', {
        h: { send: '#history 50' },
        j: sent('join', 1),
        a: earlier('bob: morning', minutesAgo(30)),
        b: earlier('* carol hi bob', minutesAgo(20)),
        x: SEPARATOR,
        c: show('bob: live now'),
      });
    });
  });

  it('holds live frames that come before the answer, and shows them after it, in order; an empty answer shows no separator', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('u---ab-s-e----c', {
        u: upWith(EPOCH),
        a: frame(said({ from: 'bob', text: 'first live' })),
        b: frame(said({ from: 'carol', text: 'second live' })),
        s: start,
        e: end(0, 'complete'),
        c: frame(said({ from: 'bob', text: 'third live' })),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('(hj)-----(ab)-c', {
        h: { send: '#history 50' },
        j: sent('join', 1),
        a: show('bob: first live'),
        b: show('carol: second live'),
        c: show('bob: third live'),
      });
    });
  });

  it('on a reconnect resumes after the last frame it received, before its join and the lines typed meanwhile, and says how many came', () => {
    const lastLive = said({ from: 'bob', text: 'before the loss' }, 5);
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold('--------q', { q: 'typed while away' });
      const link = cold('u(se)ld---U-s------ab-e', {
        u: upWith(EPOCH, 'AAAAAAAAAAAAAAAA'),
        s: start,
        e: end(0, 'complete'),
        l: frame(lastLive),
        d: down,
        U: upWith(EPOCH, 'BBBBBBBBBBBBBBBB'),
        a: frame(said({ from: 'bob', text: 'are you there?' }, 2)),
        b: frame(said({ from: 'carol', kind: 'leave' }, 1)),
      });
      expectObservable(opened(alice()({ typed, link }))).toBe('(hj)-l--q-(rJQS)---ab-m', {
        h: { send: '#history 50' },
        j: sent('join', 1),
        l: show('bob: before the loss'),
        q: status('queued', '* 1 line queued, will be sent on reconnect'),
        r: { send: `#resume ${EPOCH} ${tokenDigest(lastLive)}` },
        J: sent('join', 3),
        // Sealed while down: no hub id to give (toEqual takes an undefined field as absent).
        Q: sent('message', 2, { text: 'typed while away', peer: undefined }),
        S: status('queue-sent', '* sent 1 line queued while offline'),
        a: earlier('bob: are you there?', minutesAgo(2)),
        b: earlier('* carol left', minutesAgo(1)),
        // Carol's leave is shown, but only bob's line is a message that came while we were away.
        m: show('* 1 message while you were away'),
      });
    });
  });

  it('resumes from `last` of the #hello when no frame came since, and says so when none came while away', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('u(se)dU---(sE)', {
        u: upWith(EPOCH, 'AAAAAAAAAAAAAAAA'),
        s: start,
        e: end(0, 'complete'),
        d: down,
        U: upWith(EPOCH, 'BBBBBBBBBBBBBBBB'),
        E: end(0, 'complete'),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('(hj)--(rJ)m', {
        h: { send: '#history 50' },
        j: sent('join', 1),
        r: { send: `#resume ${EPOCH} AAAAAAAAAAAAAAAA` },
        J: sent('join', 2),
        m: show('* no messages while you were away'),
      });
    });
  });

  it('says some messages may have been missed on a gap: a restarted hub (another epoch), or one that did not keep them all', () => {
    const afterRestart = said({ from: 'bob', text: 'after the restart' });
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('u(se)dU---(saE)dV---(sG)', {
        u: upWith(EPOCH),
        s: start,
        e: end(0, 'complete'),
        d: down,
        U: upWith('e2', tokenDigest(afterRestart)),
        a: frame(afterRestart),
        E: end(1, 'gap'),
        V: upWith('e2'),
        G: end(0, 'gap'),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('(hj)--(rJ)(am)--(RK)g', {
        h: { send: '#history 50' },
        j: sent('join', 1),
        r: { send: `#resume ${EPOCH} -` },
        J: sent('join', 2),
        a: earlier('bob: after the restart', FIXED_TIME.toISOString()),
        m: show(
          '* some messages may have been missed (the hub has restarted); 1 message while you were away',
        ),
        // The restarted hub's run is the one to resume from now, after the newest frame at the join.
        R: { send: `#resume e2 ${tokenDigest(afterRestart)}` },
        K: sent('join', 3),
        g: show('* some messages may have been missed (the hub did not keep them all)'),
      });
    });
  });

  it('drops, silently and uncounted, what an answer repeats: its own lines and frames it has shown; a live repeat is still a replay', () => {
    const seenLive = said({ from: 'bob', text: 'seen before the loss' }, 5);
    const missed = said({ from: 'bob', text: 'missed' }, 2);
    const ours: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold('--------q', { q: 'typed while away' });
      // The hub restarted with what it had: everything comes again, our own queued line too.
      const link = cold('u(se)ld---U------(sLoMe)-R', {
        u: () => upWith(EPOCH),
        s: () => start,
        e: () => end(3, 'gap'),
        l: () => frame(seenLive),
        d: () => down,
        U: () => upWith(EPOCH),
        L: () => frame(seenLive),
        o: () => frame(ours[2]!),
        M: () => frame(missed),
        R: () => frame(missed),
      }).pipe(map((event) => event()));
      const outputs = alice()({ typed, link }).pipe(
        tap((output) => {
          if (output.type === 'send' && !output.frame.startsWith('#')) ours.push(output.frame);
        }),
      );
      expectObservable(opened(outputs)).toBe('(hj)-l--q-(rJQS)-(Mm)----w', {
        h: { send: '#history 50' },
        j: sent('join', 1),
        l: show('bob: seen before the loss'),
        q: status('queued', '* 1 line queued, will be sent on reconnect'),
        r: { send: `#resume ${EPOCH} ${tokenDigest(seenLive)}` },
        J: sent('join', 3),
        Q: sent('message', 2, { text: 'typed while away', peer: undefined }),
        S: status('queue-sent', '* sent 1 line queued while offline'),
        M: earlier('bob: missed', minutesAgo(2)),
        m: show(
          '* some messages may have been missed (the hub did not keep them all); 1 message while you were away',
        ),
        w: warn('replay', '! dropped a repeated message (replay)'),
      });
    });
    // ours: the first join, the queued line, the second join; the echo was the queued line.
    expect(ours).toHaveLength(3);
  });

  it('shows joins, leaves and renames from history as earlier lines, but they change nothing about who is here and get no answer', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold('------------w', { w: '/who' });
      const link = cold('u---(sabcdfe)', {
        u: upWith(EPOCH),
        s: start,
        a: frame(said({ from: 'bob', kind: 'join', peer: 2 }, 50)),
        b: frame(said({ from: 'carol', kind: 'join', peer: 3, here: true }, 49)),
        c: frame(said({ from: 'robert', kind: 'join', peer: 2, was: 'bob' }, 40)),
        d: frame(said({ from: 'robert', kind: 'leave', peer: 2 }, 30)),
        f: frame(said({ from: 'dave', kind: 'join' }, 20)),
        e: end(5, 'complete'),
      });
      expectObservable(opened(alice()({ typed, link }))).toBe('(hj)(acdfx)-w', {
        h: { send: '#history 50' },
        j: sent('join', 1),
        a: earlier('* bob joined', minutesAgo(50)),
        c: earlier('* bob is now robert', minutesAgo(40)),
        d: earlier('* robert left', minutesAgo(30)),
        f: earlier('* dave joined', minutesAgo(20)),
        x: SEPARATOR,
        // The hub says 2 are online; no name from history is taken for the other one.
        w: show('* 2 online: alice (you), and 1 who have not said their name yet'),
      });
    });
  });

  it('asks nothing of a hub without an epoch (older, or seed framing), and frames are live', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('ua-dU', {
        u: upWith(undefined),
        a: frame(said({ from: 'bob', text: 'hi' })),
        d: down,
        U: upWith(undefined),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('ja--J', {
        j: sent('join', 1),
        a: show('bob: hi'),
        J: sent('join', 2),
      });
    });
  });

  it('with --history 0 asks for no history on its first connection, and still resumes on a reconnect', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('u-dU---(se)', {
        u: upWith(EPOCH, 'AAAAAAAAAAAAAAAA'),
        d: down,
        U: upWith(EPOCH),
        s: start,
        e: end(0, 'complete'),
      });
      expectObservable(opened(alice({ history: 0 })({ typed: cold<string>('-'), link }))).toBe('j--(rJ)m', {
        j: sent('join', 1),
        r: { send: `#resume ${EPOCH} AAAAAAAAAAAAAAAA` },
        J: sent('join', 2),
        m: show('* no messages while you were away'),
      });
    });
  });

  it('asks for the number of lines it is told', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('u', { u: upWith(EPOCH) });
      expectObservable(opened(alice({ history: 7 })({ typed: cold<string>('-'), link })), '^ 9ms !').toBe(
        '(hj)',
        {
          h: { send: '#history 7' },
          j: sent('join', 1),
        },
      );
    });
  });

  it('stops waiting for an answer that does not come within the wait, and shows what it held', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('u-a 96ms b', {
        u: upWith(EPOCH),
        a: frame(said({ from: 'bob', text: 'held' })),
        b: frame(said({ from: 'bob', text: 'live' })),
      });
      const actor = alice({ historyWaitMs: 50 });
      expectObservable(opened(actor({ typed: cold<string>('-'), link }))).toBe('(hj) 46ms (ta) 45ms b', {
        h: { send: '#history 50' },
        j: sent('join', 1),
        t: status('history', '* earlier messages are not available: the hub did not answer within 0.05 s'),
        a: show('bob: held'),
        b: show('bob: live'),
      });
    });
  });

  it('stops waiting when the hub refuses the request', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('u---ab', {
        u: upWith(EPOCH),
        a: frame(said({ from: 'bob', text: 'held' })),
        b: frame('#error unknown-command not a command'),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('(hj)-(wta)', {
        h: { send: '#history 50' },
        j: sent('join', 1),
        w: warn('hub-error', '! hub: not a command (unknown-command)'),
        t: status('history', '* earlier messages are not available: the hub refused the request'),
        a: show('bob: held'),
      });
    });
  });

  it('stops waiting when more comes than it may hold (frames or bytes); an answer that comes after all is still shown as earlier', () => {
    const [one, two, three] = ['one', 'two', 'three'].map((text) => said({ from: 'bob', text }));
    for (const limits of [{ maxHeldFrames: 2 }, { maxHeldBytes: one!.length + two!.length }])
      scheduler().run(({ cold, expectObservable }) => {
        const link = cold('u---abc------(sde)', {
          u: upWith(EPOCH),
          a: frame(one!),
          b: frame(two!),
          c: frame(three!),
          s: start,
          d: frame(said({ from: 'carol', text: 'long ago' }, 30)),
          e: end(1, 'complete'),
        });
        expectObservable(opened(alice(limits)({ typed: cold<string>('-'), link }))).toBe('(hj)--(tabc)-d', {
          h: { send: '#history 50' },
          j: sent('join', 1),
          t: status(
            'history',
            '* earlier messages are not available: more new messages came than can be held while waiting for them',
          ),
          a: show('bob: one'),
          b: show('bob: two'),
          c: show('bob: three'),
          d: earlier('carol: long ago', minutesAgo(30)),
        });
      });
  });

  it('applies the TTL to earlier frames too: one too old is warned about, and not counted', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('u(se)dU---(sabe)', {
        u: upWith(EPOCH),
        s: start,
        e: end(2, 'complete'),
        d: down,
        U: upWith(EPOCH),
        a: frame(said({ from: 'bob', text: 'too old' }, 61)),
        b: frame(said({ from: 'bob', text: 'fresh' }, 59)),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('(hj)--(rJ)(wbm)', {
        h: { send: '#history 50' },
        j: sent('join', 1),
        r: { send: `#resume ${EPOCH} -` },
        J: sent('join', 2),
        w: warn('unreadable:expired', '! unreadable message: too old (older than the TTL)'),
        b: earlier('bob: fresh', minutesAgo(59)),
        m: show('* 1 message while you were away'),
      });
    });
  });

  it('a connection lost in the middle of an answer drops what it held, and resumes after the last frame of the answer it had', () => {
    const first = said({ from: 'bob', text: 'first missed' }, 3);
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('u(se)dU---(hsa)dV', {
        u: upWith(EPOCH),
        s: start,
        e: end(0, 'complete'),
        d: down,
        U: upWith(EPOCH),
        h: frame(said({ from: 'bob', text: 'held, then lost' })),
        a: frame(first),
        V: upWith(EPOCH),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link })), '^ 30ms !').toBe(
        '(hj)--(rJ)a-----(RK)',
        {
          h: { send: '#history 50' },
          j: sent('join', 1),
          r: { send: `#resume ${EPOCH} -` },
          J: sent('join', 2),
          a: earlier('bob: first missed', minutesAgo(3)),
          R: { send: `#resume ${EPOCH} ${tokenDigest(first)}` },
          K: sent('join', 3),
        },
      );
    });
  });
});
