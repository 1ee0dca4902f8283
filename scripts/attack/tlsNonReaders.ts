/**
 * tls-non-readers: against a hub with TLS and --admit, waves of admitted members (each answers its
 * challenge properly) that never read after their `#hello`, while the pair and four talkers (also
 * members, from 127.0.0.10, each under the flood rate) send 4 KB tokens. Over TLS each connection's
 * ciphertext is its own (the frames are shared, their encryption is not), so what the hub holds
 * per non-reader is its TLS state and the ciphertext the kernel has not taken, beside what any
 * connection holds: measured here against the memory budget with its TLS term
 * (src/config/memoryBudget.ts, TLS_STATE_BYTES and TLS_CIPHERTEXT_BYTES).
 */
import type { TLSSocket } from 'node:tls';
import { TokenCodec } from '../../src/bench/token.ts';
import { HUB_DEFAULTS } from '../../src/config/hubConfig.ts';
import { attackerAddress, pool } from './common.ts';
import type { HubAttack } from './harness.ts';
import { admitted } from './secure.ts';

/**
 * Each non-reader holds about 3.7 MB of the kernel's TCP memory on this machine (the hub's send
 * buffer and its own receive buffer, both here on loopback): 100 at once stay under the kernel's
 * pressure mark, which delays every connection on the machine (docs/security.md). With 200 a wave
 * the kernel passed it, and the pair's p99 with it.
 */
export const TLS_NON_READER_WAVE = 100;
export const TLS_NON_READER_EVERY_MS = 15_000;
/** Waves in the attack's 30 s (fewer with --seconds under 15). */
export const TLS_NON_READER_WAVES = 2;
export const TLS_TALKERS = 4;
const TALKER_TOKEN_BYTES = 4_096;
/**
 * Each talker's frames a second, under its flood rate (50) and all four under their address's
 * (500): 640 KB/s to each non-reader, whose encryption is the hub's work for each of them. Its
 * kernel buffers (about 3.7 MB on loopback) are full in about 6 s; then the hub holds its TLS
 * write and its queue until it drops it as a slow consumer.
 */
const TALKER_RATE = HUB_DEFAULTS.floodRate - 10;
/** Handshakes and answers at once, as a client would open them. */
const OPENING = 32;

export const tlsNonReaders: HubAttack = {
  name: 'tls-non-readers',
  // Long enough for a wave to fill its kernel buffers, back up in the hub and be dropped.
  seconds: 30,
  secure: true,
  async run(ctx) {
    const { ca, ring } = ctx.secure!;
    // The room's size as the hub logs it at each join and leave (a paused socket here does not see
    // its close): the pair, the talkers and the non-readers it holds.
    const online = ctx.hub.log.peak(/event=(?:join|leave) .*online=(\d+)/);
    const slow = ctx.hub.log.watch(/event=leave .*reason=slow-consumer/);
    let members = 0;
    let refused = 0;
    const member = async (address: string): Promise<TLSSocket | undefined> => {
      const socket = ctx.sockets.connectTls(ctx.port, address, ca);
      try {
        await admitted(socket, ring);
      } catch {
        refused++;
        socket.destroy();
        return undefined;
      }
      members++;
      return socket;
    };
    const codec = new TokenCodec({ size: TALKER_TOKEN_BYTES, seed: 43 });
    let seq = 0;
    let talked = 0;
    let talk: NodeJS.Timeout | undefined;
    let opened = 0;
    try {
      const waves = Math.max(
        1,
        Math.min(TLS_NON_READER_WAVES, Math.round(ctx.seconds / (TLS_NON_READER_EVERY_MS / 1000))),
      );
      for (let w = 0; w < waves && !ctx.stopped(); w++) {
        const waveStart = performance.now();
        await pool(TLS_NON_READER_WAVE, OPENING, ctx.stopped, async () => {
          const socket = await member(attackerAddress(opened++));
          socket?.pause(); // never reads again
        });
        if (talk === undefined) {
          // Once the first wave is in, so that all of it backs up at once.
          const talkers = (
            await Promise.all(Array.from({ length: TLS_TALKERS }, () => member('127.0.0.10')))
          ).filter((s) => s !== undefined);
          talk = setInterval(() => {
            for (const [i, socket] of talkers.entries()) {
              if (socket.destroyed || socket.writableLength > 1024 * 1024) continue;
              socket.write(codec.line(1, i, seq++, 0, 0));
              talked++;
            }
          }, 1000 / TALKER_RATE);
        }
        await ctx.pause(TLS_NON_READER_EVERY_MS - (performance.now() - waveStart));
      }
      await ctx.pause(ctx.seconds * 1000);
    } finally {
      clearInterval(talk);
    }
    const mostOpen = online();
    const perConnectionKiB = ((ctx.sampler.peakMiB - ctx.startMiB) * 1024) / mostOpen;
    const failures: string[] = [];
    if (refused > 0) failures.push(`${refused} members were not admitted`);
    // The budget (budget.ts) counts every wave, the talkers and the pair: more and it would undercount.
    if (mostOpen > TLS_NON_READER_WAVES * TLS_NON_READER_WAVE + TLS_TALKERS + 2)
      failures.push(`the hub held ${mostOpen} members at once, more than its budget counts`);
    return {
      failures,
      notes: [
        `${members} members admitted over TLS (${members - TLS_TALKERS} non-readers in waves of ${TLS_NON_READER_WAVE}, ${TLS_TALKERS} talkers who sent ${talked} x 4 KB); the hub held at most ${mostOpen} at once (the pair's included) and dropped ${slow()} as slow consumers`,
        `RSS peak ${perConnectionKiB.toFixed(0)} KiB a connection above the hub's start`,
      ],
    };
  },
};
