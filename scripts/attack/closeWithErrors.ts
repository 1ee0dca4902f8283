/**
 * Finding 1, close-with-errors: connections from 127.0.0.2..9 each write 64 KiB of `x\n` (32,768
 * bad lines) and close. At the finding, a closed connection kept its queued `#error` replies, and
 * a 651 s flood-control timer kept it alive: memory grows with every one.
 */
import { attackerAddress, pool, writeAndWait } from './common.ts';
import type { HubAttack } from './harness.ts';

const BAD = Buffer.from('x\n'.repeat(32 * 1024));
/** At most this many connections per run (at --seconds 15), this many at once. */
const MAX_CONNECTIONS = 5_000;
const CONCURRENCY = 16;

export const closeWithErrors: HubAttack = {
  name: 'close-with-errors',
  seconds: 15,
  async run(ctx) {
    let closed = 0;
    await pool(Math.round(MAX_CONNECTIONS * ctx.scale), CONCURRENCY, ctx.stopped, async (i) => {
      const socket = ctx.sockets.connect(ctx.port, attackerAddress(i));
      socket.resume(); // whatever the hub answers is read and dropped
      await ctx.sockets.connected(socket);
      await writeAndWait(socket, BAD, ctx.stopped);
      socket.end();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          socket.destroy();
          resolve();
        }, 1_000);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      closed++;
    });
    return { notes: [`${closed} connections wrote 32,768 bad lines and closed`] };
  },
};
