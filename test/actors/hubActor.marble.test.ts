import { filter, merge, mergeMap, type Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { hubActor, MAX_ERROR_REPLIES, MAX_REFUSED_IN_A_ROW } from '../../src/actors/hubActor.ts';
import type { HubEffect, HubEvent, PeerId } from '../../src/streams/hubEvent.ts';
import type { FrameRun } from '../../src/streams/frameEvent.ts';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

function run(...frames: string[]): FrameRun {
  return { kind: 'frames', data: Buffer.from(frames.map((f) => `${f}\n`).join('')), count: frames.length };
}

const joined = (peer: PeerId): HubEvent => ({ type: 'joined', peer, remote: `127.0.0.1:${50_000 + peer}` });
const frames = (peer: PeerId, ...texts: string[]): HubEvent => ({ type: 'frames', peer, run: run(...texts) });
const left = (peer: PeerId, reason = 'quit'): HubEvent => ({ type: 'left', peer, reason });
const rejected = (peer: PeerId): HubEvent => ({
  type: 'rejected',
  peer,
  code: 'bad-frame',
  detail: 'not a Fernet token: wrong length',
});

/**
 * Effects made readable: a delivery shows its data as text, its sender, and the peers the effect
 * itself says get it (the rule "never back to the sender" is the effect's, not this view's). Log
 * records are left out unless asked for.
 */
type View =
  | { deliver: string; from: PeerId; recipients: PeerId[] }
  | { notice: string; peer: PeerId }
  | { close: PeerId; reason: string }
  | { log: Record<string, unknown> }
  | { publish: string; from: PeerId }
  | { presence: number; change?: Record<string, unknown> };

function view(withLogs = false) {
  return (effects: Observable<HubEffect>): Observable<View> =>
    effects.pipe(
      filter((e) => withLogs || e.type !== 'log'),
      mergeMap((e): View[] => {
        switch (e.type) {
          case 'deliver': {
            const recipients = e.to.toArray();
            const text = e.data.toString();
            // `#joined`/`#left` travel as one shared delivery; shown here as what each peer gets.
            if (text.startsWith('#')) return recipients.map((peer) => ({ notice: text.slice(0, -1), peer }));
            return [{ deliver: text, from: e.to.sender ?? 0, recipients }];
          }
          case 'notice':
            return [{ notice: e.text, peer: e.peer }];
          case 'close':
            return [{ close: e.peer, reason: e.reason }];
          case 'log':
            return [{ log: { ...e.record } }];
          case 'publish':
            return [{ publish: e.run.data.toString(), from: e.peer }];
          case 'presence':
            return [{ presence: e.online, ...(e.change === undefined ? {} : { change: { ...e.change } }) }];
        }
      }),
    );
}

const deliver = (text: string, from: PeerId, recipients: PeerId[]): View => ({
  deliver: `${text}\n`,
  from,
  recipients,
});
const noticeTo = (peer: PeerId, text: string): View => ({ notice: text, peer });

describe('hub actor (marble)', () => {
  it('fans every frame out to all peers but its sender', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcdef', {
        a: joined(1),
        b: joined(2),
        c: joined(3),
        d: frames(2, 'T2'),
        e: frames(1, 'T1a', 'T1b'),
        f: frames(3, 'T3'),
      });
      expectObservable(events.pipe(hubActor({ notices: false }), view())).toBe('---def', {
        d: deliver('T2', 2, [1, 3]),
        e: { deliver: 'T1a\nT1b\n', from: 1, recipients: [2, 3] },
        f: deliver('T3', 3, [1, 2]),
      });
    });
  });

  it('delivers nothing while a peer is alone, and nothing from a peer it does not know', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abc|', {
        a: joined(1),
        b: frames(1, 'alone'),
        c: frames(9, 'stranger'),
      });
      expectObservable(events.pipe(hubActor({ notices: false }), view())).toBe('-b-|', {
        b: deliver('alone', 1, []),
      });
    });
  });

  it('stops announcing joins and leaves to everyone past the presence limit (no N² notices)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('a 9ms b 9ms c 9ms d', {
        a: joined(1),
        b: joined(2),
        c: joined(3),
        d: left(3),
      });
      expectObservable(events.pipe(hubActor({ notices: true, presenceLimit: 2 }), view())).toBe(
        'a 9ms (bc) 6ms d 9ms (ef)',
        {
          a: noticeTo(1, '#hello fernet-chat/1 1 1'),
          b: noticeTo(2, '#hello fernet-chat/1 2 2'),
          c: noticeTo(1, '#joined 2 2'),
          // Three online is past the limit: the joiner still gets #hello, nobody gets #joined.
          d: noticeTo(3, '#hello fernet-chat/1 3 3'),
          // Back at two, the leave is announced again.
          e: noticeTo(1, '#left 3 2 quit'),
          f: noticeTo(2, '#left 3 2 quit'),
        },
      );
    });
  });

  it('follows joins and leaves mid-stream, with #hello, #joined and #left notices', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('a 9ms b 9ms c 9ms d 9ms e 9ms f 9ms g 9ms h 9ms i', {
        a: joined(1),
        b: joined(2),
        c: frames(1, 'A'),
        d: joined(3),
        e: frames(2, 'B'),
        f: left(1),
        g: frames(3, 'C'),
        h: joined(4),
        i: frames(4, 'D'),
      });
      expectObservable(events.pipe(hubActor({ notices: true }), view())).toBe(
        'a 9ms (bc) 6ms d 9ms (efg) 5ms h 9ms (ij) 6ms k 9ms (lmn) 5ms o',
        {
          a: noticeTo(1, '#hello fernet-chat/1 1 1'),
          b: noticeTo(2, '#hello fernet-chat/1 2 2'),
          c: noticeTo(1, '#joined 2 2'),
          d: deliver('A', 1, [2]),
          e: noticeTo(3, '#hello fernet-chat/1 3 3'),
          f: noticeTo(1, '#joined 3 3'),
          g: noticeTo(2, '#joined 3 3'),
          h: deliver('B', 2, [1, 3]),
          i: noticeTo(2, '#left 1 2 quit'),
          j: noticeTo(3, '#left 1 2 quit'),
          k: deliver('C', 3, [2]),
          l: noticeTo(4, '#hello fernet-chat/1 4 3'),
          m: noticeTo(2, '#joined 4 3'),
          n: noticeTo(3, '#joined 4 3'),
          o: deliver('D', 4, [2, 3]),
        },
      );
    });
  });

  it('stops delivering to a peer that leaves while frames are in flight, and drops its late frames', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // Each connection is its own stream, merged as the hub merges its peers.
      const peer1 = cold<HubEvent>('a-b--cd---e', {
        a: joined(1),
        b: frames(1, 'x1'),
        c: frames(1, 'x2'),
        d: frames(1, 'x3'),
        e: frames(1, 'x4'),
      });
      const peer2 = cold<HubEvent>('-a---b-c', {
        a: joined(2),
        b: left(2, 'econnreset'),
        c: frames(2, 'late'),
      });
      const peer3 = cold<HubEvent>('---a', { a: joined(3) });
      const events = merge(peer1, peer2, peer3);
      expectObservable(events.pipe(hubActor({ notices: false }), view())).toBe('--b--cd---e', {
        b: deliver('x1', 1, [2]), // 3 has not joined yet
        c: deliver('x2', 1, [2, 3]), // in the same turn as 2's leave, but seen before it
        d: deliver('x3', 1, [3]),
        e: deliver('x4', 1, [3]),
      });
    });
  });

  it('answers a rejected frame with #error to its sender only, and ignores strangers', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('a 9ms b 9ms c 9ms d', {
        a: joined(1),
        b: joined(2),
        c: rejected(2),
        d: rejected(9),
      });
      expectObservable(events.pipe(hubActor({ notices: true }), view())).toBe('a 9ms (bc) 6ms e', {
        a: noticeTo(1, '#hello fernet-chat/1 1 1'),
        b: noticeTo(2, '#hello fernet-chat/1 2 2'),
        c: noticeTo(1, '#joined 2 2'),
        e: noticeTo(2, '#error bad-frame not a Fernet token: wrong length'),
      });
    });
  });

  it('answers at most MAX_ERROR_REPLIES refused frames in a row, then says so once, and closes at MAX_REFUSED_IN_A_ROW', () => {
    const effects: HubEffect[] = [];
    const events = new Subject<HubEvent>();
    events.pipe(hubActor({ notices: true })).subscribe((effect) => effects.push(effect));
    events.next(joined(1));
    const errorsTo1 = () => effects.filter((e) => e.type === 'notice' && e.text.startsWith('#error'));
    for (let i = 0; i < MAX_ERROR_REPLIES + 5; i++) events.next(rejected(1));
    expect(errorsTo1()).toHaveLength(MAX_ERROR_REPLIES + 1);
    expect(errorsTo1().at(-1)).toMatchObject({ text: expect.stringMatching(/^#error too-many-errors /) });
    // A relayed frame starts the count again.
    events.next(frames(1, 'AAAA'));
    events.next(rejected(1));
    expect(errorsTo1()).toHaveLength(MAX_ERROR_REPLIES + 2);
    for (let i = 1; i < MAX_REFUSED_IN_A_ROW - 1; i++) events.next(rejected(1));
    expect(effects.filter((e) => e.type === 'close')).toEqual([]);
    events.next(rejected(1));
    expect(effects.filter((e) => e.type === 'close')).toEqual([
      { type: 'close', peer: 1, reason: 'too-many-errors' },
    ]);
    // Every refused frame is still logged (the log counts them; see logRepeats).
    expect(effects.filter((e) => e.type === 'log' && e.record.event === 'reject')).toHaveLength(
      MAX_ERROR_REPLIES + 5 + MAX_REFUSED_IN_A_ROW,
    );
  });

  it('answers #ping with #pong to the one who asked', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('a 9ms b 9ms c', {
        a: joined(1),
        b: joined(2),
        c: { type: 'ping', peer: 1 },
      });
      expectObservable(events.pipe(hubActor({ notices: true }), view())).toBe('a 9ms (bc) 6ms d', {
        a: noticeTo(1, '#hello fernet-chat/1 1 1'),
        b: noticeTo(2, '#hello fernet-chat/1 2 2'),
        c: noticeTo(1, '#joined 2 2'),
        d: noticeTo(1, '#pong'),
      });
    });
  });

  it('on shutdown closes every peer, and closes at once anyone who joins after', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcd 9ms e 9ms f', {
        a: joined(1),
        b: joined(2),
        c: joined(3),
        d: left(2),
        e: { type: 'shutdown', reason: 'shutdown' },
        f: joined(4),
      });
      expectObservable(events.pipe(hubActor({ notices: false }), view())).toBe('---- 9ms (xy) 6ms z', {
        x: { close: 1, reason: 'shutdown' },
        y: { close: 3, reason: 'shutdown' },
        z: { close: 4, reason: 'shutdown' },
      });
    });
  });

  it('with notices off (chunk framing) makes no notice at all, and still relays', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcdefgh', {
        a: joined(1),
        b: joined(2),
        c: { type: 'ping', peer: 1 },
        d: rejected(2),
        e: frames(1, 'hi'),
        f: left(2),
        g: frames(1, 'bye'),
        h: { type: 'shutdown', reason: 'shutdown' },
      });
      expectObservable(events.pipe(hubActor({ notices: false }), view())).toBe('----e-gh', {
        e: deliver('hi', 1, [2]),
        g: deliver('bye', 1, []),
        h: { close: 1, reason: 'shutdown' },
      });
    });
  });

  it('logs joins, leaves, rejections and shutdown as one record each', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcd', {
        a: joined(1),
        b: rejected(1),
        c: left(1, 'econnreset'),
        d: { type: 'shutdown', reason: 'shutdown' },
      });
      const logs = events.pipe(
        hubActor({ notices: false }),
        view(true),
        filter((v) => 'log' in v),
      );
      expectObservable(logs).toBe('abcd', {
        a: { log: { event: 'join', peer: 1, remote: '127.0.0.1:50001', online: 1 } },
        b: {
          log: { event: 'reject', peer: 1, code: 'bad-frame', detail: 'not a Fernet token: wrong length' },
        },
        c: { log: { event: 'leave', peer: 1, reason: 'econnreset', online: 0 } },
        d: { log: { event: 'shutdown', reason: 'shutdown', online: 0 } },
      });
    });
  });

  it('completes and errors when its input does', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(
        cold<HubEvent>('a|', { a: joined(1) }).pipe(hubActor({ notices: false }), view()),
      ).toBe('-|');
      expectObservable(
        cold<HubEvent>('a#', { a: joined(1) }).pipe(hubActor({ notices: false }), view()),
      ).toBe('-#');
    });
  });
});

describe('hub actor fan-out', () => {
  it('shares one Buffer for all deliveries of a run, and never mutates a roster it handed out', () => {
    const events = new Subject<HubEvent>();
    const effects: HubEffect[] = [];
    events.pipe(hubActor({ notices: false })).subscribe((e) => effects.push(e));
    const input = run('token');
    for (const peer of [1, 2, 3]) events.next(joined(peer));
    events.next({ type: 'frames', peer: 1, run: input });
    events.next(left(2));
    events.next(joined(4));
    const deliveries = effects.filter((e) => e.type === 'deliver');
    expect(deliveries).toHaveLength(1);
    const [first] = deliveries;
    expect(first?.data).toBe(input.data);
    // The edges may apply a delivery later (writes are batched): its roster must not change under them.
    expect(first?.to.roster).toEqual([1, 2, 3]);
    expect(first?.to.toArray()).toEqual([2, 3]);
  });

  it('never delivers a run back to its sender, whoever else is in the room', () => {
    const events = new Subject<HubEvent>();
    const effects: HubEffect[] = [];
    events.pipe(hubActor({ notices: true })).subscribe((e) => effects.push(e));
    for (const peer of [1, 2, 3]) events.next(joined(peer));
    for (const sender of [1, 2, 3]) events.next({ type: 'frames', peer: sender, run: run(`from-${sender}`) });
    const deliveries = effects.flatMap((e) =>
      e.type === 'deliver' && e.data[0] !== 0x23 ? [{ text: e.data.toString(), to: e.to }] : [],
    );
    expect(deliveries.map((d) => d.text)).toEqual(['from-1\n', 'from-2\n', 'from-3\n']);
    deliveries.forEach(({ to }, i) => {
      const sender = i + 1;
      expect(to.includes(sender)).toBe(false);
      expect(to.toArray()).toEqual([1, 2, 3].filter((peer) => peer !== sender));
    });
  });
});
