import { HUB_DEFAULTS, type HubConfig, hubConfigSchema } from '../../src/config/hubConfig.ts';
import { memoryBudget } from '../../src/config/memoryBudget.ts';
import { SILENT_EVERY_MS, SILENT_WAVE } from './admissionSilent.ts';
import { WRONG_LANES } from './admissionWrong.ts';
import { TLS_NON_READER_WAVE, TLS_NON_READER_WAVES, TLS_TALKERS } from './tlsNonReaders.ts';

/**
 * The adversary suite's budgets, in one place. A hub attack's memory budget is the README's:
 * the hub's RSS when it started plus `memoryBudget` (src/config/memoryBudget.ts) for the most
 * connections the attack holds at once (its own, the healthy pair and any talkers), with the
 * hub's default settings (the attacks' flags change no memory limit).
 */

/** The most connections each hub attack holds at once, the pair's included. */
export const ATTACK_CONNECTIONS: Readonly<Record<string, number>> = {
  'close-with-errors': 16 + 2,
  'log-flood-fast': 2_000 + 2,
  'log-flood-slow': 2_000 + 2,
  'slow-partial': 48 + 2,
  'flood-burst': 50 + 2,
  // Waves of 300 every 6 s, each dropped after 5 s without draining: two waves at once at most.
  'non-reader-waves': 2 * 300 + 2 + 2,
  'many-partials-then-leave': 8_000 + 2,
  'ipv6-churn': 1_700 + 2,
  'tiny-frames-to-non-readers': 2_000 + 8 + 2,
  // 40 a second for 15 s, all of them there at the end: each answer fits in its kernel buffers.
  'history-non-readers': 15 * 40 + 2,
  'history-resume-unknown': 32 + 2,
  'history-tiny-runs': 16 + 1 + 2,
  'history-pinned-reads': 8 + 2,
  // A wave every 2 s, each connection there for its handshake, the 5 s timeout and a tick (1.25 s):
  // four waves at once.
  'admission-silent': Math.ceil(7_500 / SILENT_EVERY_MS) * SILENT_WAVE + 2,
  'admission-wrong': WRONG_LANES + 2,
  // A wave every 6 s, each non-reader there until its kernel buffers (about 3.7 MB on loopback)
  // are full and 5 s more: every wave may still be there at the end (the attack fails if the
  // hub's roster was larger), and the talkers.
  'tls-non-readers': TLS_NON_READER_WAVES * TLS_NON_READER_WAVE + TLS_TALKERS + 2,
  // 1,000 from one address (100 more are dropped at once) and 250 from each of the seven others.
  'tls-stalled-handshakes': 1_000 + 7 * 250 + 2,
};

/**
 * Settings an attack gives its hub that change a memory limit (the history attacks raise
 * --history-frames): the hub runs with them as flags, and its budget is computed with them.
 */
export type HubSettings = Partial<Record<keyof HubConfig, number>>;

/**
 * Peak hub RSS (MiB) an attack may reach: its start plus the budget for its connections, each
 * with its TLS state when the hub runs with TLS (the files' names do not matter to the budget).
 */
export function hubRssBudgetMiB(
  attack: string,
  startMiB: number,
  settings: HubSettings = {},
  tls = false,
): number {
  const connections = ATTACK_CONNECTIONS[attack] ?? 10_000;
  const config = hubConfigSchema.parse({
    ...settings,
    ...(tls ? { tlsCert: 'hub.pem', tlsKey: 'hub.key' } : {}),
  });
  return startMiB + memoryBudget(config, connections).total / (1024 * 1024);
}

/** The flags that give a hub these settings: `{ historyFrames: 5 }` → `--history-frames 5`. */
export function flagsOf(settings: HubSettings): string[] {
  return Object.entries(settings).flatMap(([key, value]) => [
    `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    String(value),
  ]);
}

/** The healthy pair's latency: every attack must keep its p99 under this (ms). */
export const PAIR_P99_MS = 250;

/**
 * flood-burst: the most frames flood control lets through in `seconds` from connections spread
 * over addresses (`perAddress[a]` connections on address a), with the default settings: on each
 * address, the smaller of its connections' bursts and its address's burst, then the smaller of
 * their rates and its address's rate. (At the finding all 50 x 648 = 32,400 got through at once.)
 */
export function floodRelayedBudget(perAddress: readonly number[], seconds: number): number {
  const d = HUB_DEFAULTS;
  return perAddress.reduce(
    (sum, connections) =>
      sum +
      Math.min(connections * d.floodBurst, d.floodBurstPerAddress) +
      Math.min(connections * d.floodRate, d.floodRatePerAddress) * seconds,
    0,
  );
}

/**
 * ipv6-churn: connections one /64 may hold at once. Addresses of one /64 are one attacker, so the
 * per-address limit (1,000 by default) should apply to the /64.
 */
export const IPV6_PER_64_CONNECTIONS = 1_000;

/** replay of a recording of 5,000 joins: wall time (s) and peak RSS (MiB) of the replay process. */
export const REPLAY_SECONDS = 30;
export const REPLAY_RSS_MIB = 256;

/** The client given a FIFO as its key file must exit non-zero within this many seconds. */
export const FIFO_KEY_EXIT_SECONDS = 5;

/** A hostile hub sends 20,000 bad lines: the client may print at most this many (stdout + stderr). */
export const HOSTILE_HUB_CLIENT_LINES = 50;

/**
 * A safety cap, not a budget: an attack stops early when the hub's RSS passes this (MiB), so a
 * leaking hub cannot take the machine down with it. The row then fails on its budget.
 */
export const HUB_RSS_ABORT_MIB = 2_048;
