import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { clientActor } from '../../src/actors/clientActor.ts';
import type { ClientOutput, LinkEvent } from '../../src/actors/clientOutput.ts';
import { parseTyped } from '../../src/actors/commands.ts';
import { emptyPins } from '../../src/actors/pinnedNames.ts';
import {
  Identity,
  identityFingerprint,
  shortFingerprint,
  verifySignature,
} from '../../src/crypto/identity.ts';
import { envelopeSchema } from '../../src/protocol/envelope.ts';
import { checkSignature, roomOf, signEnvelope } from '../../src/protocol/signedEnvelope.ts';
import { envelope, FIXED_TIME, testId, testRing, tokenOf } from '../support/testKey.ts';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const room = roomOf(testRing.primary);
const aliceId = Identity.fromSeed(Buffer.alloc(32, 1))!;
const bobId = Identity.fromSeed(Buffer.alloc(32, 2))!;
const malloryId = Identity.fromSeed(Buffer.alloc(32, 3))!;
const keyOf = (identity: Identity) => identity.publicKey.toString('base64url');

function alice(pins = emptyPins()) {
  let ids = 100;
  return clientActor({
    ring: testRing,
    name: 'alice',
    identity: aliceId,
    pins,
    maxFrameBytes: 64 * 1024,
    ttlSeconds: 3600,
    idleMs: 0,
    clock: () => FIXED_TIME,
    newId: () => testId(++ids),
  });
}

const up: LinkEvent = { type: 'up' };
let frameIds = 0;
/** A frame of a message signed by `identity` as `from`. */
const signed = (identity: Identity, from: string, text: string): LinkEvent => ({
  type: 'frame',
  frame: tokenOf(signEnvelope(envelope({ from, text, id: testId(++frameIds) }), room, identity)),
});

/** Sent frames as `send: <kind> <verified signer>`, the rest as they are. */
function view(outputs: Observable<ClientOutput>): Observable<unknown> {
  return outputs.pipe(
    map((output) => {
      if (output.type === 'show') return { show: output.line };
      if (output.type !== 'send') return output;
      const opened = testRing.open(output.frame);
      const sent = envelopeSchema.parse(JSON.parse(opened.plaintext.toString('utf8')));
      const signature = checkSignature(sent, room, opened.issuedAt, verifySignature);
      return {
        send: sent.kind,
        v: sent.v,
        signedBy: signature.ok ? signature.key.toString('base64url') : 'nobody',
      };
    }),
  );
}

describe('client actor with an identity and pins (marble)', () => {
  it('signs what it sends, pins its own name first, and pins others on first sight', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const link = cold('u----a----b', {
        u: up,
        a: signed(bobId, 'bob', 'hi'),
        b: signed(bobId, 'bob', 'again'),
      });
      expectObservable(view(alice()({ typed: cold<string>('-'), link }))).toBe('(pj)-(qa)-b', {
        p: { type: 'pin', pin: { name: 'alice', key: keyOf(aliceId) } },
        j: { send: 'join', v: 2, signedBy: keyOf(aliceId) },
        q: { type: 'pin', pin: { name: 'bob', key: keyOf(bobId) } },
        a: { show: 'bob: hi' },
        b: { show: 'bob: again' },
      });
    });
  });

  it('an impostor of a pinned name: one warning, every line marked; /whois and /trust, then plain', () => {
    const mark = `bob (new key ${shortFingerprint(malloryId.publicKey)})`;
    const warning =
      '! "bob" is signing with a new key: this may not be bob (/whois bob compares keys; /trust bob accepts it)';
    scheduler().run(({ cold, expectObservable }) => {
      const pins = emptyPins([{ name: 'bob', key: keyOf(bobId) }]);
      // Ten frames apart, so that the groups of outputs fit between the inputs.
      const gap = (n: number) => '-'.repeat(n);
      const link = cold(`${gap(10)}a${gap(9)}b${gap(39)}e`, {
        a: signed(malloryId, 'bob', 'it is me'),
        b: signed(malloryId, 'bob', 'really'),
        e: signed(malloryId, 'bob', 'trusted now'),
      });
      const typed = cold(`${gap(30)}w${gap(9)}t`, { w: '/whois bob', t: '/trust bob' });
      expectObservable(view(alice(pins)({ typed, link }))).toBe(
        `p${gap(9)}(wa)${gap(6)}b${gap(9)}(xy)${gap(6)}(zq)${gap(16)}e`,
        {
          p: { type: 'pin', pin: { name: 'alice', key: keyOf(aliceId) } },
          w: { type: 'warn', kind: 'identity', line: warning },
          a: { show: `${mark}: it is me` },
          b: { show: `${mark}: really` },
          x: {
            show: `* bob: ${identityFingerprint(bobId.publicKey)} (pinned; ask them for their /whois by another channel and compare)`,
          },
          y: {
            show: `* bob also signed with ${identityFingerprint(malloryId.publicKey)}, not trusted (/trust bob accepts it)`,
          },
          z: { type: 'pin', pin: { name: 'bob', key: keyOf(malloryId) } },
          q: {
            show: `* trusted bob's new key ${identityFingerprint(malloryId.publicKey)} (was ${identityFingerprint(bobId.publicKey)}); its lines are no longer marked`,
          },
          e: { show: 'bob: trusted now' },
        },
      );
    });
  });

  it('marks unsigned lines, refuses a bad signature and an envelope lifted from another time, never showing them', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const good = signEnvelope(envelope({ from: 'bob', text: 'pay alice', id: testId(50) }), room, bobId);
      const link = cold<LinkEvent>('-a-b-c', {
        a: { type: 'frame', frame: tokenOf(envelope({ from: 'bob', text: 'unsigned' })) },
        b: { type: 'frame', frame: tokenOf({ ...good, text: 'pay mallory' }) },
        c: {
          type: 'frame',
          frame: tokenOf(
            signEnvelope(
              envelope({ from: 'bob', text: 'old', id: testId(51), at: '2026-11-23T09:00:00.000Z' }),
              room,
              bobId,
            ),
          ),
        },
      });
      expectObservable(view(alice()({ typed: cold<string>('-'), link }))).toBe('pa-b-c', {
        p: { type: 'pin', pin: { name: 'alice', key: keyOf(aliceId) } },
        a: { show: '~bob: unsigned' },
        b: {
          type: 'warn',
          kind: 'signature:bad-signature',
          line: '! a message signed as "bob" was not shown: its signature does not match (tampered with, or signed for another room)',
        },
        c: {
          type: 'warn',
          kind: 'signature:lifted',
          line: '! a message signed as "bob" was not shown: it was signed at 2026-11-23T09:00:00.000Z but sent 3600 s from then (an old message sent again)',
        },
      });
    });
  });

  it('/nick refuses a name with an invisible character, which the others would refuse once signed', () => {
    expect(parseTyped('/nick bob\u200b')).toEqual({
      kind: 'error',
      line: '! not a name: it holds an invisible character (U+200B)',
    });
    expect(parseTyped('/nick Zoë')).toEqual({ kind: 'nick', name: 'Zoë' });
    expect(parseTyped('/whois')).toEqual({ kind: 'error', line: '! /whois needs a name, e.g. /whois bob' });
    expect(parseTyped('/trust  bob ')).toEqual({ kind: 'trust', name: 'bob' });
  });
});
