/**
 * Watches a run from its start to the end of its drain: reports progress, stops the run when
 * `abortCheck` says so, and after the measured window waits for late deliveries until all have
 * arrived, none came for `drainIdleS`, or `drainMaxS` passed.
 */
import { performance } from 'node:perf_hooks';
import type { RunAccounting } from './accounting.ts';
import type { ProcSample } from './procstat.ts';
import type { ResourceMeter } from './resourceMeter.ts';
import type { RunPlan } from './runPlan.ts';
import type { Progress, RunOptions } from './runTypes.ts';

const CHECK_MS = 20;

export interface RunWatch {
  plan: RunPlan;
  options: RunOptions;
  accounting: RunAccounting;
  meter: ResourceMeter;
  now: () => number;
  liveCount: () => number;
  stopSending: () => void;
}

export interface RunEnd {
  aborted: string | null;
  /** 0 when the run never reached its drain */
  drainStartNs: number;
  drainTimeout: boolean;
}

/** Rates since the previous report. */
class ProgressSampler {
  private lastMs = performance.now();
  private lastDeliveries = 0;
  private lastSent = 0;
  private lastHub: ProcSample | null;
  private lastCpu = process.cpuUsage();

  constructor(
    private readonly watch: RunWatch,
    private readonly everyMs: number,
  ) {
    this.lastHub = watch.meter.hubAtStart;
  }

  /** A report when one is due, else null. */
  sample(nowMs: number, now: number): Progress | null {
    if (nowMs - this.lastMs < this.everyMs) return null;
    const { plan, accounting, meter } = this.watch;
    const dt = (nowMs - this.lastMs) / 1000;
    const hub = meter.sampleHub();
    const cpu = process.cpuUsage();
    const progress: Progress = {
      phase: now < plan.measStartNs ? 'warmup' : now < plan.measEndNs ? 'measure' : 'drain',
      elapsedS: (now - plan.startNs) / 1e9,
      sentPerS: (accounting.sentTotal - this.lastSent) / dt,
      deliveriesPerS: (accounting.deliveriesTotal - this.lastDeliveries) / dt,
      lost: 0,
      hubCpuUtil: hub && this.lastHub ? (hub.cpuSeconds - this.lastHub.cpuSeconds) / dt : null,
      hubRssBytes: hub ? hub.rssBytes : null,
      genCpuUtil: (cpu.user + cpu.system - this.lastCpu.user - this.lastCpu.system) / 1e6 / dt,
    };
    this.lastMs = nowMs;
    this.lastDeliveries = accounting.deliveriesTotal;
    this.lastSent = accounting.sentTotal;
    this.lastHub = hub;
    this.lastCpu = cpu;
    return progress;
  }
}

/** Resolves when the run is over; rejects, with its timer cleared, if a callback throws. */
export function watchRun(watch: RunWatch): Promise<RunEnd> {
  const { plan, options, accounting } = watch;
  const sampler = new ProgressSampler(watch, options.progressMs ?? 250);
  const end: RunEnd = { aborted: null, drainStartNs: 0, drainTimeout: false };
  return new Promise<RunEnd>((resolve, reject) => {
    const check = () => {
      const nowMs = performance.now();
      const now = watch.now();
      const progress = sampler.sample(nowMs, now);
      if (progress) {
        options.onProgress?.(progress);
        const why = options.abortCheck?.(progress) ?? null;
        if (why) {
          end.aborted = why;
          watch.stopSending();
          return true;
        }
      }
      if (now < plan.measEndNs) return false;
      watch.stopSending();
      if (end.drainStartNs === 0) end.drainStartNs = now;
      const idleFrom = Math.max(accounting.lastDeliveryAt, end.drainStartNs);
      if (accounting.receivedMeasured >= accounting.expectedTotal() || watch.liveCount() === 0) return true;
      if (now - idleFrom > (options.drainIdleS ?? 1) * 1e9) return true;
      if (now - end.drainStartNs > (options.drainMaxS ?? 5) * 1e9) {
        end.drainTimeout = true;
        return true;
      }
      return false;
    };
    const timer = setInterval(() => {
      try {
        if (!check()) return;
        clearInterval(timer);
        resolve(end);
      } catch (err) {
        clearInterval(timer);
        reject(err);
      }
    }, CHECK_MS);
  });
}
