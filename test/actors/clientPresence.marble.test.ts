import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type ClientActorOptions, clientActor } from '../../src/actors/clientActor.ts';
import type { ClientOutput, LineKind, LinkEvent } from '../../src/actors/clientOutput.ts';
import { HELP_LINES } from '../../src/actors/commands.ts';
import { fingerprint } from '../../src/crypto/fingerprint.ts';
import type { Envelope } from '../../src/protocol/envelope.ts';
import {
  envelope,
  FIXED_TIME,
  openEnvelope,
  otherRing,
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

/** The link up as the hub link reports it: with the id and count of the hub's `#hello`. */
const upAs = (peer: number, online: number): LinkEvent => ({ type: 'up', peer, online });
const down: LinkEvent = { type: 'down', reason: 'connection lost' };
const frame = (text: string): LinkEvent => ({ type: 'frame', frame: text });
const from = (fields: Partial<Envelope> & Pick<Envelope, 'from'>): LinkEvent =>
  frame(tokenOf(envelope(fields)));

type View = Exclude<ClientOutput, { type: 'send' }> | { send: unknown };

function opened(outputs: Observable<ClientOutput>): Observable<View> {
  return outputs.pipe(
    map((output): View => {
      // The sender (for a terminal's time and colour) is checked on its own, below.
      if (output.type === 'show') return { type: 'show', line: output.line };
      if (output.type !== 'send') return output;
      if (output.frame.startsWith('#')) return { send: output.frame };
      return { send: openEnvelope(output.frame).envelope };
    }),
  );
}

/** What alice sends: an envelope of hers, with the fields given. */
const sent = (kind: Envelope['kind'], id: number, extra: Partial<Envelope> = {}): View => ({
  send: { v: 1, kind, from: 'alice', text: '', id: testId(id), at: FIXED_TIME.toISOString(), ...extra },
});
/**
 * Runs alice in virtual time and returns what she output, in order: for tests where the order
 * matters and not the frame each output lands on.
 */
function outputsOf(
  link: [string, Record<string, LinkEvent>],
  typed: [string, Record<string, string>] = ['-', {}],
  options: Partial<ClientActorOptions> = {},
): View[] {
  const seen: View[] = [];
  scheduler().run(({ cold }) => {
    opened(alice(options)({ link: cold(...link), typed: cold(...typed) })).subscribe((view) =>
      seen.push(view),
    );
  });
  return seen;
}

const show = (line: string): View => ({ type: 'show', line });
const warn = (kind: LineKind, line: string): View => ({ type: 'warn', kind, line });
const status = (kind: LineKind, line: string): View => ({ type: 'status', kind, line });

describe('client presence (marble)', () => {
  it('puts its hub id in what it sends, so that the others can name it', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold('-a|', { a: 'hi' });
      expectObservable(opened(alice()({ typed, link: cold('u', { u: upAs(7, 1) }) }))).toBe('ja(ld)', {
        j: sent('join', 1, { peer: 7 }),
        a: sent('message', 2, { peer: 7, text: 'hi' }),
        l: sent('leave', 3, { peer: 7 }),
        d: { type: 'done', unsent: 0 },
      });
    });
  });

  it('names who joined, who left cleanly, and who lost the connection (the hub’s #left)', () => {
    const seen = outputsOf([
      'ujJmlCcL',
      {
        u: upAs(1, 1),
        j: from({ from: 'bob', kind: 'join', peer: 2 }),
        J: frame('#joined 2 2'),
        m: from({ from: 'bob', text: 'hi', peer: 2, id: testId(50) }),
        l: frame('#left 2 1 quit'),
        C: from({ from: 'carol', kind: 'join', peer: 3, id: testId(51) }),
        c: from({ from: 'carol', kind: 'leave', peer: 3, id: testId(52) }),
        L: frame('#left 3 1 quit'),
      },
    ]);
    const answer = sent('join', 2, { peer: 1, here: true });
    expect(seen).toEqual([
      sent('join', 1, { peer: 1 }),
      show('* bob joined'),
      // The answer to a join, so that bob learns alice is here.
      answer,
      show('bob: hi'),
      show('* bob left without a goodbye (connection closed)'),
      show('* carol joined'),
      sent('join', 3, { peer: 1, here: true }),
      // carol said goodbye: the hub's #left for her is no news.
      show('* carol left'),
    ]);
  });

  it('does not answer joins in a big room (everyone answering everyone would be N² frames)', () => {
    const seen = outputsOf(['uj', { u: upAs(1, 51), j: from({ from: 'bob', kind: 'join', peer: 2 }) }]);
    expect(seen).toEqual([sent('join', 1, { peer: 1 }), show('* bob joined')]);
  });

  it('a newcomer learns who is here from the answers to its join, and /who lists them', () => {
    const seen = outputsOf(
      [
        'ubcB',
        {
          u: upAs(3, 3),
          b: from({ from: 'bob', kind: 'join', here: true, peer: 1 }),
          c: from({ from: 'carol', kind: 'join', here: true, peer: 2, id: testId(60) }),
          // bob answering someone else's join later: no news.
          B: from({ from: 'bob', kind: 'join', here: true, peer: 1, id: testId(61) }),
        },
      ],
      ['-----w', { w: '/who' }],
    );
    expect(seen).toEqual([
      sent('join', 1, { peer: 3 }),
      show('* bob is here'),
      show('* carol is here'),
      show('* 3 online: alice (you), bob, carol'),
    ]);
  });

  it('says when someone went because their hub shut down, in a room across hubs', () => {
    const seen = outputsOf([
      'ujl',
      {
        u: upAs(1, 1),
        j: from({ from: 'bob', kind: 'join', peer: 2 }),
        l: frame('#left 2 1 shutdown'),
      },
    ]);
    expect(seen).toContainEqual(
      show('* bob left without a goodbye (their hub shut down; they may be back through another)'),
    );
  });

  it('shows two connections using one name apart', () => {
    const seen = outputsOf(
      [
        'ubBml',
        {
          u: upAs(1, 1),
          b: from({ from: 'bob', kind: 'join', peer: 2 }),
          B: from({ from: 'bob', kind: 'join', peer: 3, id: testId(70) }),
          m: from({ from: 'bob', text: 'it is me', peer: 3, id: testId(71) }),
          l: frame('#left 3 2 econnreset'),
        },
      ],
      ['------w', { w: '/who' }],
    );
    expect(seen).toEqual([
      sent('join', 1, { peer: 1 }),
      show('* bob joined'),
      sent('join', 2, { peer: 1, here: true }),
      show('* bob (2) joined'),
      sent('join', 3, { peer: 1, here: true }),
      show('bob (2): it is me'),
      show('* bob (2) left without a goodbye (connection reset)'),
      show('* 2 online: alice (you), bob'),
    ]);
  });

  it('shows v1 envelopes without a hub id as before, does not answer them, and counts them in /who', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('-ujl', {
        u: upAs(1, 3),
        j: from({ from: 'dave', kind: 'join' }),
        l: frame('#left 9 2 quit'),
      });
      const typed = cold('-----w', { w: '/who' });
      expectObservable(opened(alice()({ typed, link }))).toBe('-jd--w', {
        j: sent('join', 1, { peer: 1 }),
        d: show('* dave joined'),
        w: show('* 2 online: alice (you), dave'),
      });
    });
  });

  it('after its own reconnect, does not say again that those who were here are here; a newcomer it does', () => {
    const seen = outputsOf([
      'ubdUBc',
      {
        u: upAs(3, 2),
        b: from({ from: 'bob', kind: 'join', here: true, peer: 1 }),
        d: down,
        U: upAs(5, 3),
        // bob kept his id while our connection blinked: his answer to our new join is no news.
        B: from({ from: 'bob', kind: 'join', here: true, peer: 1, id: testId(62) }),
        c: from({ from: 'carol', kind: 'join', here: true, peer: 4, id: testId(63) }),
      },
    ]);
    expect(seen.filter((view) => 'type' in view && view.type === 'show')).toEqual([
      show('* bob is here'),
      show('* carol is here'),
    ]);
  });

  it('after a reconnect, does not repeat the hub’s #hello: the link says "* reconnected"', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('uh-dUH', {
        u: upAs(1, 1),
        h: frame('#hello fernet-chat/1 1 1'),
        d: down,
        U: upAs(4, 2),
        H: frame('#hello fernet-chat/1 4 2'),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('jh--k-', {
        j: sent('join', 1, { peer: 1 }),
        h: status('hub-hello', '* connected as #1, 1 online'),
        k: sent('join', 2, { peer: 4 }),
      });
    });
  });

  it('with input ended while not connected and nothing queued, is done at once (no silent wait)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('ud', { u: upAs(1, 1), d: down });
      expectObservable(opened(alice({ pongTimeoutMs: 20 })({ typed: cold<string>('--|'), link }))).toBe(
        'j-d',
        { j: sent('join', 1, { peer: 1 }), d: { type: 'done', unsent: 0 } },
      );
    });
  });
});

describe('client commands (marble)', () => {
  it('/help lists the commands, locally', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold('-h', { h: '/help' });
      const lines = Object.fromEntries(HELP_LINES.map((line, i) => [String(i), show(line)]));
      expectObservable(opened(alice()({ typed, link: cold('u', { u: upAs(1, 1) }) }))).toBe(
        `j(${Object.keys(lines).join('')})`,
        { j: sent('join', 1, { peer: 1 }), ...lines },
      );
    });
  });

  it('/me sends an action, //text a line that starts with /, and an unknown command is refused locally', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold('-mse', { m: '/me waves', s: '//etc/passwd is a path', e: '/frob it' });
      expectObservable(opened(alice()({ typed, link: cold('u', { u: upAs(1, 1) }) }))).toBe('jmse', {
        j: sent('join', 1, { peer: 1 }),
        m: sent('message', 2, { peer: 1, text: 'waves', action: true }),
        s: sent('message', 3, { peer: 1, text: '/etc/passwd is a path' }),
        e: warn(
          'command',
          '! unknown command /frob, not sent (/help lists the commands; //text sends a line that starts with /)',
        ),
      });
    });
  });

  it('/nick announces the new name; a bad one is refused', () => {
    const seen = outputsOf(['u', { u: upAs(1, 1) }], ['-nbm', { n: '/nick ally', b: '/nick ', m: 'hi' }]);
    expect(seen).toEqual([
      sent('join', 1, { peer: 1 }),
      sent('join', 2, { peer: 1, from: 'ally', was: 'alice' }),
      { type: 'renamed', name: 'ally' },
      show('* you are now ally (were alice)'),
      warn('command', '! /nick needs a name, e.g. /nick bob'),
      sent('message', 3, { peer: 1, from: 'ally', text: 'hi' }),
    ]);
  });

  it('shows the actions and new names of others', () => {
    const seen = outputsOf([
      'u-jan',
      {
        u: upAs(1, 1),
        j: from({ from: 'bob', kind: 'join', here: true, peer: 2 }),
        a: from({ from: 'bob', text: 'waves', action: true, peer: 2, id: testId(80) }),
        n: from({ from: 'robert', kind: 'join', was: 'bob', peer: 2, id: testId(81) }),
      },
    ]);
    expect(seen).toEqual([
      sent('join', 1, { peer: 1 }),
      show('* bob is here'),
      show('* bob waves'),
      show('* bob is now robert'),
    ]);
  });

  it('/quit leaves as the end of input does; what follows is not sent', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold('-qa', { q: '/quit', a: 'after' });
      expectObservable(opened(alice()({ typed, link: cold('u', { u: upAs(1, 1) }) }))).toBe('j(ld)', {
        j: sent('join', 1, { peer: 1 }),
        l: sent('leave', 2, { peer: 1 }),
        d: { type: 'done', unsent: 0 },
      });
    });
  });
});

describe('client feedback (marble)', () => {
  it('after several unreadable messages in a row, hints once that the sender may use another key', () => {
    const bad = (n: number) => frame(tokenOf(envelope({ from: 'mallory', text: `x${n}` }), otherRing));
    const seen = outputsOf(['u1234', { u: upAs(1, 1), 1: bad(1), 2: bad(2), 3: bad(3), 4: bad(4) }]);
    const unreadable = warn(
      'unreadable:bad-signature',
      '! unreadable message: not encrypted with any of our keys, or tampered with',
    );
    expect(seen).toEqual([
      sent('join', 1, { peer: 1 }),
      unreadable,
      unreadable,
      unreadable,
      status(
        'key-hint',
        `* 3 messages in a row could not be read: their sender may use another key (ours is ${fingerprint(testRing.primary)}; compare fingerprints)`,
      ),
      unreadable,
    ]);
  });
});

describe('client presence, for a terminal', () => {
  it('gives each line about someone its name and time, where the name starts in the line', () => {
    const shows: ClientOutput[] = [];
    scheduler().run(({ cold }) => {
      alice()({
        link: cold('ujma', {
          u: upAs(1, 1),
          j: from({ from: 'bob', kind: 'join', peer: 2 }),
          m: from({ from: 'bob', text: 'hi', peer: 2, id: testId(50) }),
          a: from({ from: 'bob', text: 'waves', action: true, peer: 2, id: testId(51) }),
        }),
        typed: cold('-'),
      }).subscribe((output) => {
        if (output.type === 'show') shows.push(output);
      });
    });
    const at = envelope({ from: 'bob' }).at;
    expect(shows).toEqual([
      { type: 'show', line: '* bob joined', sender: { name: 'bob', start: 2, at } },
      { type: 'show', line: 'bob: hi', sender: { name: 'bob', start: 0, at } },
      { type: 'show', line: '* bob waves', sender: { name: 'bob', start: 2, at } },
    ]);
  });
});
