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
  machine: RunResult['machine'];
}

export class ResourceMeter {
  /** Linux let us reset the hub's peak RSS, so its VmHWM at the end is this run's peak */
  private readonly peakIsExact: boolean;
  readonly hubAtStart: ProcSample | null;
  private hubRssMax: number;
  private readonly genCpuAtStart: NodeJS.CpuUsage;
  private readonly machineAtStart: CpuTimes | null;
  private readonly eluAtStart: EventLoopUtilization;
  /** the generator's figures stop with its sending: the drain is mostly waiting */
  private genCpuSending: NodeJS.CpuUsage | null = null;
  private eluSending: EventLoopUtilization | null = null;
  private hubAtEnd: ProcSample | null = null;
  private machineAtEnd: CpuTimes | null = null;
  private genCpuAll: NodeJS.CpuUsage | null = null;

  constructor(private readonly hubPid: number | undefined) {
    this.peakIsExact = hubPid !== undefined && resetPeakRss(hubPid);
    this.hubAtStart = hubPid !== undefined ? readProc(hubPid) : null;
    this.hubRssMax = this.hubAtStart?.rssBytes ?? 0;
    this.genCpuAtStart = process.cpuUsage();
    this.machineAtStart = readCpuTimes();
    this.eluAtStart = performance.eventLoopUtilization();
  }

  /** The hub now; its RSS also feeds the peak where the exact peak is not available. */
  sampleHub(): ProcSample | null {
    const hub = this.hubPid !== undefined ? readProc(this.hubPid) : null;
    if (hub && hub.rssBytes > this.hubRssMax) this.hubRssMax = hub.rssBytes;
    return hub;
  }

  sendingStopped(): void {
    if (this.genCpuSending !== null) return;
    this.genCpuSending = process.cpuUsage(this.genCpuAtStart);
    this.eluSending = performance.eventLoopUtilization(this.eluAtStart);
  }

  runEnded(): void {
    this.hubAtEnd = this.hubPid !== undefined ? readProc(this.hubPid) : null;
    this.machineAtEnd = readCpuTimes();
    this.genCpuAll = process.cpuUsage(this.genCpuAtStart);
  }

  /** `sendingWallS`: start to end of sending (the generator's share); `runWallS`: start to end of drain. */
  usage(sendingWallS: number, runWallS: number): RunUsage {
    const cpu = this.genCpuSending ?? process.cpuUsage(this.genCpuAtStart);
    const elu = this.eluSending ?? performance.eventLoopUtilization(this.eluAtStart);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const gen = { cpuS, cpuUtil: sendingWallS > 0 ? cpuS / sendingWallS : 0, elu: elu.utilization };
    const hubStart = this.hubAtStart;
    const hubEnd = this.hubAtEnd;
    const hub =
      hubStart && hubEnd
        ? {
            cpuS: hubEnd.cpuSeconds - hubStart.cpuSeconds,
            cpuUtil: runWallS > 0 ? (hubEnd.cpuSeconds - hubStart.cpuSeconds) / runWallS : 0,
            peakRssBytes: this.peakIsExact ? hubEnd.hwmBytes : Math.max(this.hubRssMax, hubEnd.rssBytes),
            rssBytes: hubEnd.rssBytes,
            peakIsExact: this.peakIsExact,
          }
        : null;
    return { gen, hub, machine: this.machine(runWallS, hub) };
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
