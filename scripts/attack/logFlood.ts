/**
 * Finding 2, log-flood: the same bad-line writes as close-with-errors, from connections that stay
 * open and keep writing, with the hub's stderr a pipe this suite reads fast (log-flood-fast) or
 * slowly, 4 KiB every 100 ms (log-flood-slow). At the finding the hub's log backlog grew without
 * bound (1.5 GB in 30 s).
 *
 * Flood control stops the hub reading from a connection once it has read a burst, so one
 * connection's later writes wait in the kernel; new connections keep coming (16 at a time, up to
 * 2,000), each writing 64 KiB of bad lines and then writing again whenever the hub takes it.
 */
import { attackerAddress, pool, writeAndWait } from './common.ts';
import type { AttackContext, HubAttack } from './harness.ts';

const BAD = Buffer.from('x\n'.repeat(32 * 1024));
const MAX_CONNECTIONS = 2_000;
const CONCURRENCY = 16;

async function flood(ctx: AttackContext) {
  let writes = 0;
  const writers: Promise<void>[] = [];
  const opened = await pool(Math.round(MAX_CONNECTIONS * ctx.scale), CONCURRENCY, ctx.stopped, async (i) => {
    const socket = ctx.sockets.connect(ctx.port, attackerAddress(i));
    socket.resume(); // reads and drops its #error replies, so only the log backs up
    await ctx.sockets.connected(socket);
    if (!(await writeAndWait(socket, BAD, ctx.stopped))) return;
    writes++;
    writers.push(
      (async () => {
        while (!ctx.stopped() && (await writeAndWait(socket, BAD, ctx.stopped))) writes++;
      })(),
    );
  });
  await Promise.all(writers);
  return {
    notes: [
      `${opened} connections, ${writes} writes of 32,768 bad lines; ${(ctx.hub.log.bytes / 1024 / 1024).toFixed(0)} MiB of hub log read`,
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
