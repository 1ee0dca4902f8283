/**
 * history-tiny-runs: history is filled with the smallest frames (101 bytes), each alone in its
 * read, so that every frame is an entry of its own: a Buffer, an entry, a digest (a connection
 * joins every second, whose #hello names the newest frame) and a place in the digest map. The hub keeps up
 * to a million frames here (--history-frames 1000000, the most allowed), so its 16 MiB hold about
 * 166,000 of them: what it costs beyond their bytes is what the budget's per-frame overhead says.
 * Flood control is off, so that the history fills within the attack's time.
 */
import { HUB_DEFAULTS } from '../../src/config/hubConfig.ts';
import { MIN_FRAME_BYTES } from '../../src/config/memoryBudget.ts';
import { TokenCodec } from '../../src/bench/token.ts';
import { attackerAddress } from './common.ts';
import type { HubAttack } from './harness.ts';

const SENDERS = 16;
/** Each sender writes one frame per timer turn (about 1 ms): one frame per read at the hub. */
const SEND_EVERY_MS = 1;
const PROBE_EVERY_MS = 1_000;

export const historyTinyRuns: HubAttack = {
  name: 'history-tiny-runs',
  seconds: 15,
  settings: { historyFrames: 1_000_000, floodRate: 0 },
  async run(ctx) {
    const codec = new TokenCodec({ size: MIN_FRAME_BYTES, seed: 13 });
    if (codec.lineBytes !== MIN_FRAME_BYTES) throw new Error(`the smallest line is ${codec.lineBytes} bytes`);
    const senders = Array.from({ length: SENDERS }, (_, i) => {
      const socket = ctx.sockets.connect(ctx.port, attackerAddress(i));
      socket.resume(); // what the room says is read and dropped
      return socket;
    });
    await Promise.all(senders.map((socket) => ctx.sockets.connected(socket)));
    let seq = 0;
    const send = setInterval(() => {
      for (const [i, socket] of senders.entries())
        if (!socket.destroyed && socket.writableLength < 64 * 1024)
          socket.write(codec.line(3, i, seq++, 0, 0));
    }, SEND_EVERY_MS);
    // A join every second: its #hello names (and hashes) the newest frame.
    const probe = setInterval(() => {
      const socket = ctx.sockets.connect(ctx.port, attackerAddress(SENDERS));
      socket.resume();
      socket.once('data', () => socket.destroy());
    }, PROBE_EVERY_MS);
    try {
      await ctx.pause(ctx.seconds * 1000);
    } finally {
      clearInterval(send);
      clearInterval(probe);
    }
    const kept = Math.floor(HUB_DEFAULTS.historyBytes / MIN_FRAME_BYTES);
    return {
      relayed: seq,
      notes: [
        `--history-frames 1000000 --flood-rate 0; ${seq} frames of ${MIN_FRAME_BYTES} bytes from ${SENDERS} senders, one per write; history holds ${Math.min(seq, kept)}`,
      ],
    };
  },
};
