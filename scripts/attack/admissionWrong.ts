/**
 * admission-wrong: against a hub with TLS and --admit, tries as fast as they are refused, from
 * LANES connections at once over the attacker addresses: each finishes TLS, reads the challenge
 * and answers wrongly, in turn
 *  - as an outsider: its own chat key's answer, properly signed (the hub does not admit the key);
 *  - with 16 pairs of random key and signature text (the most an answer holds);
 *  - with the member's public key and a random signature (one Ed25519 verification);
 *  - replayed: signed with the member's key over another nonce (an answer from another connection).
 * Every one must be refused (`#bye unauthorized`), none may get `#hello` or a room line, and each
 * try costs flood-control tokens of its connection and address. Refused tries a second and the
 * hub's CPU are what it measures.
 */
import { randomBytes } from 'node:crypto';
import { admissionKeyOf } from '../../src/crypto/admissionKey.ts';
import { answerChallenge } from '../../src/crypto/answerChallenge.ts';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { KeyRing } from '../../src/crypto/keyRing.ts';
import { answerLine, MAX_ANSWER_KEYS, parseChallenge, signedMessage } from '../../src/protocol/admission.ts';
import { attackerAddress, pool } from './common.ts';
import type { HubAttack } from './harness.ts';
import { HUB_NAME, onLines } from './secure.ts';

export const WRONG_LANES = 48;
const KINDS = ['outsider', 'random', 'member-key', 'replayed'] as const;
type Kind = (typeof KINDS)[number];

const randomText = (bytes: number) => randomBytes(bytes).toString('base64url');

export const admissionWrong: HubAttack = {
  name: 'admission-wrong',
  seconds: 15,
  secure: true,
  async run(ctx) {
    const { ca, ring } = ctx.secure!;
    const member = admissionKeyOf(ring.primary);
    const outsiders = Array.from({ length: 16 }, () => new KeyRing([FernetKey.generate()]));
    /** The wrong answer of this kind; undefined if the challenge is not one to answer. */
    const answer = (kind: Kind, challenge: string, i: number): string | undefined => {
      if (!parseChallenge(challenge).ok) return undefined;
      switch (kind) {
        case 'outsider': {
          const reply = answerChallenge(outsiders[i % outsiders.length]!, challenge, HUB_NAME);
          return reply.ok ? reply.line : undefined;
        }
        case 'random':
          return answerLine(
            Array.from({ length: MAX_ANSWER_KEYS }, () => ({
              publicKey: randomText(32),
              signature: randomText(64),
            })),
          );
        case 'member-key':
          return answerLine([{ publicKey: member.publicKey, signature: randomText(64) }]);
        case 'replayed':
          return answerLine([
            { publicKey: member.publicKey, signature: member.sign(signedMessage(HUB_NAME, randomText(32))) },
          ]);
      }
    };
    const tries = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
    let refused = 0;
    let admitted = 0;
    let others = 0;
    let unanswered = 0;
    let badChallenges = 0;
    const otherLines: string[] = [];
    const started = performance.now();
    await pool(Number.MAX_SAFE_INTEGER, WRONG_LANES, ctx.stopped, async (i) => {
      const kind = KINDS[i % KINDS.length]!;
      const socket = ctx.sockets.connectTls(ctx.port, attackerAddress(i), ca);
      await new Promise<void>((resolve) => {
        let answered = false;
        let bye = false;
        onLines(socket, (text) => {
          if (text.startsWith('#challenge ') && !answered) {
            const line = answer(kind, text, i);
            if (line === undefined) {
              badChallenges++;
              socket.destroy();
              return;
            }
            answered = true;
            tries[kind]++;
            socket.write(`${line}\n`);
          } else if (text === '#bye unauthorized') bye = true;
          else {
            if (text.startsWith('#hello ')) admitted++;
            else others++;
            if (otherLines.length < 3) otherLines.push(`${kind}: ${text.slice(0, 60)}`);
          }
        });
        socket.once('close', () => {
          if (answered && bye) refused++;
          else if (answered && !ctx.stopped()) unanswered++;
          resolve();
        });
      });
    });
    const seconds = (performance.now() - started) / 1000;
    const total = KINDS.reduce((sum, k) => sum + tries[k], 0);
    const failures: string[] = [];
    if (admitted + others > 0)
      failures.push(
        `${admitted} #hello and ${others} other lines reached wrong answers (${otherLines.join(' | ')})`,
      );
    if (unanswered > 0) failures.push(`${unanswered} wrong answers closed without #bye unauthorized`);
    if (refused === 0) failures.push('no try was refused');
    if (badChallenges > 0) failures.push(`${badChallenges} challenges were malformed or named another hub`);
    return {
      failures,
      notes: [
        `${total} wrong answers from ${WRONG_LANES} connections at once (${KINDS.map((k) => `${tries[k]} ${k}`).join(', ')}): ${refused} refused with #bye unauthorized, ${(refused / seconds).toFixed(0)} a second; ${admitted} admitted`,
      ],
    };
  },
};
