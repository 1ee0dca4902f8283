/**
 * CPU and memory over one run: the generator's own (process and event loop), the hub's (from
 * /proc, when its pid is known) and the rest of the machine's, so that a figure taken while
 * something else was busy can be told apart.
 */
import { performance } from 'node:perf_hooks';
import { type CpuTimes, type ProcSample, readCpuTimes, readProc, resetPeakRss } from './procstat.ts';
import type { RunResult } from './runTypes.ts';

type EventLoopUtilization = ReturnType<typeof performance.eventLoopUtilization>;

export interface RunUsage {
  gen: { cpuS: number; cpuUtil: number; elu: number };
  hub: RunResult['hub'];
  parts: RunResult['parts'];
  machine: RunResult['machine'];
}

/** One process of the relay under test (a cluster has several: its hubs and nats-server). */
export interface MeteredPart {
  label: string;
  pid: number;
}

/** The sum over the relay's processes: its CPU and its memory are all of theirs together. */
function total(samples: (ProcSample | null)[]): ProcSample | null {
  if (samples.length === 0 || samples.some((s) => s === null)) return null;
  const sum = { cpuSeconds: 0, rssBytes: 0, hwmBytes: 0 };
  for (const s of samples as ProcSample[]) {
    sum.cpuSeconds += s.cpuSeconds;
    sum.rssBytes += s.rssBytes;
    sum.hwmBytes += s.hwmBytes;
  }
  return sum;
}

export class ResourceMeter {
  /** Linux let us reset the relay's peak RSS, so its VmHWM at the end is this run's peak */
  private readonly peakIsExact: boolean;
  private readonly partsAtStart: (ProcSample | null)[];
  readonly hubAtStart: ProcSample | null;
  private hubRssMax: number;
  private readonly genCpuAtStart: NodeJS.CpuUsage;
  private readonly machineAtStart: CpuTimes | null;
  private readonly eluAtStart: EventLoopUtilization;
  /** the generator's figures stop with its sending: the drain is mostly waiting */
  private genCpuSending: NodeJS.CpuUsage | null = null;
  private eluSending: EventLoopUtilization | null = null;
  private partsAtEnd: (ProcSample | null)[] = [];
  private hubAtEnd: ProcSample | null = null;
  private machineAtEnd: CpuTimes | null = null;
  private genCpuAll: NodeJS.CpuUsage | null = null;

  /** `parts`: the processes of the relay under test, whose figures add up to the hub's */
  constructor(private readonly parts: readonly MeteredPart[]) {
    this.peakIsExact = parts.length > 0 && parts.every((p) => resetPeakRss(p.pid));
    this.partsAtStart = this.readParts();
    this.hubAtStart = total(this.partsAtStart);
    this.hubRssMax = this.hubAtStart?.rssBytes ?? 0;
    this.genCpuAtStart = process.cpuUsage();
    this.machineAtStart = readCpuTimes();
    this.eluAtStart = performance.eventLoopUtilization();
  }

  private readParts(): (ProcSample | null)[] {
    return this.parts.map((p) => readProc(p.pid));
  }

  /** The hub now; its RSS also feeds the peak where the exact peak is not available. */
  sampleHub(): ProcSample | null {
    const hub = total(this.readParts());
    if (hub && hub.rssBytes > this.hubRssMax) this.hubRssMax = hub.rssBytes;
    return hub;
  }

  sendingStopped(): void {
    if (this.genCpuSending !== null) return;
    this.genCpuSending = process.cpuUsage(this.genCpuAtStart);
    this.eluSending = performance.eventLoopUtilization(this.eluAtStart);
  }

  runEnded(): void {
    this.partsAtEnd = this.readParts();
    this.hubAtEnd = total(this.partsAtEnd);
    this.machineAtEnd = readCpuTimes();
    this.genCpuAll = process.cpuUsage(this.genCpuAtStart);
  }

  /** `sendingWallS`: start to end of sending (the generator's share); `runWallS`: start to end of drain. */
  usage(sendingWallS: number, runWallS: number): RunUsage {
    const cpu = this.genCpuSending ?? process.cpuUsage(this.genCpuAtStart);
    const elu = this.eluSending ?? performance.eventLoopUtilization(this.eluAtStart);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const gen = { cpuS, cpuUtil: sendingWallS > 0 ? cpuS / sendingWallS : 0, elu: elu.utilization };
    const figures = (start: ProcSample | null | undefined, end: ProcSample | null | undefined) =>
      start && end
        ? {
            cpuS: end.cpuSeconds - start.cpuSeconds,
            cpuUtil: runWallS > 0 ? (end.cpuSeconds - start.cpuSeconds) / runWallS : 0,
            peakRssBytes: this.peakIsExact ? end.hwmBytes : end.rssBytes,
            rssBytes: end.rssBytes,
            peakIsExact: this.peakIsExact,
          }
        : null;
    const hub = figures(this.hubAtStart, this.hubAtEnd);
    if (hub && !this.peakIsExact) hub.peakRssBytes = Math.max(this.hubRssMax, hub.rssBytes);
    const parts =
      this.parts.length > 1
        ? this.parts.map((p, i) => {
            const f = figures(this.partsAtStart[i], this.partsAtEnd[i]);
            return {
              label: p.label,
              cpuS: f?.cpuS ?? Number.NaN,
              cpuUtil: f?.cpuUtil ?? Number.NaN,
              peakRssBytes: f?.peakRssBytes ?? Number.NaN,
            };
          })
        : null;
    return { gen, hub, parts, machine: this.machine(runWallS, hub) };
  }

  private machine(runWallS: number, hub: RunResult['hub']): RunResult['machine'] {
    const start = this.machineAtStart;
    const end = this.machineAtEnd;
    const genAll = this.genCpuAll;
    if (!start || !end || !genAll || runWallS <= 0) return null;
    const others = end.busy - start.busy - (genAll.user + genAll.system) / 1e6 - (hub ? hub.cpuS : 0);
    const other = Math.max(0, others / runWallS);
    const steal = (end.steal - start.steal) / runWallS;
    return {
      other,
      irq: (end.irq - start.irq) / runWallS,
      steal,
      noisy: (hub !== null && other > 0.15) || steal > 0.1,
    };
  }
}
