/**
 * history-resume-unknown: the history is filled with 16 MiB of large frames, then connections
 * from the eight attacker addresses each resume after a random digest (unknown: the hub sends
 * everything it has, up to an answer's limit, and says gap), read the answer and reconnect, as
 * fast as they can. Each resume costs a lookup (the first hashes the history once) and an
 * answer; the room must keep its pace, and each answer must say gap.
 */
import { randomBytes } from 'node:crypto';
import { HUB_DEFAULTS } from '../../src/config/hubConfig.ts';
import { attackerAddress, pool } from './common.ts';
import { fillHistory, HISTORY_ROOM } from './fillHistory.ts';
import type { HubAttack } from './harness.ts';

const FRAME_BYTES = 32 * 1024;
/** Resumes in flight at once, over the eight addresses. */
const CONCURRENCY = 32;
/** A resume not answered in this time (while the room is fine) is a failure. */
const UNANSWERED_MS = 10_000;

export const historyResumeUnknown: HubAttack = {
  name: 'history-resume-unknown',
  seconds: 15,
  settings: HISTORY_ROOM,
  async run(ctx) {
    await fillHistory(ctx, HUB_DEFAULTS.historyFrames, FRAME_BYTES);
    const started = performance.now();
    let resumes = 0;
    let answerBytes = 0;
    let unanswered = 0;
    const outcomes = new Map<string, number>();
    await pool(Number.MAX_SAFE_INTEGER, CONCURRENCY, ctx.stopped, async (i) => {
      const socket = ctx.sockets.connect(ctx.port, attackerAddress(i));
      let timer: NodeJS.Timeout | undefined;
      try {
        const end = await new Promise<string>((resolve, reject) => {
          let tail = '';
          let asked = false;
          socket.setEncoding('latin1');
          socket.on('data', (chunk: string) => {
            answerBytes += chunk.length;
            // Only the notices matter: look at what came with the end of what came before.
            const seen = tail + chunk;
            tail = seen.slice(-256);
            if (!asked) {
              const epoch = /^#hello \S+ \d+ \d+ (\S+)/.exec(seen)?.[1];
              if (epoch === undefined) return;
              socket.write(`#resume ${epoch} ${randomBytes(12).toString('base64url')}\n`);
              asked = true;
            }
            const end = /#history-end [^\n]*\n/.exec(seen);
            if (end) resolve(end[0].trim());
          });
          socket.once('close', () => reject(new Error('closed before the answer ended')));
          timer = setTimeout(() => {
            unanswered++;
            reject(new Error('no answer in 10 s'));
          }, UNANSWERED_MS);
        });
        resumes++;
        outcomes.set(end.split(' ')[2]!, (outcomes.get(end.split(' ')[2]!) ?? 0) + 1);
      } finally {
        clearTimeout(timer);
        socket.destroy();
      }
    });
    const seconds = (performance.now() - started) / 1000;
    return {
      failures: [
        ...(outcomes.has('complete')
          ? [`${outcomes.get('complete')} resumes after unknown digests said complete`]
          : []),
        ...(unanswered > 0 ? [`${unanswered} resumes not answered within ${UNANSWERED_MS / 1000} s`] : []),
      ],
      notes: [
        `history 500 x 32 KiB; ${resumes} resumes after random digests in ${seconds.toFixed(1)} s (${(resumes / seconds).toFixed(0)}/s), ` +
          `${(answerBytes / resumes / 1024 / 1024).toFixed(1)} MiB each, answers ${[...outcomes].map(([k, v]) => `${v} ${k}`).join(', ')}`,
      ],
    };
  },
};
