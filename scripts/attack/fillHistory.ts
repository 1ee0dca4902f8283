/**
 * Fills the hub's history before a history attack: `frames` tokens of about `size` bytes, each
 * connection within its flood burst and each address within its own, so that they are relayed
 * (and kept) at once. Resolves once the healthy pair has had them all. (The pair's own frames,
 * 40 a second, are kept too: an attack that wants these kept for its whole time gives its hub
 * room for both, HISTORY_ROOM.)
 */
import { HUB_DEFAULTS } from '../../src/config/hubConfig.ts';
import { TokenCodec } from '../../src/bench/token.ts';
import { ATTACKER_ADDRESSES, attackerAddress, sleep } from './common.ts';
import type { AttackContext } from './harness.ts';

/** History's frames limit for an attack that fills it: the fill and every frame of the pair. */
export const HISTORY_ROOM = { historyFrames: 5_000 } as const;

export async function fillHistory(ctx: AttackContext, frames: number, size: number): Promise<void> {
  const codec = new TokenCodec({ size, seed: 12 });
  const perConnection = Math.min(HUB_DEFAULTS.floodBurst, Math.ceil(frames / ATTACKER_ADDRESSES));
  const connections = Math.ceil(frames / perConnection);
  if (connections > ATTACKER_ADDRESSES * (HUB_DEFAULTS.floodBurstPerAddress / perConnection))
    throw new Error(`${frames} frames are more than the attacker addresses' bursts`);
  const before = await ctx.pair.foreign();
  const sockets = Array.from({ length: connections }, (_, c) => {
    const socket = ctx.sockets.connect(ctx.port, attackerAddress(c));
    socket.resume(); // what the room says is read and dropped
    return socket;
  });
  await Promise.all(sockets.map((socket) => ctx.sockets.connected(socket)));
  for (const [c, socket] of sockets.entries()) {
    const count = Math.min(perConnection, frames - c * perConnection);
    socket.write(Buffer.concat(Array.from({ length: count }, (_, seq) => codec.line(2, c, seq, 0, 0))));
  }
  while ((await ctx.pair.foreign()) - before < frames) {
    if (ctx.stopped()) throw new Error('history was not filled in time');
    await sleep(100);
  }
  for (const socket of sockets) socket.destroy();
}
