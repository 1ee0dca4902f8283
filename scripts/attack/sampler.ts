/** Samples a process's RSS (VmRSS) and CPU time from /proc every 100 ms. */
import { readProc } from '../../src/bench/procstat.ts';
import { MIB } from './common.ts';

export class Sampler {
  peakBytes = 0;
  lastBytes = 0;
  private timer: NodeJS.Timeout;
  private readonly listeners: ((bytes: number) => void)[] = [];

  constructor(
    readonly pid: number,
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const proc = readProc(this.pid);
    if (proc === null) return;
    this.lastBytes = proc.rssBytes;
    this.peakBytes = Math.max(this.peakBytes, proc.rssBytes);
    for (const listener of this.listeners) listener(proc.rssBytes);
  }

  /** Calls `listener` with every sample's RSS in bytes. */
  onSample(listener: (bytes: number) => void): void {
    this.listeners.push(listener);
  }

  /** CPU seconds (user + system) so far; NaN once the process is gone. */
  cpuSeconds(): number {
    return readProc(this.pid)?.cpuSeconds ?? Number.NaN;
  }

  get peakMiB(): number {
    return this.peakBytes / MIB;
  }

  /** The RSS now (MiB), sampled afresh. */
  nowMiB(): number {
    this.sample();
    return this.lastBytes / MIB;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
