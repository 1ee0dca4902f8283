/**
 * Finding 4, flood-burst: 50 fresh connections each write 648 valid-shape small tokens in one
 * write; the row's "relayed" is how many of them the healthy pair received within 3 s. Flood
 * control is 50 frames/s with bursts of 200 per connection; at the finding all 32,400 got through.
 */
import { TokenCodec } from '../../src/bench/token.ts';
import { floodRelayedBudget } from './budget.ts';
import { ATTACKER_ADDRESSES, attackerAddress, sleep } from './common.ts';
import type { HubAttack } from './harness.ts';

const CONNECTIONS = 50;
const TOKENS_EACH = 648;
const WINDOW_MS = 3_000;

export const floodBurst: HubAttack = {
  name: 'flood-burst',
  seconds: 15,
  async run(ctx) {
    const codec = new TokenCodec({ size: 120, seed: 99 });
    const bursts = Array.from({ length: CONNECTIONS }, (_, c) =>
      Buffer.concat(Array.from({ length: TOKENS_EACH }, (_, seq) => codec.line(1, c, seq, 0, 0))),
    );
    const sockets = bursts.map((_, i) => {
      const socket = ctx.sockets.connect(ctx.port, attackerAddress(i));
      socket.resume();
      return socket;
    });
    await Promise.all(sockets.map((s) => ctx.sockets.connected(s).catch(() => undefined)));
    await sleep(200); // the pair's #joined notices are not frames, but let them pass first
    const before = await ctx.pair.foreign();
    sockets.forEach((socket, i) => socket.write(bursts[i]!));
    await sleep(WINDOW_MS);
    const relayed = (await ctx.pair.foreign()) - before;
    const perAddress = Array.from({ length: ATTACKER_ADDRESSES }, (_, a) =>
      Math.ceil((CONNECTIONS - a) / ATTACKER_ADDRESSES),
    );
    // A little slack for the time between the writes and the window's start.
    const budget = Math.ceil(floodRelayedBudget(perAddress, WINDOW_MS / 1000 + 0.2));
    await ctx.pause(ctx.seconds * 1000); // they stay connected for the rest of the time
    return {
      relayed,
      failures: relayed > budget ? [`relayed ${relayed} > ${budget} in 3 s`] : [],
      notes: [
        `${CONNECTIONS} x ${TOKENS_EACH} tokens in one write each from ${ATTACKER_ADDRESSES} addresses; flood control allows ${budget} in 3 s`,
      ],
    };
  },
};
