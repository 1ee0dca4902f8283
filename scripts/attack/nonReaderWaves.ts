/**
 * Finding 5, non-reader-waves: every 6 s, 300 new connections that never read, for 42 s. At the
 * finding the room stalled (the pair's p50 was 1.8 s).
 *
 * For the non-readers to back up within the window, the room needs volume: two talkers (from
 * 127.0.0.10, reading and dropping what they get) send 4 KB tokens, 100/s each, about 800 KB/s
 * to every connection, so a non-reader's kernel buffers (a few hundred KB on loopback) fill in
 * well under a second and the hub's queue for it passes the 1 MiB limit soon after. That is over
 * the flood limit (50 frames/s per connection), so this attack runs its hub with --flood-rate 0.
 */
import { TokenCodec } from '../../src/bench/token.ts';
import { attackerAddress } from './common.ts';
import type { HubAttack } from './harness.ts';

const WAVE = 300;
const EVERY_MS = 6_000;
const TALKERS = 2;
const TALKER_TOKEN_BYTES = 4_096;
const TALKER_EVERY_MS = 10;

export const nonReaderWaves: HubAttack = {
  name: 'non-reader-waves',
  seconds: 42,
  hub: { args: ['--flood-rate', '0'] },
  async run(ctx) {
    const codec = new TokenCodec({ size: TALKER_TOKEN_BYTES, seed: 41 });
    const talkers = Array.from({ length: TALKERS }, () => {
      const socket = ctx.sockets.connect(ctx.port, '127.0.0.10');
      socket.resume();
      return socket;
    });
    let seq = 0;
    let talked = 0;
    const talk = setInterval(() => {
      for (const [i, socket] of talkers.entries()) {
        // A talker the hub pushes back on waits rather than piling up in this process.
        if (socket.destroyed || socket.writableLength > 1024 * 1024) continue;
        socket.write(codec.line(1, i, seq++, 0, 0));
        talked++;
      }
    }, TALKER_EVERY_MS);
    let opened = 0;
    try {
      const waves = Math.max(1, Math.round(ctx.seconds / (EVERY_MS / 1000)));
      for (let w = 0; w < waves && !ctx.stopped(); w++) {
        for (let i = 0; i < WAVE; i++) {
          const socket = ctx.sockets.connect(ctx.port, attackerAddress(opened++));
          socket.pause(); // never reads
        }
        await ctx.pause(EVERY_MS);
      }
      await ctx.pause(ctx.seconds * 1000);
    } finally {
      clearInterval(talk);
    }
    return {
      notes: [
        `hub --flood-rate 0; ${opened} non-readers in waves of ${WAVE}; talkers sent ${talked} x 4 KB`,
        `${ctx.sockets.size} attacker sockets still open at the end`,
      ],
    };
  },
};
