import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  answerLine,
  challengeLine,
  MAX_ANSWER_KEYS,
  parseAnswer,
  parseChallenge,
} from '../../src/protocol/admission.ts';
import { classifyFrameEvent } from '../../src/streams/classifyFrames.ts';
import type { HubEvent } from '../../src/streams/hubEvent.ts';

const b64url = (length: number) =>
  fc.string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
    minLength: length,
    maxLength: length,
  });
const pair = fc.record({ publicKey: b64url(43), signature: b64url(86) });
const hubName = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 253,
});

/** What the hub makes of one line from a client. */
function classify(line: string): HubEvent[] {
  const events: HubEvent[] = [];
  classifyFrameEvent(
    1,
    { kind: 'frames', data: Buffer.from(`${line}\n`, 'latin1'), count: 1 },
    { next: (e) => events.push(e) },
  );
  return events;
}

describe('the handshake parsers', () => {
  it('read back every answer and challenge they write', () => {
    fc.assert(
      fc.property(fc.array(pair, { minLength: 1, maxLength: MAX_ANSWER_KEYS }), (pairs) => {
        expect(parseAnswer(answerLine(pairs))).toEqual({ ok: true, pairs });
      }),
    );
    fc.assert(
      fc.property(b64url(43), hubName, (nonce, name) => {
        expect(parseChallenge(challengeLine(nonce, name))).toEqual({ ok: true, nonce, hubName: name });
      }),
    );
  });

  it('never throw, and refuse anything but well-formed pairs, within the size limit', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), (tail) => {
        const answer = parseAnswer(`#answer ${tail}`);
        if (answer.ok) {
          expect(answer.pairs.length).toBeGreaterThan(0);
          expect(answer.pairs.length).toBeLessThanOrEqual(MAX_ANSWER_KEYS);
          for (const { publicKey, signature } of answer.pairs) {
            expect(publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
            expect(signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
          }
        } else expect(answer.detail).toMatch(/^[^\n]+$/);
        const challenge = parseChallenge(`#challenge ${tail}`);
        if (challenge.ok) expect(challenge.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
      }),
    );
  });

  it('refuse one pair too many, and a pair cut short', () => {
    fc.assert(
      fc.property(
        fc.array(pair, { minLength: MAX_ANSWER_KEYS + 1, maxLength: MAX_ANSWER_KEYS + 3 }),
        (pairs) => {
          expect(parseAnswer(answerLine(pairs)).ok).toBe(false);
          expect(parseAnswer(answerLine(pairs.slice(0, 2)).slice(0, -1)).ok).toBe(false);
        },
      ),
    );
  });

  it('make every #answer line the hub reads either an answer or a bad request, never relayed', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 4000 }),
          fc.array(pair, { minLength: 1, maxLength: 20 }).map(answerLine),
        ),
        (text) => {
          const line = text.startsWith('#answer ') ? text : `#answer ${text}`;
          if (line.includes('\n')) return;
          const events = classify(line);
          expect(events).toHaveLength(1);
          const event = events[0]!;
          expect(['answer', 'rejected']).toContain(event.type);
          if (event.type === 'rejected') expect(event.code).toBe('bad-request');
        },
      ),
    );
  });
});
