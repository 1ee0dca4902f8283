import type { ChallengeReply } from '../crypto/answerChallenge.ts';
import type { FernetKey } from '../crypto/fernetKey.ts';
import { WebAdmission } from '../crypto/webAdmission.ts';

/** What the page does with a hub's `#challenge` line: the `#answer` to send, or why not. */
export type Answerer = (challenge: string) => Promise<ChallengeReply>;

/**
 * The page's answerer for a hub with --admit, bound to the host the page was loaded from.
 *
 * The terminal checks the challenge's hub name against the --host it dialled; the page's
 * equivalent is `location.hostname`: the page is the hub's own and its WebSocket goes back to the
 * same host, so that is the name the person (and, over https, the certificate check) reached
 * the hub by. A page served through a go-between under another name then refuses to sign the
 * real hub's challenge, which is what the check is for. The cost: the hub's --hub-name must be
 * the name in the address bar (open http://127.0.0.1:… for a hub named 127.0.0.1, not localhost).
 *
 * The keys are derived at the first challenge, not at join: a hub without --admit never asks,
 * and a browser without Ed25519 in its Web Crypto can still use it.
 */
export function pageAnswerer(keys: readonly FernetKey[], hostname: string): Answerer {
  // An IPv6 address is in brackets in a URL's host name, bare in --hub-name.
  const hubName = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  let admission: Promise<WebAdmission> | undefined;
  return async (challenge) => {
    admission ??= WebAdmission.import(keys);
    try {
      return await (await admission).answer(challenge, hubName);
    } catch {
      return {
        ok: false,
        message: "this browser cannot sign the hub's admission challenge (its Web Crypto has no Ed25519)",
      };
    }
  };
}
