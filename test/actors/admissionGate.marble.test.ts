import { from, mergeMap, type Observable, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type AdmissionOptions, admissionGate } from '../../src/actors/admissionGate.ts';
import { hubActor } from '../../src/actors/hubActor.ts';
import { admissionKeyOf } from '../../src/crypto/admissionKey.ts';
import { AdmitList } from '../../src/crypto/admitList.ts';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { type AnswerPair, signedMessage } from '../../src/protocol/admission.ts';
import type { HubEffect, HubEvent, PeerId } from '../../src/streams/hubEvent.ts';
import { OTHER_KEY, TEST_KEY } from '../support/testKey.ts';

const HUB = 'chat.example.org';
const member = admissionKeyOf(FernetKey.parse(TEST_KEY));
const outsider = admissionKeyOf(FernetKey.parse(OTHER_KEY));
const MEMBER = member.publicKey.slice(0, 8);
/** Nonces in the order connections come: n1…, n2…, each 43 characters like a real one. */
const nonceOf = (n: number) => `n${n}`.padEnd(43, 'A');

function gateOptions(timeoutMs = 1_000): AdmissionOptions {
  let next = 0;
  return {
    admit: AdmitList.parse(`${member.publicKey}\n`, 'test'),
    hubName: HUB,
    timeoutMs,
    nonce: () => nonceOf(++next),
  };
}

const joined = (peer: PeerId): HubEvent => ({ type: 'joined', peer, remote: `127.0.0.1:${50_000 + peer}` });
const left = (peer: PeerId): HubEvent => ({ type: 'left', peer, reason: 'quit' });
const tick = (now: number): HubEvent => ({ type: 'tick', now });
const frames = (peer: PeerId, text: string): HubEvent => ({
  type: 'frames',
  peer,
  run: { kind: 'frames', data: Buffer.from(`${text}\n`), count: 1 },
});
const answer = (peer: PeerId, ...pairs: AnswerPair[]): HubEvent => ({ type: 'answer', peer, pairs });
/** A pair signed by `key` for the `n`th connection's nonce and `hub`. */
const signed = (key: typeof member, n: number, hub = HUB): AnswerPair => ({
  publicKey: key.publicKey,
  signature: key.sign(signedMessage(hub, nonceOf(n))),
});
const challenge = (peer: PeerId) => `${peer}: #challenge fernet-chat/1 ${nonceOf(peer)} ${HUB}`;

/** Effects as short lines: what each peer is told, what is delivered to whom, closes, logs. */
function view(effects: Observable<HubEffect>): Observable<string> {
  return effects.pipe(
    mergeMap((e): string[] => {
      switch (e.type) {
        case 'deliver':
          return [`deliver ${e.data.toString().trim()} to ${e.to.toArray().join(',')}`];
        case 'notice':
          return [`${e.peer}: ${e.text}`];
        case 'close':
          return [`close ${e.peer} ${e.reason}`];
        case 'log': {
          const { event, ...fields } = e.record;
          const shown = Object.entries(fields).filter(([k]) => k !== 'remote' && k !== 'online');
          return [`log ${event} ${shown.map(([k, v]) => `${k}=${v}`).join(' ')}`];
        }
        case 'publish':
          return [`publish ${e.run.data.toString().trim()} from ${e.peer}`];
        case 'presence':
          return [`presence ${e.online}`];
      }
    }),
  );
}

/** The gate in front of the real room (no history, no keepalive), run over `events` at once. */
function effectsOf(events: HubEvent[], options: AdmissionOptions | 'open' = gateOptions()): string[] {
  let out: string[] = [];
  from(events)
    .pipe(
      admissionGate(options === 'open' ? undefined : options, hubActor({ notices: true })),
      view,
      toArray(),
    )
    .subscribe((lines) => (out = lines));
  return out;
}

describe('admissionGate', () => {
  it('challenges each connection, and the room hears of it only once it has answered well', () => {
    expect(
      effectsOf([joined(1), joined(2), answer(1, signed(member, 1)), answer(2, signed(member, 2))]),
    ).toEqual([
      challenge(1),
      challenge(2),
      `log admitted peer=1 key=${MEMBER}`,
      'log join peer=1',
      '1: #hello fernet-chat/1 1 1',
      `log admitted peer=2 key=${MEMBER}`,
      'log join peer=2',
      '2: #hello fernet-chat/1 2 2',
      'deliver #joined 2 2 to 1',
    ]);
  });

  it('relays nothing to a pending connection, and counts it nowhere', () => {
    const lines = effectsOf([
      joined(1),
      answer(1, signed(member, 1)),
      joined(2),
      answer(2, signed(member, 2)),
      joined(3),
      frames(1, 'gAAAA-one'),
      left(3),
      frames(2, 'gAAAA-two'),
    ]);
    expect(lines.slice(lines.indexOf(challenge(3)))).toEqual([
      challenge(3),
      // To the other member, not to 3, which is still pending; and 3's going is no news to anyone.
      'deliver gAAAA-one to 2',
      'deliver gAAAA-two to 1',
    ]);
  });

  it('turns away a key it does not hold, a bad signature, an answer for another hub and one for another nonce', () => {
    const forged = { publicKey: member.publicKey, signature: outsider.sign(signedMessage(HUB, nonceOf(2))) };
    expect(
      effectsOf([
        joined(1),
        answer(1, signed(outsider, 1)),
        joined(2),
        answer(2, forged),
        joined(3),
        answer(3, signed(member, 3, 'evil.example.org')),
        joined(4),
        // The answer peer 1 would have given: a replay from an earlier connection.
        answer(4, signed(member, 1)),
      ]),
    ).toEqual([
      challenge(1),
      'log unauthorized peer=1 why=unknown-key',
      'close 1 unauthorized',
      challenge(2),
      'log unauthorized peer=2 why=bad-signature',
      'close 2 unauthorized',
      challenge(3),
      'log unauthorized peer=3 why=bad-signature',
      'close 3 unauthorized',
      challenge(4),
      'log unauthorized peer=4 why=bad-signature',
      'close 4 unauthorized',
    ]);
  });

  it('admits an answer in which any one pair is an admitted key, as a rotated key file gives', () => {
    expect(effectsOf([joined(1), answer(1, signed(outsider, 1), signed(member, 1))]).slice(1, 2)).toEqual([
      `log admitted peer=1 key=${MEMBER}`,
    ]);
  });

  it('closes a connection that speaks before it answers, and relays none of it', () => {
    expect(effectsOf([joined(1), answer(1, signed(member, 1)), joined(2), frames(2, 'gAAAA-eager')])).toEqual(
      [
        challenge(1),
        `log admitted peer=1 key=${MEMBER}`,
        'log join peer=1',
        '1: #hello fernet-chat/1 1 1',
        challenge(2),
        'log unauthorized peer=2 why=spoke-first',
        'close 2 unauthorized',
      ],
    );
  });

  it('refuses a second answer from a member as a bad request, and lets its frames through', () => {
    const lines = effectsOf([joined(1), answer(1, signed(member, 1)), answer(1, signed(member, 1))]);
    expect(lines.slice(4)).toEqual([
      'log reject peer=1 code=bad-request detail=already admitted',
      '1: #error bad-request already admitted',
    ]);
  });

  it('without options passes everything and refuses #answer as the unknown command it always was', () => {
    expect(effectsOf([joined(1), answer(1, signed(member, 1))], 'open')).toEqual([
      'log join peer=1',
      '1: #hello fernet-chat/1 1 1',
      'log reject peer=1 code=unknown-command detail=unknown command #answer',
      '1: #error unknown-command unknown command #answer',
    ]);
  });

  it('says #bye unauthorized to a connection that has not answered by the first tick past the timeout', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(
      ({ cold, expectObservable }) => {
        // The hub's clock in the ticks: peer 1 comes between 0 and 250 and never answers; peer 2
        // comes after 250 and answers in time. Peer 1 may have come just before 250: at 1,000 it
        // may not have waited 1,000 ms yet, at 1,250 it has.
        const events = cold<HubEvent>('a 9ms b 9ms c 9ms d 9ms e 9ms f 9ms g', {
          a: tick(0),
          b: joined(1),
          c: tick(250),
          d: joined(2),
          e: answer(2, signed(member, 2)),
          f: tick(1_000),
          g: tick(1_250),
        });
        expectObservable(
          events.pipe(admissionGate(gateOptions(1_000), hubActor({ notices: true })), view),
        ).toBe('10ms b 19ms d 9ms (efg) 15ms (hi)', {
          b: challenge(1),
          d: challenge(2),
          e: `log admitted peer=2 key=${MEMBER}`,
          f: 'log join peer=2',
          g: '2: #hello fernet-chat/1 2 1',
          h: 'log unauthorized peer=1 why=late',
          i: 'close 1 unauthorized',
        });
      },
    );
  });

  it('closes pending connections on shutdown, as the room closes its members', () => {
    expect(
      effectsOf([
        joined(1),
        answer(1, signed(member, 1)),
        joined(2),
        { type: 'shutdown', reason: 'shutdown' },
      ]),
    ).toEqual([
      challenge(1),
      `log admitted peer=1 key=${MEMBER}`,
      'log join peer=1',
      '1: #hello fernet-chat/1 1 1',
      challenge(2),
      'close 2 shutdown',
      'log shutdown reason=shutdown',
      'close 1 shutdown',
    ]);
  });
});
