/**
 * history-non-readers (amplification): the history is filled with 16 MiB of large frames, then
 * every second 40 new connections each ask `#history 1000000` and never read. Seventeen bytes
 * in, an answer out: the hub must hold each answer as views of what it keeps (not copies),
 * within its budget, and keep the room's pace.
 *
 * An answer is cut at --max-queue-bytes (1 MiB). At the first cut, half the hard limit (8 MiB),
 * every answer went at once into the kernel's buffers of its non-reader (on loopback, both
 * ends'), these 280 or so at a time took the kernel past its TCP memory pressure mark (2 GB
 * here), and the pair's p99 went to 320-950 ms. Now an answer fits within what the kernel takes
 * for a connection, so a non-reader in a quiet room is not even behind: it holds its slot until
 * keepalive closes it, as any silent client does; live frames would make it a slow consumer
 * (historyInput.test.ts shows that).
 */
import { HUB_DEFAULTS } from '../../src/config/hubConfig.ts';
import { fillHistory, HISTORY_ROOM } from './fillHistory.ts';
import type { HubAttack } from './harness.ts';

const WAVE = 40;
const EVERY_MS = 1_000;
/** 500 frames of 32 KiB: history's 16 MiB. */
const FRAME_BYTES = 32 * 1024;

export const historyNonReaders: HubAttack = {
  name: 'history-non-readers',
  seconds: 15,
  settings: HISTORY_ROOM,
  async run(ctx) {
    await fillHistory(ctx, HUB_DEFAULTS.historyFrames, FRAME_BYTES);
    const answered = ctx.hub.log.watch(/event=history .*sent=\d+ outcome=gap/);
    const dropped = ctx.hub.log.watch(/event=leave .*reason=slow-consumer/);
    let asked = 0;
    while (!ctx.stopped()) {
      for (let i = 0; i < WAVE; i++) {
        // 127.0.0.10..13: addresses of their own, so the fill's buckets are not theirs.
        const socket = ctx.sockets.connect(ctx.port, `127.0.0.${10 + (asked % 4)}`);
        socket.pause(); // never reads
        socket.write('#history 1000000\n');
        asked++;
      }
      await ctx.pause(EVERY_MS);
    }
    // All but the last wave have had their answer (cut: a gap) by now.
    return {
      failures: answered() < asked - WAVE ? [`${answered()} of ${asked} requests answered with a gap`] : [],
      notes: [
        `history 500 x 32 KiB; ${asked} non-readers asked #history 1000000, ${answered()} answered (cut at --max-queue-bytes), ${dropped()} dropped as slow consumers`,
      ],
    };
  },
};
