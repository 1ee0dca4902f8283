/**
 * Runs one hub attack: a fresh hub (so its RSS is the attack's), the RSS/CPU sampler, the healthy
 * pair, the attack for its time under a watchdog, then a few quiet seconds for the "after" RSS, and
 * the verdict. Whatever happens, every socket, the pair and the hub are gone when it returns.
 */
import { flagsOf, HUB_RSS_ABORT_MIB, type HubSettings, hubRssBudgetMiB, PAIR_P99_MS } from './budget.ts';
import { MIB, type Row, sleep, Sockets } from './common.ts';
import { Hub, type HubOptions } from './hubProcess.ts';
import { Pair, type PairOptions } from './pair.ts';
import type { PairResult } from './pairProcess.ts';
import { Sampler } from './sampler.ts';
import { makeSecureRoom, type SecureRoom } from './secure.ts';

/** Quiet time after the attack stops before "RSS after" is read. */
const AFTER_MS = 3_000;
/** The watchdog's slack beyond an attack's own time. */
const WATCHDOG_SLACK_MS = 30_000;

export interface AttackContext {
  readonly hub: Hub;
  readonly port: number;
  readonly pair: Pair;
  readonly sockets: Sockets;
  /** The hub's RSS (VmRSS, sampled every 100 ms): its start is the budget's base. */
  readonly sampler: Sampler;
  readonly startMiB: number;
  /** With `secure`: the CA to trust and the members' chat key. */
  readonly secure?: SecureRoom;
  /** The attack's time, already scaled by --seconds. */
  readonly seconds: number;
  readonly scale: number;
  /** True once the attack's time is up, the watchdog fired, or the hub passed the RSS safety cap. */
  stopped(): boolean;
  /** Sleeps, but wakes early once stopped(). */
  pause(ms: number): Promise<void>;
}

export interface AttackOutcome {
  relayed?: number;
  failures?: string[];
  notes?: string[];
}

export interface HubAttack {
  readonly name: string;
  /** Its time at --seconds 15 (the default); scaled with the rest. */
  readonly seconds: number;
  readonly hub?: HubOptions;
  /** Settings that change a memory limit: given to the hub as flags, and counted in its budget. */
  readonly settings?: HubSettings;
  readonly pair?: PairOptions;
  /**
   * Run the hub with TLS and --admit (secure.ts): the healthy pair connects with the CA and
   * answers the challenge as members, and the budget counts each connection's TLS state.
   */
  readonly secure?: boolean;
  /** Set up what the attack needs outside the hub (a network namespace): a reason to skip, or a cleanup. */
  prepare?(): Promise<{ skip: string } | { cleanup: () => Promise<void> }>;
  run(ctx: AttackContext): Promise<AttackOutcome | void>;
}

export async function runHubAttack(attack: HubAttack, scale: number): Promise<Row> {
  const seconds = attack.seconds * scale;
  const failures: string[] = [];
  const notes: string[] = [];
  let cleanup: (() => Promise<void>) | undefined;
  let hub: Hub | undefined;
  let sampler: Sampler | undefined;
  let pair: Pair | undefined;
  let secure: SecureRoom | undefined;
  const sockets = new Sockets();
  try {
    if (attack.prepare) {
      const prepared = await attack.prepare();
      if ('skip' in prepared) return { name: attack.name, result: 'SKIP', note: prepared.skip };
      cleanup = prepared.cleanup;
    }
    if (attack.secure) {
      const room = makeSecureRoom();
      if ('skip' in room) return { name: attack.name, result: 'SKIP', note: room.skip };
      secure = room;
    }
    const settings = attack.settings ?? {};
    hub = await Hub.start({
      ...attack.hub,
      args: [...(attack.hub?.args ?? []), ...flagsOf(settings), ...(secure?.hubArgs ?? [])],
    });
    sampler = new Sampler(hub.pid);
    const startMiB = sampler.nowMiB();
    const budget = hubRssBudgetMiB(attack.name, startMiB, settings, secure !== undefined);
    let capped = false;
    sampler.onSample((bytes) => {
      if (bytes > HUB_RSS_ABORT_MIB * MIB) capped = true;
    });
    pair = await Pair.start(hub.port, {
      ...attack.pair,
      ...(secure === undefined ? {} : { secure: { ca: secure.ca, chatKey: secure.chatKey } }),
    });

    const cpuStart = sampler.cpuSeconds();
    const started = performance.now();
    const deadline = started + seconds * 1000;
    let watchdog = false;
    const stopped = () => capped || watchdog || performance.now() >= deadline;
    const ctx: AttackContext = {
      hub,
      port: hub.port,
      pair,
      sockets,
      sampler,
      startMiB,
      ...(secure === undefined ? {} : { secure }),
      seconds,
      scale,
      stopped,
      async pause(ms) {
        const until = performance.now() + ms;
        while (!stopped() && performance.now() < until) await sleep(Math.min(100, until - performance.now()));
      },
    };
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      attack.run(ctx),
      new Promise<'watchdog'>((resolve) => {
        timer = setTimeout(() => resolve('watchdog'), seconds * 1000 + WATCHDOG_SLACK_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    if (outcome === 'watchdog') {
      watchdog = true;
      failures.push('watchdog: the attack did not end in time');
    }
    sockets.destroyAll();
    const cpuEnd = sampler.cpuSeconds();
    const attackSeconds = (performance.now() - started) / 1000;
    if (capped) failures.push(`stopped early: hub RSS passed the ${HUB_RSS_ABORT_MIB} MiB safety cap`);
    if (outcome && outcome !== 'watchdog') {
      failures.push(...(outcome.failures ?? []));
      notes.push(...(outcome.notes ?? []));
    }

    await sleep(AFTER_MS);
    const rssAfter = hub.alive ? sampler.nowMiB() : Number.NaN;
    const result: PairResult = await pair.stop();
    const alive = hub.alive;
    const relayed = outcome && outcome !== 'watchdog' ? outcome.relayed : undefined;

    notes.push(`RSS budget ${budget.toFixed(0)} MiB`);
    if (sampler.peakMiB > budget) failures.push(`RSS peak over its budget, ${budget.toFixed(0)} MiB`);
    if (!(result.p99 < PAIR_P99_MS)) failures.push(`pair p99 not under ${PAIR_P99_MS} ms`);
    if (result.lost > 0) failures.push(`pair lost ${result.lost} of ${result.sent}`);
    if (result.duplicates > 0) failures.push(`pair got ${result.duplicates} duplicates`);
    failures.push(...result.closed);
    if (!alive) failures.push(`hub died (${hub.exitSignal ?? `exit ${hub.exitCode}`})`);

    return {
      name: attack.name,
      rssPeakMiB: sampler.peakMiB,
      rssAfterMiB: rssAfter,
      cpuPercent: ((cpuEnd - cpuStart) / attackSeconds) * 100,
      p50: result.p50,
      p99: result.p99,
      max: result.max,
      lost: result.lost,
      relayed,
      result: failures.length === 0 ? 'PASS' : 'FAIL',
      note: [...failures, ...notes].join('; '),
    };
  } catch (error) {
    return {
      name: attack.name,
      rssPeakMiB: sampler?.peakMiB,
      result: 'FAIL',
      note: [`error: ${error instanceof Error ? error.message : String(error)}`, ...failures].join('; '),
    };
  } finally {
    sockets.destroyAll();
    pair?.kill();
    sampler?.stop();
    await hub?.stop();
    secure?.remove();
    await cleanup?.();
  }
}
