/**
 * The adversary suite's budgets, in one place so that whoever fixes a finding tunes the number
 * here and nowhere else. The memory figures come from the README's memory budget for the hub (its
 * limits table and the benchmarks' "peak RSS < 256 MiB" target): for now every hub attack gets
 * that same 256 MiB; tune each one once the fixes land.
 */

/** Peak hub RSS (MiB) each hub attack may reach. */
export const HUB_RSS_MIB: Readonly<Record<string, number>> = {
  'close-with-errors': 256,
  'log-flood-fast': 256,
  'log-flood-slow': 256,
  'slow-partial': 256,
  'flood-burst': 256,
  'non-reader-waves': 256,
  'many-partials-then-leave': 256,
  'ipv6-churn': 256,
};

/** The healthy pair's latency: every attack must keep its p99 under this (ms). */
export const PAIR_P99_MS = 250;

/** flood-burst: frames from the 50 bursting connections the pair may receive within 3 s. */
export const FLOOD_BURST_RELAYED = 5_000;

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
