/**
 * tls-stalled-handshakes: TCP connections to a TLS hub that never finish their handshake: half
 * send nothing, half send the first half of a real ClientHello, and all sit. Each must be dropped
 * at the handshake timeout (10 s), and they are bounded by the raw connection limits from accept:
 * one address opens 100 more than --max-connections-per-address (1,000), which must be dropped at
 * once. What the hub holds per such connection is measured (RSS above its start, all of them in).
 * (At the finding the hub logged the timeout and kept every one of them open for good.)
 */
import type { Socket } from 'node:net';
import { clientHello } from '../../src/bench/testCerts.ts';
import { HUB_DEFAULTS } from '../../src/config/hubConfig.ts';
import { attackerAddress, ATTACKER_ADDRESSES } from './common.ts';
import type { HubAttack } from './harness.ts';

/** Node's handshake timeout as the hub sets it (TLS_HANDSHAKE_TIMEOUT_MS in src/hub/startHub.ts). */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** A connection dropped this soon after it opened was refused by the raw limits. */
const AT_ONCE_MS = 2_000;
/** Past the timeout: the hub's event loop, on a loaded machine, may take a moment more. */
const LATE_MS = 3_000;
/** Connections from 127.0.0.2, over its limit by OVER; from each other attacker address, OTHERS. */
const OVER = 100;
const OTHERS = 250;

export const tlsStalledHandshakes: HubAttack = {
  name: 'tls-stalled-handshakes',
  // The timeout is the hub's, not scaled: the attack needs it and a margin whatever --seconds.
  seconds: 15,
  secure: true,
  async run(ctx) {
    const hello = await clientHello();
    const half = hello.subarray(0, hello.length >> 1);
    const perAddress = HUB_DEFAULTS.maxConnectionsPerAddress;
    const counts = Array.from({ length: ATTACKER_ADDRESSES }, (_, a) =>
      a === 0 ? perAddress + OVER : OTHERS,
    );
    const lifetimes: number[] = [];
    const sockets: Socket[] = [];
    const started = performance.now();
    for (const [a, count] of counts.entries())
      for (let i = 0; i < count; i++) {
        const socket = ctx.sockets.connect(ctx.port, attackerAddress(a));
        const opened = performance.now();
        if (i % 2 === 1) socket.write(half);
        socket.on('close', () => lifetimes.push(performance.now() - opened));
        sockets.push(socket);
      }
    const opened = sockets.length;
    // Everything in, before the first timeout: what they hold.
    while (performance.now() - started < HANDSHAKE_TIMEOUT_MS * 0.8)
      await new Promise((r) => setTimeout(r, 100));
    const held = opened - lifetimes.length;
    const perConnectionKiB = ((ctx.sampler.nowMiB() - ctx.startMiB) * 1024) / held;
    // Then until all are gone, or the timeout and its margin have passed (not cut by --seconds).
    const until = started + HANDSHAKE_TIMEOUT_MS + LATE_MS + 2_000;
    while (lifetimes.length < opened && performance.now() < until)
      await new Promise((r) => setTimeout(r, 100));

    const refused = lifetimes.filter((ms) => ms < AT_ONCE_MS).length;
    const timedOut = lifetimes.filter(
      (ms) => ms >= HANDSHAKE_TIMEOUT_MS * 0.95 && ms < HANDSHAKE_TIMEOUT_MS + LATE_MS,
    );
    const early = lifetimes.length - refused - timedOut.length;
    const stillOpen = opened - lifetimes.length;
    const failures: string[] = [];
    if (refused !== OVER)
      failures.push(`${refused} dropped at once, not the ${OVER} over the per-address limit`);
    if (early > 0) failures.push(`${early} dropped neither at once nor at the handshake timeout`);
    if (stillOpen > 0)
      failures.push(`${stillOpen} still open ${((until - started) / 1000).toFixed(0)} s after they opened`);
    const sorted = timedOut.sort((x, y) => x - y);
    return {
      failures,
      notes: [
        `${opened} connections (half silent, half with ${half.length} of a ${hello.length}-byte ClientHello): ${held} held at once, ${perConnectionKiB.toFixed(1)} KiB each above the hub's start; ${refused} dropped at once (limit ${perAddress} per address)`,
        `${timedOut.length} dropped at the handshake timeout, after ${((sorted[0] ?? NaN) / 1000).toFixed(1)}–${((sorted.at(-1) ?? NaN) / 1000).toFixed(1)} s`,
      ],
    };
  },
};
