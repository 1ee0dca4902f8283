/**
 * Finding 11, many-partials-then-leave: 8,000 connections (2,000 below --seconds 15), from
 * 127.0.0.2..9 to stay within the 1,000-per-address limit, each holding a partial frame of
 * ~60 KB, then all of them disconnect. The row's RSS peak is the partials, "after" what the hub
 * keeps once they are gone.
 */
import { attackerAddress, pool, sleep, writeAndWait } from './common.ts';
import type { HubAttack } from './harness.ts';

const PARTIAL = Buffer.alloc(60_000, 'A');
const HOLD_MS = 2_000;

export const partialsThenLeave: HubAttack = {
  name: 'many-partials-then-leave',
  seconds: 15,
  async run(ctx) {
    const count = ctx.scale >= 1 ? 8_000 : 2_000;
    let holding = 0;
    const started = performance.now();
    await pool(count, 200, ctx.stopped, async (i) => {
      const socket = ctx.sockets.connect(ctx.port, attackerAddress(i));
      socket.resume();
      await ctx.sockets.connected(socket);
      if (await writeAndWait(socket, PARTIAL, ctx.stopped)) holding++;
    });
    const setupS = (performance.now() - started) / 1000;
    await sleep(HOLD_MS);
    const { opened, size: open } = ctx.sockets;
    ctx.sockets.destroyAll();
    return {
      notes: [
        `${opened} of ${count} connections opened in ${setupS.toFixed(1)} s (the rest: out of time), ${holding} wrote a 60 KB partial, ${open} still open, then all left`,
      ],
    };
  },
};
