/** What a run of the load generator is asked to do, and what it reports. */

export interface RunOptions {
  senders: number;
  /** total msg/s offered, paced; 0 = max rate with `window` in flight per sender */
  rate: number;
  window?: number;
  warmupS: number;
  durationS: number;
  drainMaxS?: number;
  drainIdleS?: number;
  windowTimeoutS?: number;
  /** pacing tick (default 1 ms) */
  tickMs?: number;
  /** the hub's pid, for its CPU and RSS (from /proc) */
  hubPid?: number;
  /** instead of hubPid: every process of the relay (a cluster's hubs and nats-server), summed as the hub */
  relayParts?: { label: string; pid: number }[];
  onProgress?: (progress: Progress) => void;
  progressMs?: number;
  /** stops the run early (e.g. the hub exceeded a memory limit); returns the reason */
  abortCheck?: (progress: Progress) => string | null;
}

export interface Progress {
  phase: 'warmup' | 'measure' | 'drain';
  elapsedS: number;
  sentPerS: number;
  deliveriesPerS: number;
  lost: number;
  hubCpuUtil: number | null;
  hubRssBytes: number | null;
  genCpuUtil: number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  count: number;
}

export interface RunResult {
  runId: number;
  clients: number;
  live: number;
  ready: number;
  senders: number;
  rate: number;
  window: number;
  lineBytes: number;
  warmupS: number;
  durationS: number;
  offeredMsgPerS: number | null;
  offeredDeliveriesPerS: number | null;
  sent: number;
  sentPerS: number;
  unsent: number;
  expected: number;
  received: number;
  lost: number;
  deliveriesPerS: number;
  duplicated: number;
  reordered: number;
  malformed: number;
  foreign: number;
  echoed: number;
  notices: number;
  windowTimeouts: number;
  /** receive time − actual send time, ms */
  latencyMs: LatencySummary;
  /** receive time − scheduled send time, ms (includes generator lateness and backpressure) */
  schedLatencyMs: LatencySummary;
  genLagP99Ms: number;
  genLagMaxMs: number;
  sendBlocked: number;
  disconnects: number;
  firstError: string;
  drainS: number;
  drainTimeout: boolean;
  aborted: string | null;
  gen: { cpuS: number; cpuUtil: number; elu: number; bottleneck: string | null };
  /** the relay's figures; for a relay of several processes, all of them together */
  hub: { cpuS: number; cpuUtil: number; peakRssBytes: number; rssBytes: number; peakIsExact: boolean } | null;
  /** a relay of several processes (a cluster): each one's share of `hub` */
  parts: { label: string; cpuS: number; cpuUtil: number; peakRssBytes: number }[] | null;
  /**
   * What else the machine did during the run, in CPUs: `other` is user+system time of every
   * process but the hub and this generator (other work on the machine makes figures unreliable),
   * `irq` is interrupt time (loopback TCP), `steal` what the hypervisor took.
   */
  machine: { other: number; irq: number; steal: number; noisy: boolean } | null;
}

/**
 * Line-level counters a session keeps over all its runs; a run reports how much each grew
 * while it ran.
 */
export interface LineCounters {
  notices: number;
  malformed: number;
  foreign: number;
  echoed: number;
  disconnects: number;
  blocked: number;
  firstError: string;
}
