/**
 * history-pinned-reads: a kept frame is a view of the socket read it came in, and keeps that
 * read alive. Every read here is 64 KiB: one frame and a long line the hub refuses.
 *
 * First 10,000 reads with the smallest frame (101 bytes) each: a frame that small is copied out
 * of its read (PeerActor's `unpinned`), so history holds 10,000 frames of 101 bytes. (It was
 * not: the rule looked at the read's run before the refused line was cut out of it, so each
 * frame kept its 64 KiB read, 625 MiB for 10,000.) Then reads with a frame of 16 KiB, just over
 * a quarter of the read, which is kept as a view: history's 16 MiB of them keep 64 MiB alive,
 * the most the budget allows (VIEW_FACTOR). The hub keeps 10,000 frames here.
 */
import type { Socket } from 'node:net';
import { TokenCodec } from '../../src/bench/token.ts';
import { HUB_DEFAULTS } from '../../src/config/hubConfig.ts';
import { MIN_FRAME_BYTES, READ_BYTES, VIEW_FACTOR } from '../../src/config/memoryBudget.ts';
import { ATTACKER_ADDRESSES, attackerAddress } from './common.ts';
import type { AttackContext, HubAttack } from './harness.ts';

const HISTORY_FRAMES = 10_000;
/** Per address: its flood rate is 500 lines a second, 250 of these reads, 25 per connection. */
const CONNECTIONS_PER_ADDRESS = HUB_DEFAULTS.floodRatePerAddress / HUB_DEFAULTS.floodRate;

/** A read of `codec`'s frame and a refused line after it, 64 KiB in all. */
function readOf(codec: TokenCodec, c: number, seq: number): Buffer {
  const junk = Buffer.alloc(READ_BYTES - codec.lineBytes, 'x');
  junk[junk.length - 1] = 0x0a;
  return Buffer.concat([codec.line(4, c, seq, 0, 0), junk]);
}

/**
 * Writes reads of `codec`'s frame from `socket` until `enough()`, each once the hub has refused
 * the line of the one before (so that one write is one read); returns how many.
 */
async function writeReads(
  ctx: AttackContext,
  socket: Socket,
  c: number,
  codec: TokenCodec,
  enough: () => boolean,
): Promise<number> {
  let refused = 0;
  let carry = '';
  let wake: (() => void) | undefined;
  const onData = (text: string) => {
    const lines = (carry + text).split('\n');
    carry = lines.pop()!.slice(-64);
    for (const line of lines) if (line.startsWith('#error ')) refused++;
    wake?.();
  };
  socket.on('data', onData);
  let reads = 0;
  try {
    while (!enough() && !ctx.stopped() && !socket.destroyed) {
      const before = refused;
      socket.write(readOf(codec, c, reads));
      while (refused === before && !ctx.stopped() && !socket.destroyed)
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      reads++;
    }
  } finally {
    socket.off('data', onData);
  }
  return reads;
}

export const historyPinnedReads: HubAttack = {
  name: 'history-pinned-reads',
  seconds: 15,
  settings: { historyFrames: HISTORY_FRAMES },
  async run(ctx) {
    const small = new TokenCodec({ size: MIN_FRAME_BYTES, seed: 14 });
    const large = new TokenCodec({ size: READ_BYTES / VIEW_FACTOR + 16, seed: 15 });
    if (large.lineBytes * VIEW_FACTOR < READ_BYTES) throw new Error('the frame is under a quarter of a read');
    const sockets = Array.from({ length: ATTACKER_ADDRESSES * CONNECTIONS_PER_ADDRESS }, (_, c) => {
      const socket = ctx.sockets.connect(ctx.port, attackerAddress(c));
      socket.setEncoding('latin1');
      socket.resume(); // what the room says is read and dropped
      return socket;
    });
    await Promise.all(sockets.map((socket) => ctx.sockets.connected(socket)));
    let smallReads = 0;
    const counts = await Promise.all(
      sockets.map((socket, c) => writeReads(ctx, socket, c, small, () => smallReads++ >= HISTORY_FRAMES)),
    );
    // The large frames from one connection per address: each is relayed to every connection.
    for (const socket of sockets.slice(ATTACKER_ADDRESSES)) socket.destroy();
    let largeReads = 0;
    const largeNeeded = Math.ceil(HUB_DEFAULTS.historyBytes / large.lineBytes);
    await Promise.all(
      sockets
        .slice(0, ATTACKER_ADDRESSES)
        .map((socket, c) => writeReads(ctx, socket, c, large, () => largeReads++ >= largeNeeded)),
    );
    const smallDone = counts.reduce((sum, n) => sum + n, 0);
    return {
      failures: ctx.stopped() ? ['history was not filled in time'] : [],
      notes: [
        `--history-frames ${HISTORY_FRAMES}; 64 KiB reads with a refused line: ${smallDone} with a ${small.lineBytes}-byte frame, then ${Math.min(largeReads, largeNeeded)} with a ${large.lineBytes}-byte frame`,
      ],
    };
  },
};
