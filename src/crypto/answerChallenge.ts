import { answerLine, MAX_ANSWER_KEYS, parseChallenge, signedMessage } from '../protocol/admission.ts';
import { admissionKeyOf } from './admissionKey.ts';
import type { KeyRing } from './keyRing.ts';

export type ChallengeReply =
  { readonly ok: true; readonly line: string } | { readonly ok: false; readonly message: string };

/**
 * The client's answer to a hub's `#challenge`: a signature by each key of the ring (the first
 * MAX_ANSWER_KEYS), so that a hub that admits any one of them lets it in. Refused when the
 * challenge names another hub than the one we meant to reach: signing it would hand a
 * go-between an answer it could relay to that hub.
 */
export function answerChallenge(ring: KeyRing, line: string, expectedHubName: string): ChallengeReply {
  const challenge = parseChallenge(line);
  if (!challenge.ok) return { ok: false, message: `the hub's #challenge is malformed (${challenge.detail})` };
  if (challenge.hubName.toLowerCase() !== expectedHubName.toLowerCase())
    return {
      ok: false,
      message: `the hub calls itself ${challenge.hubName}, not ${expectedHubName}: not answering its challenge (if that is its name, add --hub-name ${challenge.hubName})`,
    };
  const message = signedMessage(challenge.hubName, challenge.nonce);
  const pairs = ring.keys.slice(0, MAX_ANSWER_KEYS).map((key) => {
    const admission = admissionKeyOf(key);
    return { publicKey: admission.publicKey, signature: admission.sign(message) };
  });
  return { ok: true, line: answerLine(pairs) };
}
