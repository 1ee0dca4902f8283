/**
 * Finding 2, log-flood: the same bad-line writes as close-with-errors, from connections that stay
 * open and keep writing, with the hub's stderr a pipe this suite reads fast (log-flood-fast) or
 * slowly, 4 KiB every 100 ms (log-flood-slow). At the finding the hub's log backlog grew without
 * bound (1.5 GB in 30 s).
 */
import { attackerAddress, writeAndWait } from './common.ts';
import type { AttackContext, HubAttack } from './harness.ts';

const BAD = Buffer.from('x\n'.repeat(32 * 1024));
const CONNECTIONS = 16;
/** Writes per connection at most (a bound; the time ends it first). */
const MAX_WRITES = 20_000;

async function flood(ctx: AttackContext) {
  let writes = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, i) => {
      const socket = ctx.sockets.connect(ctx.port, attackerAddress(i));
      socket.resume(); // reads and drops its #error replies, so only the log backs up
      try {
        await ctx.sockets.connected(socket);
      } catch {
        return;
      }
      for (let n = 0; n < MAX_WRITES && !ctx.stopped(); n++) {
        if (!(await writeAndWait(socket, BAD))) return;
        writes++;
      }
    }),
  );
  return {
    notes: [
      `${writes} writes of 32,768 bad lines; ${(ctx.hub.log.bytes / 1024 / 1024).toFixed(0)} MiB of log read`,
    ],
  };
}

export const logFloodFast: HubAttack = {
  name: 'log-flood-fast',
  seconds: 15,
  hub: { stderr: 'fast' },
  run: flood,
};

export const logFloodSlow: HubAttack = {
  name: 'log-flood-slow',
  seconds: 15,
  hub: { stderr: 'slow' },
  run: flood,
};
