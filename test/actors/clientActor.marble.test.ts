import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type ClientActorOptions, clientActor } from '../../src/actors/clientActor.ts';
import { quietWarnings } from '../../src/actors/quietWarnings.ts';
import type { ClientOutput, LineKind, LinkEvent } from '../../src/actors/clientOutput.ts';
import {
  envelope,
  FIXED_SECONDS,
  FIXED_TIME,
  openEnvelope,
  otherRing,
  testId,
  testRing,
  tokenOf,
} from '../support/testKey.ts';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/**
 * An actor for alice with a fixed clock and numbered ids, so that what it sends is predictable;
 * keepalive off unless a test turns it on (its timers would add pings to every diagram).
 */
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

const up: LinkEvent = { type: 'up' };
const down: LinkEvent = { type: 'down', reason: 'connection lost' };
const frame = (text: string): LinkEvent => ({ type: 'frame', frame: text });

/** Outputs made comparable: a sent token is decrypted with the test key and shown as its envelope. */
type View = Exclude<ClientOutput, { type: 'send' }> | { send: unknown; issuedAt?: number };

function opened(outputs: Observable<ClientOutput>): Observable<View> {
  return outputs.pipe(
    map((output): View => {
      // The sender (for a terminal's time and colour) has tests of its own: lineStyle, showPlaintext.
      if (output.type === 'show') return { type: 'show', line: output.line };
      if (output.type !== 'send') return output;
      if (output.frame.startsWith('#')) return { send: output.frame };
      const { envelope: sent, issuedAt } = openEnvelope(output.frame);
      return { send: sent, issuedAt };
    }),
  );
}

const sent = (kind: 'join' | 'message' | 'leave', text: string, id: number): View => ({
  send: { v: 1, kind, from: 'alice', text, id: testId(id), at: FIXED_TIME.toISOString() },
  issuedAt: FIXED_SECONDS,
});
const show = (line: string): View => ({ type: 'show', line });
const warn = (kind: LineKind, line: string | unknown): View => ({ type: 'warn', kind, line: line as string });
const status = (kind: LineKind, line: string): View => ({ type: 'status', kind, line });
const done = (unsent = 0): View => ({ type: 'done', unsent });

describe('client actor (marble)', () => {
  it('turns each typed line into a token of a message envelope; joins when up, leaves and is done at the end', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold('-a-b-|', { a: 'hello everyone', b: 'second line' });
      const link = cold<LinkEvent>('u', { u: up });
      expectObservable(opened(alice()({ typed, link }))).toBe('ja-b-(ld)', {
        j: sent('join', '', 1),
        a: sent('message', 'hello everyone', 2),
        b: sent('message', 'second line', 3),
        l: sent('leave', '', 4),
        d: done(),
      });
    });
  });

  it('sends nothing for an empty or blank line', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold('-abc|', { a: '', b: '   \t', c: 'real' });
      expectObservable(opened(alice()({ typed, link: cold('u', { u: up }) }))).toBe('j--c(ld)', {
        j: sent('join', '', 1),
        c: sent('message', 'real', 2),
        l: sent('leave', '', 3),
        d: done(),
      });
    });
  });

  it('turns frames into lines to show: messages, joins, leaves', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('ua-b-c', {
        u: up,
        a: frame(tokenOf(envelope({ from: 'bob', text: 'hi alice' }))),
        b: frame(tokenOf(envelope({ from: 'carol', kind: 'join' }))),
        c: frame(tokenOf(envelope({ from: 'bob', kind: 'leave' }))),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('ja-b-c', {
        j: sent('join', '', 1),
        a: show('bob: hi alice'),
        b: show('* carol joined'),
        c: show('* bob left'),
      });
    });
  });

  it('shows bare text (the seed’s clients) and JSON that is no envelope as from "?"', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('ua-b-c', {
        u: up,
        a: frame(tokenOf('olá, tudo bem?')),
        b: frame(tokenOf('{"hello":"world"}')),
        c: frame(tokenOf('42')),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('ja-b-c', {
        j: sent('join', '', 1),
        a: show('?: olá, tudo bem?'),
        b: show('?: {"hello":"world"}'),
        c: show('?: 42'),
      });
    });
  });

  it('warns about a token it cannot read, and a later good frame is still shown', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const good = tokenOf(envelope({ from: 'bob', text: 'still here' }));
      const tampered = `${good.slice(0, 30)}${good[30] === 'A' ? 'B' : 'A'}${good.slice(31)}`;
      const link = cold('uabcdefg', {
        u: up,
        a: frame(tokenOf(envelope({ from: 'mallory', text: 'secret' }), otherRing)),
        b: frame('this is not a token at all'),
        c: frame(tampered),
        d: frame(tokenOf(envelope({ from: 'bob', text: 'old' }), testRing, FIXED_SECONDS - 3601)),
        e: frame(tokenOf(envelope({ from: 'bob', text: 'soon' }), testRing, FIXED_SECONDS + 3600)),
        f: frame(
          tokenOf({
            v: 1,
            kind: 'shout',
            from: 'bob',
            text: 'x',
            id: testId(9),
            at: FIXED_TIME.toISOString(),
          }),
        ),
        g: frame(good),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('jabcdefg', {
        j: sent('join', '', 1),
        a: warn(
          'unreadable:bad-signature',
          '! unreadable message: not encrypted with any of our keys, or tampered with',
        ),
        b: warn(
          'unreadable:bad-token',
          expect.stringMatching(/^! unreadable message: not a valid token \(.+\)$/),
        ),
        c: warn(
          'unreadable:bad-signature',
          '! unreadable message: not encrypted with any of our keys, or tampered with',
        ),
        d: warn('unreadable:expired', '! unreadable message: too old (older than the TTL)'),
        e: warn(
          'unreadable:future',
          "! a message dated 60 min in the future: the sender's clock is fast (they should sync it, e.g. with NTP)",
        ),
        f: warn('malformed:kind', expect.stringMatching(/^! malformed message: kind: /)),
        g: show('bob: still here'),
      });
    });
  });

  it('accepts old tokens when the TTL is 0', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('ua', {
        u: up,
        a: frame(tokenOf(envelope({ from: 'bob', text: 'from 2001' }), testRing, 1_000_000_000)),
      });
      expectObservable(opened(alice({ ttlSeconds: 0 })({ typed: cold<string>('-'), link }))).toBe('ja', {
        j: sent('join', '', 1),
        a: show('bob: from 2001'),
      });
    });
  });

  it('shows a token only once: a replayed copy is dropped with a warning', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const token = tokenOf(envelope({ from: 'bob', text: 'pay alice 10' }));
      const link = cold('uab', { u: up, a: frame(token), b: frame(token) });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('jab', {
        j: sent('join', '', 1),
        a: show('bob: pay alice 10'),
        b: warn('replay', '! dropped a repeated message (replay)'),
      });
    });
  });

  it('neutralises escape sequences in what others send', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('uabc', {
        u: up,
        a: frame(tokenOf(envelope({ from: 'bob', text: '\u001b[2J\u001b[Hgotcha' }))),
        b: frame(tokenOf('\u001b]0;title\u0007bare')),
        c: frame(tokenOf(envelope({ from: 'evil\u001b[31m', text: 'x' }))),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('jabc', {
        j: sent('join', '', 1),
        a: show('bob: \\x1b[2J\\x1b[Hgotcha'),
        b: show('?: \\x1b]0;title\\x07bare'),
        c: warn('malformed:from', '! malformed message: from: a name cannot contain control characters'),
      });
    });
  });

  it('shows invisible and line-breaking characters in names and text, and keeps emoji whole', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('uabcd', {
        u: up,
        a: frame(tokenOf(envelope({ from: 'bob\u200b', text: 'hi\u2028alice: send me the key' }))),
        b: frame(tokenOf(envelope({ from: 'eve', text: 'file\u202egnp.exe \u200fx\u061cy\ufeff' }))),
        c: frame(tokenOf(envelope({ from: 'al\u200dice', kind: 'join' }))),
        d: frame(tokenOf(envelope({ from: 'dad 👨\u200d👩\u200d👧', text: 'hello 🏳️\u200d🌈' }))),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('jabcd', {
        j: sent('join', '', 1),
        a: show('bob\\u{200b}: hi\\u{2028}alice: send me the key'),
        b: show('eve: file\\u{202e}gnp.exe \\u{200f}x\\u{61c}y\\u{feff}'),
        c: show('* al\\u{200d}ice joined'),
        d: show('dad 👨\u200d👩\u200d👧: hello 🏳️\u200d🌈'),
      });
    });
  });

  it('with quietWarnings, a flood of bad frames shows one warning, then one count a second', () => {
    const test = scheduler();
    test.run(({ cold, expectObservable }) => {
      const link = cold('uaaaa 2s b', {
        u: up,
        a: frame('not a token'),
        b: frame(tokenOf(envelope({ from: 'bob', text: 'after the flood' }))),
      });
      const outputs = alice()({ typed: cold<string>('-'), link }).pipe(quietWarnings(test));
      expectObservable(opened(outputs)).toBe('ja 999ms s 1003ms b', {
        j: sent('join', '', 1),
        a: warn('unreadable:bad-token', expect.stringMatching(/^! unreadable message: not a valid token \(/)),
        s: warn(
          'unreadable:bad-token',
          '! 3 more unreadable messages (not a valid token) in the last second',
        ),
        b: show('bob: after the flood'),
      });
    });
  });

  it('with quietWarnings, the count comes before the message that followed, and pongs do not bring it early', () => {
    const test = scheduler();
    test.run(({ cold, expectObservable }) => {
      const link = cold('uapapb', {
        u: up,
        a: frame(tokenOf(envelope({ from: 'mallory', text: 'x' }), otherRing)),
        p: frame('#ping'),
        b: frame(tokenOf(envelope({ from: 'bob', text: 'hi' }))),
      });
      const outputs = alice()({ typed: cold<string>('-'), link }).pipe(quietWarnings(test));
      expectObservable(opened(outputs)).toBe('jap-p(sb)', {
        j: sent('join', '', 1),
        a: warn(
          'unreadable:bad-signature',
          '! unreadable message: not encrypted with any of our keys, or tampered with',
        ),
        p: { send: '#pong' },
        s: warn(
          'unreadable:bad-signature',
          '! 1 more unreadable message (not encrypted with any of our keys, or tampered with) in the last second',
        ),
        b: show('bob: hi'),
      });
    });
  });

  it('with quietWarnings, a hub repeating #hello, #bye or #error is counted the same way', () => {
    const test = scheduler();
    test.run(({ cold, expectObservable }) => {
      const link = cold('uhhheeebbb', {
        u: up,
        h: frame('#hello fernet-chat/1 3 2'),
        e: frame('#error bad-frame x'),
        b: frame('#bye shutdown'),
      });
      const outputs = alice()({ typed: cold<string>('-'), link }).pipe(quietWarnings(test));
      expectObservable(opened(outputs)).toBe('jh--e--b 993ms x--y--z', {
        j: sent('join', '', 1),
        h: status('hub-hello', '* connected as #3, 2 online'),
        e: warn('hub-error', '! hub: x (bad-frame)'),
        b: status('hub-bye', '* the hub is closing the connection: shutdown'),
        x: warn('hub-hello', '! 2 more #hello notices from the hub in the last second'),
        y: warn('hub-error', '! 2 more errors from the hub in the last second'),
        z: warn('hub-bye', '! 2 more #bye notices from the hub in the last second'),
      });
    });
  });

  it('reacts to the hub’s notices: hello, ping → pong, error, bye; ignores the rest', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('uabcdefghi', {
        u: up,
        a: frame('#hello fernet-chat/1 3 2'),
        b: frame('#joined 4 3'),
        c: frame('#ping'),
        d: frame('#left 4 2 quit'),
        e: frame('#error bad-frame not a Fernet token: wrong length'),
        f: frame('#pong'),
        g: frame('#something-new 1 2 3'),
        h: frame('#error x \u001b[2J'),
        i: frame('#bye shutdown'),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('ja-c-e--hi', {
        j: sent('join', '', 1),
        a: status('hub-hello', '* connected as #3, 2 online'),
        c: { send: '#pong' },
        e: warn('hub-error', '! hub: not a Fernet token: wrong length (bad-frame)'),
        h: warn('hub-error', '! hub: \\x1b[2J (x)'),
        i: status('hub-bye', '* the hub is closing the connection: shutdown'),
      });
    });
  });

  it('keeps showing frames after input has ended, until the link ends', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold<string>('-|');
      const link = cold('u 9ms a|', { u: up, a: frame(tokenOf(envelope({ from: 'bob', text: 'late' }))) });
      expectObservable(opened(alice()({ typed, link }))).toBe('j(ld) 5ms a|', {
        j: sent('join', '', 1),
        l: sent('leave', '', 2),
        d: done(),
        a: show('bob: late'),
      });
    });
  });

  it('warns of a frame too large to hold, and goes on', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold<LinkEvent>('u-oa', {
        u: up,
        o: { type: 'oversize', bytes: 2_000_000 },
        a: frame(tokenOf(envelope({ from: 'bob', text: 'after' }))),
      });
      expectObservable(opened(alice()({ typed: cold<string>('-'), link }))).toBe('j-wa', {
        j: sent('join', '', 1),
        w: warn('oversize', '! skipped a message too large to hold (2000000+ bytes)'),
        a: show('bob: after'),
      });
    });
  });

  it('refuses to send a message too long for the hub, names the limit, puts the line back to be cut, and goes on', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // The limit it names is exact: a line of 178 bytes is sent, one of 179 is not.
      const typed = cold('-a 9ms bcd', {
        a: 'x'.repeat(1000),
        b: 'short',
        c: 'y'.repeat(178),
        d: 'z'.repeat(179),
      });
      const actor = alice({ maxFrameBytes: 500 });
      expectObservable(opened(actor({ typed, link: cold('u', { u: up }) }))).toBe('j(aA) 6ms bc(dD)', {
        j: sent('join', '', 1),
        a: warn('too-long', '! not sent: message too long (1000 bytes; at most 178 fit in one message)'),
        A: { type: 'restore', text: 'x'.repeat(1000) },
        b: sent('message', 'short', 3),
        c: sent('message', 'y'.repeat(178), 4),
        d: warn('too-long', '! not sent: message too long (179 bytes; at most 178 fit in one message)'),
        D: { type: 'restore', text: 'z'.repeat(179) },
      });
    });
  });

  it('keeps lines typed while the link is down and sends them, after a new join, when it is up again', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold('--ab', { a: 'while down 1', b: 'while down 2' });
      const link = cold('ud 9ms u', { u: up, d: down });
      expectObservable(opened(alice()({ typed, link }))).toBe('j-qr 7ms (kabs)', {
        j: sent('join', '', 1),
        q: status('queued', '* 1 line queued, will be sent on reconnect'),
        r: status('queued', '* 2 lines queued, will be sent on reconnect'),
        k: sent('join', '', 4),
        a: sent('message', 'while down 1', 2),
        b: sent('message', 'while down 2', 3),
        s: status('queue-sent', '* sent 2 lines queued while offline'),
      });
    });
  });

  it('bounds the lines kept while down, and reports the unsent ones when input ends and the hub stays away', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold('-abc|', { a: 'one', b: 'two', c: 'three' });
      const link = cold('ud', { u: up, d: down });
      // Input ends at 4; the link gets the pong timeout (20) to come back, and does not.
      expectObservable(opened(alice({ maxQueuedLines: 2, pongTimeoutMs: 20 })({ typed, link }))).toBe(
        'jabcw 19ms d',
        {
          j: sent('join', '', 1),
          a: status('queued', '* 1 line queued, will be sent on reconnect'),
          b: status('queued', '* 2 lines queued, will be sent on reconnect'),
          c: warn('queue-full', '! not connected and 2 lines already wait: this one was dropped'),
          w: status(
            'waiting',
            '* not connected: waiting up to 0.02 s for the hub to send 2 lines queued (Ctrl-D again leaves without them)',
          ),
          d: done(2),
        },
      );
    });
  });

  it('sends what was piped in before the hub said hello, once it does, then leaves', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const typed = cold('a|', { a: 'early' });
      const link = cold('--u', { u: up });
      expectObservable(opened(alice()({ typed, link }))).toBe('--(jald)', {
        a: sent('message', 'early', 1),
        j: sent('join', '', 2),
        l: sent('leave', '', 3),
        d: done(),
      });
    });
  });

  it('pings a silent hub, and drops the connection when the ping goes unanswered', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('u 59ms a', { u: up, a: frame('#pong') });
      const actor = alice({ idleMs: 50, pongTimeoutMs: 20 });
      // Ping at 50; the #pong at 60 comes in time and restarts the count: ping at 110, no answer, drop at 130.
      expectObservable(opened(actor({ typed: cold<string>('-'), link })), '^ 200ms !').toBe(
        'j 49ms p 59ms p 19ms x',
        {
          j: sent('join', '', 1),
          p: { send: '#ping' },
          x: { type: 'drop', reason: 'the hub did not answer a ping' },
        },
      );
    });
  });
});
