/**
 * tiny-frames-to-non-readers: 2,000 connections that never read, while eight senders (one per
 * attacker address, each at its address's flood rate) send the smallest tokens one per write, so
 * that every frame is a queue entry of its own for each non-reader. What the hub holds per queued
 * entry, not per byte, is what this measures: each non-reader's queue, and its socket's buffer of
 * pending writes, hold a reference per frame.
 */
import { TokenCodec } from '../../src/bench/token.ts';
import { ATTACKER_ADDRESSES, attackerAddress } from './common.ts';
import type { HubAttack } from './harness.ts';

const NON_READERS = 2_000;
/** Per sender: every 2 ms, one frame, which is 500/s, its address's default flood rate. */
const SEND_EVERY_MS = 2;

export const tinyFramesToNonReaders: HubAttack = {
  name: 'tiny-frames-to-non-readers',
  seconds: 15,
  async run(ctx) {
    const codec = new TokenCodec({ size: 100, seed: 7 });
    for (let i = 0; i < NON_READERS; i++) {
      const socket = ctx.sockets.connect(ctx.port, `127.0.0.${10 + (i % 4)}`);
      socket.pause(); // never reads
    }
    const senders = Array.from({ length: ATTACKER_ADDRESSES }, (_, i) => {
      const socket = ctx.sockets.connect(ctx.port, attackerAddress(i));
      socket.resume();
      return socket;
    });
    let seq = 0;
    let sent = 0;
    const send = setInterval(() => {
      for (const [i, socket] of senders.entries()) {
        if (socket.destroyed || socket.writableLength > 64 * 1024) continue;
        socket.write(codec.line(1, i, seq++, 0, 0));
        sent++;
      }
    }, SEND_EVERY_MS);
    try {
      await ctx.pause(ctx.seconds * 1000);
    } finally {
      clearInterval(send);
    }
    return {
      notes: [
        `${NON_READERS} non-readers; ${sent} tokens of ~100 bytes, one per write, from ${ATTACKER_ADDRESSES} senders`,
      ],
    };
  },
};
