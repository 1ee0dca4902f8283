/** A run's result, reckoned from its accounting and measurements once it is over. */
import type { RunAccounting } from './accounting.ts';
import type { Histogram } from './histogram.ts';
import type { RunUsage } from './resourceMeter.ts';
import type { RunPlan } from './runPlan.ts';
import type { RunEnd } from './runWatch.ts';
import type { LatencySummary, LineCounters, RunOptions, RunResult } from './runTypes.ts';

function summary(histogram: Histogram): LatencySummary {
  const ms = (ns: number) => (Number.isNaN(ns) ? Number.NaN : ns / 1e6);
  return {
    p50: ms(histogram.percentile(0.5)),
    p90: ms(histogram.percentile(0.9)),
    p99: ms(histogram.percentile(0.99)),
    max: histogram.count ? histogram.max / 1e6 : Number.NaN,
    count: histogram.count,
  };
}

interface BottleneckInput {
  paced: boolean;
  usage: RunUsage;
  sendBlocked: number;
  lagP99Ms: number;
  unsent: number;
  sent: number;
}

/**
 * Why the figures may say more about the generator or the machine than about the hub; empty
 * when nothing suggests so. The order is the order in which a reader should weigh them.
 */
function bottleneckReasons({ paced, usage, sendBlocked, lagP99Ms, unsent, sent }: BottleneckInput): string[] {
  const { gen, hub, machine } = usage;
  const reasons: string[] = [];
  if (gen.cpuUtil >= 0.9 || gen.elu >= 0.9)
    reasons.push(`generator saturated (cpu ${gen.cpuUtil.toFixed(2)}, event loop ${gen.elu.toFixed(2)})`);
  // blocked sends mean the hub pushed back: then lateness is the hub's, not the generator's
  if (paced && sendBlocked === 0 && (lagP99Ms > 10 || unsent > 0.01 * sent))
    reasons.push(`generator fell behind schedule (lag p99 ${lagP99Ms.toFixed(1)} ms, unsent ${unsent})`);
  if (machine?.noisy && reasons.length > 0)
    reasons.push(
      `the machine was busy with other work (${machine.other.toFixed(2)} CPU, steal ${machine.steal.toFixed(2)})`,
    );
  if (!paced && reasons.length === 0 && hub && gen.cpuUtil >= 0.75 && gen.cpuUtil > hub.cpuUtil)
    reasons.push(
      `at max rate the generator was busier than the relay (cpu ${gen.cpuUtil.toFixed(2)} vs ${hub.cpuUtil.toFixed(2)})`,
    );
  if (reasons.length > 0 && hub && hub.cpuUtil >= 0.9)
    reasons.push(`the relay is saturated too (cpu ${hub.cpuUtil.toFixed(2)}): both are at their limit`);
  return reasons;
}

export interface FinishedRun {
  runId: number;
  clients: number;
  lineBytes: number;
  plan: RunPlan;
  options: RunOptions;
  accounting: RunAccounting;
  end: RunEnd;
  endNs: number;
  unsent: number;
  usage: RunUsage;
  /** the session's counters when the run started, and now */
  countersBefore: LineCounters;
  countersAfter: LineCounters;
}

export function runResult(run: FinishedRun): RunResult {
  const { plan, options, accounting, end, usage, countersBefore: before, countersAfter: after } = run;
  const totals = accounting.totals(options.durationS);
  const lagP99Ms = plan.paced ? accounting.lag.percentile(0.99) / 1e6 : 0;
  const lagMaxMs = plan.paced && accounting.lag.count ? accounting.lag.max / 1e6 : 0;
  const sendBlocked = after.blocked - before.blocked;
  const reasons = bottleneckReasons({
    paced: plan.paced,
    usage,
    sendBlocked,
    lagP99Ms,
    unsent: run.unsent,
    sent: totals.sent,
  });
  return {
    runId: run.runId,
    clients: run.clients,
    live: plan.liveAtStart,
    ready: plan.readyCount,
    senders: plan.senders,
    rate: options.rate,
    window: plan.window,
    lineBytes: run.lineBytes,
    warmupS: options.warmupS,
    durationS: options.durationS,
    offeredMsgPerS: plan.paced ? options.rate : null,
    offeredDeliveriesPerS: plan.paced ? options.rate * Math.max(0, plan.readyCount - 1) : null,
    sent: totals.sent,
    sentPerS: totals.sent / options.durationS,
    unsent: run.unsent,
    expected: totals.expected,
    received: totals.received,
    lost: totals.lost,
    deliveriesPerS: totals.deliveriesPerS,
    duplicated: totals.duplicated,
    reordered: totals.reordered,
    malformed: after.malformed - before.malformed,
    foreign: after.foreign - before.foreign + totals.foreign,
    echoed: after.echoed - before.echoed + totals.echoed,
    notices: after.notices - before.notices,
    windowTimeouts: totals.windowTimeouts,
    latencyMs: summary(accounting.latency),
    schedLatencyMs: summary(accounting.schedLatency),
    genLagP99Ms: lagP99Ms,
    genLagMaxMs: lagMaxMs,
    sendBlocked,
    disconnects: after.disconnects - before.disconnects,
    firstError: after.firstError !== before.firstError ? after.firstError : '',
    drainS: end.drainStartNs > 0 ? (run.endNs - end.drainStartNs) / 1e9 : 0,
    drainTimeout: end.drainTimeout,
    aborted: end.aborted,
    gen: { ...usage.gen, bottleneck: reasons.length ? reasons.join('; ') : null },
    hub: usage.hub,
    parts: usage.parts,
    machine: usage.machine,
  };
}
