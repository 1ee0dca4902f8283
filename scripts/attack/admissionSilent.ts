/**
 * admission-silent: against a hub with TLS and --admit, waves of connections (over the attacker
 * addresses) that finish TLS, read the challenge, and never answer. Each must be dropped at
 * --admit-timeout-seconds (5 s, judged at the hub's tick, a quarter of it at most) with
 * `#bye unauthorized`, and none may get a `#hello` or any line of the room (the pair talks all
 * along). What the hub holds for them is the connections' own cost and the gate's pending entries.
 */
import { HUB_DEFAULTS } from '../../src/config/hubConfig.ts';
import { attackerAddress, sleep } from './common.ts';
import type { HubAttack } from './harness.ts';
import { onLines } from './secure.ts';

export const SILENT_WAVE = 250;
export const SILENT_EVERY_MS = 2_000;
const TIMEOUT_MS = HUB_DEFAULTS.admitTimeoutSeconds * 1000;
/** The hub judges the timeout at its tick (a quarter of it), and a loaded machine adds a moment. */
const LATE_MS = TIMEOUT_MS / 4 + 2_000;

export const admissionSilent: HubAttack = {
  name: 'admission-silent',
  seconds: 15,
  secure: true,
  async run(ctx) {
    const ca = ctx.secure!.ca;
    let opened = 0;
    let challenged = 0;
    let unauthorized = 0;
    let hellos = 0;
    let others = 0;
    const otherLines: string[] = [];
    /**
     * From the challenge to the hub's close, for each that got one: at most the timeout and a tick
     * (this process may read the challenge late, never early). And from the connection's start,
     * which is before the hub's clock starts (at the end of the handshake): at least the timeout.
     */
    const dropMs: number[] = [];
    const livedMs: number[] = [];
    const open = () => {
      const socket = ctx.sockets.connectTls(ctx.port, attackerAddress(opened++), ca);
      const openedAt = performance.now();
      let challengedAt: number | undefined;
      onLines(socket, (text) => {
        if (text.startsWith('#challenge ') && challengedAt === undefined) {
          challenged++;
          challengedAt = performance.now();
        } else if (text === '#bye unauthorized') unauthorized++;
        else {
          if (text.startsWith('#hello ')) hellos++;
          else others++;
          if (otherLines.length < 3) otherLines.push(text.slice(0, 60));
        }
      });
      socket.on('close', () => {
        if (challengedAt === undefined) return;
        dropMs.push(performance.now() - challengedAt);
        livedMs.push(performance.now() - openedAt);
      });
    };
    // Waves for the attack's time less one timeout, then the last of them dropped (past --seconds).
    const waves = Math.max(1, Math.round((ctx.seconds * 1000 - TIMEOUT_MS) / SILENT_EVERY_MS));
    for (let w = 0; w < waves && !ctx.stopped(); w++) {
      for (let i = 0; i < SILENT_WAVE; i++) open();
      await ctx.pause(SILENT_EVERY_MS);
    }
    const until = performance.now() + TIMEOUT_MS + LATE_MS + 2_000;
    while (dropMs.length < challenged && performance.now() < until) await sleep(100);
    // Handshakes still under way when they were opened late: what answered by now counts.
    await sleep(500);

    const failures: string[] = [];
    if (hellos + others > 0)
      failures.push(
        `${hellos} #hello and ${others} other lines reached silent connections (${otherLines.join(' | ')})`,
      );
    if (unauthorized < challenged)
      failures.push(`${challenged - unauthorized} challenged without a #bye unauthorized`);
    const early = livedMs.filter((ms) => ms < TIMEOUT_MS).length;
    const late = dropMs.filter((ms) => ms > TIMEOUT_MS + LATE_MS).length;
    if (early > 0) failures.push(`${early} dropped before the admission timeout`);
    if (late > 0) failures.push(`${late} dropped more than ${(LATE_MS / 1000).toFixed(2)} s after it`);
    if (challenged < opened * 0.9)
      failures.push(`only ${challenged} of ${opened} got as far as the challenge`);
    const sorted = dropMs.sort((x, y) => x - y);
    return {
      failures,
      notes: [
        `${opened} silent connections in waves of ${SILENT_WAVE} every ${SILENT_EVERY_MS / 1000} s: ${challenged} challenged, ${unauthorized} got #bye unauthorized, ${hellos} #hello, ${others} other lines`,
        `dropped ${((sorted[0] ?? NaN) / 1000).toFixed(2)}–${((sorted.at(-1) ?? NaN) / 1000).toFixed(2)} s after their challenge (p50 ${((sorted[sorted.length >> 1] ?? NaN) / 1000).toFixed(2)} s)`,
      ],
    };
  },
};
