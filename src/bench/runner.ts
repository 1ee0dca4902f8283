/**
 * Runs presets against relays: starts each relay in a child process (pinned to its CPU), drives it
 * with the load generator, stops it, and collects the figures. Every relay of a preset runs in the
 * same invocation, so the ratios between them hold on a noisy machine.
 */
import type { ConnectStats } from './connectClients.ts';
import { type BarrierStats, LoadSession } from './generator.ts';
import type { Progress, RunResult } from './runTypes.ts';
import { type LoadParams, PRESETS, type PresetName, type SearchOptions } from './presets.ts';
import { type FdLimit, readCpuTimes, readFdLimit, readProc } from './procstat.ts';
import { startCluster } from './clusterRelay.ts';
import {
  presetRelays,
  RELAY_LABELS,
  type RelayHandle,
  type RelayName,
  startRelay,
  relayTransport,
  targetRelay,
  unavailable,
} from './relayProcess.ts';

export interface BenchConfig {
  presets: PresetName[];
  /** null: each preset's own (presetRelays) */
  relays: RelayName[] | null;
  target: { host: string; port: number; pid: number | undefined } | null;
  /** overrides of the presets' load parameters */
  overrides: Partial<LoadParams>;
  search: SearchOptions;
  /** `overload`: use this as every relay's max rate instead of searching */
  maxRate: number | null;
  hubCpu: number | null;
  hubArgs: string[];
  /** write a CPU profile of our hub per run into this directory */
  cpuProfDir: string | null;
  /** our hub's entry point */
  hubEntry: string;
  /** a relay above this RSS is stopped and the run marked as collapsed */
  rssLimitBytes: number;
  connectConcurrency: number;
  connectRate: number;
  /** fixed presets: run each relay this many times (interleaved) and keep its typical quiet run */
  repeat: number;
  /** before starting a relay, wait up to this long for other processes to leave the CPUs alone */
  quietWaitS: number;
}

export interface Reporter {
  /** a phase message (always shown) */
  note(msg: string): void;
  /** live progress of a run */
  progress(label: string, p: Progress): void;
}

export interface SearchStep {
  rate: number;
  pass: boolean;
  why: string;
  deliveriesPerS: number;
  p99Ms: number;
  lost: number;
  generatorBound: string | null;
}

export interface IdleResult {
  requested: number;
  connected: number;
  ready: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesPerConnection: number;
  hubFdLimit: FdLimit | null;
  genFdLimit: FdLimit | null;
  firstError: string;
  /** CPU seconds while connecting and settling */
  hubCpuS: number | null;
  genCpuS: number;
  /** notice lines the clients received (a hub that announces every join sends ~N²/2) */
  notices: number;
}

export interface RelayOutcome {
  relay: RelayName | 'target';
  label: string;
  status: 'ok' | 'skipped' | 'error';
  note: string | null;
  pinnedCpu: number | null;
  connect: ConnectStats | null;
  barrier: BarrierStats | null;
  run: RunResult | null;
  /** max / overload: the search */
  search: SearchStep[] | null;
  maxRate: number | null;
  maxDeliveriesPerS: number | null;
  maxBound: string | null;
  /** overload: delivered deliveries/s ÷ the relay's own max deliveries/s */
  deliveredVsMax: number | null;
  idle: IdleResult | null;
  /** how many runs this outcome was chosen from (--repeat) */
  runs?: number;
  /** how many of them were the quietest, among which it is the median by p99 */
  quietRuns?: number;
}

export interface PresetResult {
  preset: PresetName;
  kind: string;
  description: string;
  params: LoadParams;
  relays: RelayOutcome[];
}

/** A relay's outcome with nothing measured: skipped, failed, or not run yet. */
export function emptyOutcome(
  relay: RelayName | 'target',
  status: RelayOutcome['status'],
  note: string | null,
): RelayOutcome {
  return {
    relay,
    label: relay === 'target' ? 'target hub' : RELAY_LABELS[relay],
    status,
    note,
    pinnedCpu: null,
    connect: null,
    barrier: null,
    run: null,
    search: null,
    maxRate: null,
    maxDeliveriesPerS: null,
    maxBound: null,
    deliveredVsMax: null,
    idle: null,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

export class BenchRunner {
  /** max rates found in this invocation, reused by `overload` */
  private readonly maxFound = new Map<string, { rate: number; deliveriesPerS: number }>();

  constructor(
    private readonly cfg: BenchConfig,
    private readonly out: Reporter,
  ) {}

  async runAll(): Promise<PresetResult[]> {
    const results: PresetResult[] = [];
    for (const name of this.cfg.presets) results.push(await this.runPreset(name));
    return results;
  }

  params(name: PresetName): LoadParams {
    const p = { ...PRESETS[name].params };
    for (const [k, v] of Object.entries(this.cfg.overrides))
      if (v !== undefined) (p as Record<string, number>)[k] = v;
    return p;
  }

  async runPreset(name: PresetName): Promise<PresetResult> {
    const preset = PRESETS[name];
    const params = this.params(name);
    const relays: readonly (RelayName | 'target')[] = this.cfg.target
      ? ['target']
      : (this.cfg.relays ?? presetRelays(name));
    const outcomes = new Map<string, RelayOutcome>();
    this.out.note(`preset ${name}: ${preset.description}`);
    // Fixed presets can be repeated in rounds that interleave the relays, each round starting one
    // relay further on, so that no relay always runs first (right after start-up or after another
    // relay's teardown): a relay always in one place of the round measured that place too.
    const rounds = preset.kind === 'fixed' ? Math.max(1, this.cfg.repeat) : 1;
    const runsOf = new Map<string, RelayOutcome[]>();
    for (let round = 1; round <= rounds; round++) {
      if (rounds > 1) this.out.note(` round ${round} of ${rounds}`);
      for (const relay of rotated(relays, round - 1)) {
        const prev = outcomes.get(relay);
        if (prev && prev.status !== 'ok') continue;
        const why = relay === 'target' ? null : unavailable(relay, this.cfg.hubEntry);
        if (why) {
          this.out.note(`  ${relay}: ${why}`);
          outcomes.set(relay, emptyOutcome(relay, 'skipped', why));
          continue;
        }
        try {
          let o: RelayOutcome;
          switch (preset.kind) {
            case 'fixed':
              o = await this.fixed(relay, params);
              break;
            case 'max':
              o = await this.max(relay, params);
              break;
            case 'overload':
              o = await this.overload(relay, params);
              break;
            case 'idle':
              o = await this.idle(relay, params);
              break;
          }
          const runs = [...(runsOf.get(relay) ?? []), o];
          runsOf.set(relay, runs);
          outcomes.set(relay, runs.length === 1 ? o : typicalQuietRun(runs));
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          this.out.note(`  ${relay}: error: ${msg}`);
          outcomes.set(relay, emptyOutcome(relay, 'error', msg));
        }
      }
    }
    // The table keeps the relays in the order asked for, whatever order the last round ran them in.
    const ordered = relays.flatMap((relay) => {
      const outcome = outcomes.get(relay);
      return outcome === undefined ? [] : [outcome];
    });
    return {
      preset: name,
      kind: preset.kind,
      description: preset.description,
      params,
      relays: ordered,
    };
  }

  /** Waits (bounded) until other processes use less than 0.1 CPU, so they do not skew a run. */
  private async waitQuiet(): Promise<void> {
    const maxMs = this.cfg.quietWaitS * 1000;
    if (maxMs <= 0) return;
    const t0 = Date.now();
    let told = false;
    for (;;) {
      const a = readCpuTimes();
      const c0 = process.cpuUsage();
      await sleep(500);
      const b = readCpuTimes();
      const own = process.cpuUsage(c0);
      if (!a || !b) return;
      const other = (b.busy - a.busy - (own.user + own.system) / 1e6) / 0.5;
      if (other < 0.1) {
        if (told) this.out.note(`  the machine is quiet after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
        return;
      }
      if (Date.now() - t0 > maxMs) {
        this.out.note(
          `  the machine is still busy (${other.toFixed(2)} CPU used by other processes): going on`,
        );
        return;
      }
      if (!told) {
        this.out.note(
          `  waiting up to ${this.cfg.quietWaitS} s for other processes to quieten (${other.toFixed(2)} CPU now)`,
        );
        told = true;
      }
    }
  }

  private async start(relay: RelayName | 'target'): Promise<RelayHandle> {
    await this.waitQuiet();
    if (relay === 'target') {
      const t = this.cfg.target!;
      return targetRelay(t.host, t.port, t.pid);
    }
    const options = {
      cpu: this.cfg.hubCpu,
      hubArgs: this.cfg.hubArgs,
      cpuProfDir: this.cfg.cpuProfDir,
      hubEntry: this.cfg.hubEntry,
    };
    const h = relay === 'cluster' ? await startCluster(options) : await startRelay(relay, options);
    if (h.pid !== undefined) {
      // let it finish starting (JIT, module loading) before it is measured
      await sleep(200);
    }
    return h;
  }

  private abortCheck(h: RelayHandle): (p: Progress) => string | null {
    return (p) => {
      if (h.exited()) return 'the relay exited';
      if (p.hubRssBytes !== null && p.hubRssBytes > this.cfg.rssLimitBytes)
        return `collapsed: RSS ${(p.hubRssBytes / MiB).toFixed(0)} MiB > ${(this.cfg.rssLimitBytes / MiB).toFixed(0)} MiB limit, stopped`;
      return null;
    };
  }

  private async openSession(h: RelayHandle, p: LoadParams, label: string) {
    const session = new LoadSession({
      host: h.host,
      port: h.port,
      ports: h.ports,
      transport: relayTransport(h.name),
      clients: p.clients,
      size: p.size,
      connectConcurrency: this.cfg.connectConcurrency,
      connectRate: this.cfg.connectRate,
    });
    const ports = h.ports.length > 1 ? `ports ${h.ports.join(', ')} in turn` : `port ${h.port}`;
    this.out.note(`  ${label}: connecting ${p.clients} clients to ${ports}`);
    const connect = await session.connect();
    const barrier = await session.barrier(p.clients > 2000 ? 20 : 10);
    this.out.note(
      `  ${label}: ${connect.connected}/${p.clients} connected in ${connect.seconds.toFixed(2)} s ` +
        `(${connect.perSecond.toFixed(0)}/s), ${barrier.ready} ready after ${barrier.seconds.toFixed(2)} s` +
        (connect.firstError ? `; first error: ${connect.firstError}` : ''),
    );
    return { session, connect, barrier };
  }

  private async load(session: LoadSession, h: RelayHandle, p: LoadParams, label: string, rate: number) {
    return session.run({
      senders: p.senders,
      rate,
      window: p.window,
      warmupS: p.warmupS,
      durationS: p.durationS,
      hubPid: h.pid,
      relayParts: h.parts.flatMap((part) =>
        part.pid === undefined ? [] : [{ label: part.label, pid: part.pid }],
      ),
      onProgress: (pr) => this.out.progress(label, pr),
      abortCheck: this.abortCheck(h),
    });
  }

  async fixed(relay: RelayName | 'target', p: LoadParams): Promise<RelayOutcome> {
    const h = await this.start(relay);
    const o = emptyOutcome(relay, 'ok', null);
    o.pinnedCpu = h.pinnedCpu;
    try {
      const { session, connect, barrier } = await this.openSession(h, p, relay);
      o.connect = connect;
      o.barrier = barrier;
      try {
        o.run = await this.load(session, h, p, relay, p.rate);
        this.out.note(`  ${relay}: ${oneLine(o.run)}`);
        for (const line of h.takeNotable()) this.out.note(`  ${relay} said: ${line}`);
      } finally {
        await session.close();
      }
    } finally {
      await h.stop();
    }
    return o;
  }

  private judge(r: RunResult): { pass: boolean; why: string } {
    const limit = this.cfg.search.p99LimitMs;
    const why: string[] = [];
    if (r.aborted) why.push(r.aborted);
    if (r.lost > 0) why.push(`lost ${r.lost}`);
    if (r.duplicated > 0) why.push(`duplicated ${r.duplicated}`);
    if (r.malformed > 0) why.push(`malformed ${r.malformed}`);
    if (r.disconnects > 0) why.push(`disconnects ${r.disconnects}`);
    if (!(r.latencyMs.p99 < limit)) why.push(`p99 ${r.latencyMs.p99.toFixed(1)} ms`);
    if (r.unsent > 0.01 * (r.sent + r.unsent)) why.push(`unsent ${r.unsent} (the relay pushed back)`);
    if (r.sent === 0) why.push('nothing sent');
    return { pass: why.length === 0, why: why.join(', ') };
  }

  /** Searches the highest paced rate with p99 under the limit and no loss (bounded steps). */
  private async search(
    relay: RelayName | 'target',
    p: LoadParams,
    o: RelayOutcome,
  ): Promise<{ rate: number; deliveriesPerS: number } | null> {
    const steps: SearchStep[] = [];
    o.search = steps;
    let lo = 0;
    let loDeliveries = 0;
    let hi = Number.POSITIVE_INFINITY;
    let genLimited = 0;
    let rate = Math.max(100, this.cfg.search.startRate);
    let h: RelayHandle | null = null;
    let s: Awaited<ReturnType<BenchRunner['openSession']>> | null = null;
    const drop = async () => {
      if (s) await s.session.close();
      s = null;
      if (h) await h.stop();
      h = null;
    };
    try {
      for (let step = 0; step < this.cfg.search.maxSteps; step++) {
        if (!h) h = await this.start(relay);
        if (!s) {
          s = await this.openSession(h, p, relay);
          o.connect ??= s.connect;
          o.barrier ??= s.barrier;
          o.pinnedCpu = h.pinnedCpu;
        }
        const label = `${relay} @ ${rate} msg/s`;
        let r = await this.load(s.session, h, p, label, rate);
        let { pass, why } = this.judge(r);
        if (!pass && (r.gen.bottleneck || r.machine?.noisy) && !r.aborted) {
          // perhaps a hiccup of the generator or of the machine: try the step once more, afresh
          this.out.note(`  ${label}: fail (${why}); ${oneLine(r)}; retrying once`);
          await drop();
          await sleep(500);
          h = await this.start(relay);
          s = await this.openSession(h, p, relay);
          r = await this.load(s.session, h, p, label, rate);
          ({ pass, why } = this.judge(r));
        }
        steps.push({
          rate,
          pass,
          why,
          deliveriesPerS: r.deliveriesPerS,
          p99Ms: r.latencyMs.p99,
          lost: r.lost,
          generatorBound: r.gen.bottleneck,
        });
        this.out.note(`  ${label}: ${pass ? 'pass' : `fail (${why})`}; ${oneLine(r)}`);
        if (pass) {
          lo = rate;
          loDeliveries = r.deliveriesPerS;
          o.run = r;
        } else {
          hi = rate;
          // the generator at its limit and the relay not: this step says nothing about the relay.
          // Keep bisecting below it; the answer is then "at least lo".
          if (r.gen.bottleneck && !(r.hub && r.hub.cpuUtil >= 0.9)) {
            genLimited = rate;
            o.maxBound = `the generator could not offer ${rate} msg/s (${r.gen.bottleneck}): the relay's max is at least ${lo}`;
          }
          // a failed step can leave a backlog (or a bloated heap) behind: start afresh
          await drop();
          o.run ??= r;
        }
        if (hi === Number.POSITIVE_INFINITY) rate *= 2;
        else {
          if (hi - lo <= Math.max(100, 0.08 * hi)) break;
          rate = Math.round((lo + hi) / 2 / 50) * 50;
        }
        await sleep(300);
      }
    } finally {
      await drop();
    }
    if (!o.maxBound && hi === Number.POSITIVE_INFINITY)
      o.maxBound = `step limit reached while still passing: the max is at least ${lo}`;
    else if (genLimited > 0)
      o.maxBound = `the generator could not offer ${genLimited} msg/s: the relay's max is at least ${lo}`;
    o.maxRate = lo > 0 ? lo : null;
    o.maxDeliveriesPerS = lo > 0 ? loDeliveries : null;
    return lo > 0 ? { rate: lo, deliveriesPerS: loDeliveries } : null;
  }

  async max(relay: RelayName | 'target', p: LoadParams): Promise<RelayOutcome> {
    const o = emptyOutcome(relay, 'ok', null);
    const found = await this.search(relay, p, o);
    if (found) this.maxFound.set(relay, found);
    this.out.note(`  ${relay}: max ${o.maxRate ?? 'none'} msg/s${o.maxBound ? ` (${o.maxBound})` : ''}`);
    return o;
  }

  async overload(relay: RelayName | 'target', p: LoadParams): Promise<RelayOutcome> {
    const o = emptyOutcome(relay, 'ok', null);
    let max: { rate: number; deliveriesPerS: number } | null =
      this.cfg.maxRate !== null
        ? { rate: this.cfg.maxRate, deliveriesPerS: Number.NaN }
        : (this.maxFound.get(relay) ?? null);
    if (!max) {
      this.out.note(`  ${relay}: searching its max rate first (give --max-rate to skip)`);
      const maxParams = this.params('max');
      max = await this.search(
        relay,
        { ...maxParams, clients: p.clients, senders: p.senders, size: p.size },
        o,
      );
      o.run = null;
      o.connect = null;
      o.barrier = null;
      if (max) this.maxFound.set(relay, max);
    }
    if (!max) {
      o.status = 'error';
      o.note = 'no passing rate found, so no overload rate';
      return o;
    }
    o.maxRate = max.rate;
    o.maxDeliveriesPerS = Number.isNaN(max.deliveriesPerS) ? null : max.deliveriesPerS;
    const rate = p.rate > 0 ? p.rate : 2 * max.rate;
    const h = await this.start(relay);
    o.pinnedCpu = h.pinnedCpu;
    try {
      const s = await this.openSession(h, p, relay);
      o.connect = s.connect;
      o.barrier = s.barrier;
      try {
        o.run = await this.load(s.session, h, p, `${relay} @ ${rate} msg/s`, rate);
        this.out.note(`  ${relay}: ${oneLine(o.run)}`);
      } finally {
        await s.session.close();
      }
    } finally {
      await h.stop();
    }
    if (o.maxDeliveriesPerS) o.deliveredVsMax = o.run.deliveriesPerS / o.maxDeliveriesPerS;
    return o;
  }

  async idle(relay: RelayName | 'target', p: LoadParams): Promise<RelayOutcome> {
    const o = emptyOutcome(relay, 'ok', null);
    const genFdLimit = readFdLimit('self');
    const h = await this.start(relay);
    o.pinnedCpu = h.pinnedCpu;
    try {
      const hubFdLimit = h.pid !== undefined ? readFdLimit(h.pid) : null;
      const room = Math.min(genFdLimit?.soft ?? p.clients, hubFdLimit?.soft ?? p.clients) - 64;
      const want = Math.max(2, Math.min(p.clients, room));
      if (want < p.clients)
        this.out.note(
          `  ${relay}: fd limit allows ${want} connections (asked ${p.clients}); raise ulimit -n`,
        );
      await sleep(300);
      const before = h.pid !== undefined ? readProc(h.pid) : null;
      const cpu0 = process.cpuUsage();
      const { session, connect, barrier } = await this.openSession(h, { ...p, clients: want }, relay);
      o.connect = connect;
      o.barrier = barrier;
      try {
        await sleep(1000);
        const after = h.pid !== undefined && !h.exited() ? readProc(h.pid) : null;
        if (h.exited()) {
          o.note = `the relay exited while ${connect.connected} connections were open`;
          this.out.note(`  ${relay}: ${o.note}`);
        }
        o.idle = {
          requested: p.clients,
          connected: connect.connected,
          ready: barrier.ready,
          rssBeforeBytes: before?.rssBytes ?? Number.NaN,
          rssAfterBytes: after?.rssBytes ?? Number.NaN,
          bytesPerConnection:
            before && after && connect.connected > 0
              ? (after.rssBytes - before.rssBytes) / connect.connected
              : Number.NaN,
          hubFdLimit,
          genFdLimit,
          firstError: connect.firstError || session.firstError,
          hubCpuS: before && after ? after.cpuSeconds - before.cpuSeconds : null,
          genCpuS: (() => {
            const c = process.cpuUsage(cpu0);
            return (c.user + c.system) / 1e6;
          })(),
          notices: session.notices,
        };
        this.out.note(
          `  ${relay}: ${connect.connected} idle connections, RSS ${mib(o.idle.rssBeforeBytes)} -> ` +
            `${mib(o.idle.rssAfterBytes)} MiB, ${(o.idle.bytesPerConnection / 1024).toFixed(1)} KiB per connection`,
        );
      } finally {
        await session.close();
      }
    } finally {
      await h.stop();
    }
    return o;
  }
}

/** Of two runs of the same relay, the one the rest of the machine disturbed least. */
/** The relays in order, starting `by` places further on (wrapping round). */
export function rotated<T>(items: readonly T[], by: number): T[] {
  const start = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/** Runs within this much CPU of other load of the quietest are as quiet as it. */
const QUIET_MARGIN_CPU = 0.05;

/**
 * The run a repeated relay is shown by: among its quietest runs (other load on the machine within
 * QUIET_MARGIN_CPU of the least), the one with the median p99 (the lower of two middles). The
 * quietest alone would be whichever came first when several were equally quiet, and a single
 * run's tail is mostly chance at these latencies.
 */
export function typicalQuietRun(runs: readonly RelayOutcome[]): RelayOutcome {
  const other = (o: RelayOutcome) => o.run?.machine?.other ?? Number.POSITIVE_INFINITY;
  const least = Math.min(...runs.map(other));
  const quiet = runs
    .filter((o) => other(o) <= least + QUIET_MARGIN_CPU)
    .sort((a, b) => (a.run?.latencyMs.p99 ?? Infinity) - (b.run?.latencyMs.p99 ?? Infinity));
  const pick = quiet[Math.floor((quiet.length - 1) / 2)] ?? runs[0]!;
  return { ...pick, runs: runs.length, quietRuns: quiet.length };
}

function mib(b: number): string {
  return Number.isFinite(b) ? (b / MiB).toFixed(1) : '?';
}

export function oneLine(r: RunResult): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
  return (
    `${Math.round(r.sentPerS)} msg/s sent, ${Math.round(r.deliveriesPerS)} deliveries/s, ` +
    `p50/p99 ${f(r.latencyMs.p50)}/${f(r.latencyMs.p99)} ms, lost ${r.lost}` +
    (r.malformed ? `, malformed ${r.malformed}` : '') +
    (r.hub ? `, hub cpu ${r.hub.cpuUtil.toFixed(2)} rss ${mib(r.hub.peakRssBytes)} MiB` : '') +
    `, gen cpu ${r.gen.cpuUtil.toFixed(2)}` +
    (r.gen.bottleneck ? ` [${r.gen.bottleneck}]` : '') +
    (r.aborted ? ` [${r.aborted}]` : '')
  );
}
