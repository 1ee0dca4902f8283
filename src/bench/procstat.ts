import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

/** What Linux's /proc says about a process; null fields where it cannot be read. */
export interface ProcSample {
  cpuSeconds: number;
  rssBytes: number;
  hwmBytes: number;
}

let clkTck: number | undefined;
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** CPU seconds (user + system) and RSS / peak RSS (VmHWM) of a process, from /proc. */
export function readProc(pid: number | 'self'): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // fields after "(comm)": state is field 3, utime 14, stime 15
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(f[11]) + Number(f[12])) / ticksPerSecond();
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    return {
      cpuSeconds,
      rssBytes: statusKb(status, 'VmRSS') * 1024,
      hwmBytes: statusKb(status, 'VmHWM') * 1024,
    };
  } catch {
    return null;
  }
}

function statusKb(status: string, key: string): number {
  const i = status.indexOf(`${key}:`);
  if (i < 0) return 0;
  return Number.parseInt(status.slice(i + key.length + 1).trimStart(), 10) || 0;
}

/** Resets a process's peak RSS (VmHWM) to its current RSS; false where Linux does not allow it. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface FdLimit {
  soft: number;
  hard: number;
}

/** RLIMIT_NOFILE of a process (Infinity for "unlimited"); null if unreadable. */
export function readFdLimit(pid: number | 'self'): FdLimit | null {
  try {
    const limits = readFileSync(`/proc/${pid}/limits`, 'latin1');
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
    if (!m) return null;
    const n = (s: string | undefined) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
    return { soft: n(m[1]), hard: n(m[2]) };
  } catch {
    return null;
  }
}

/**
 * Raises this process's soft fd limit to its hard limit (Node has no setrlimit; util-linux's
 * `prlimit` does it from outside). Children spawned afterwards inherit it.
 */
export function raiseFdLimit(): { before: FdLimit | null; after: FdLimit | null; how: string } {
  const before = readFdLimit('self');
  if (!before || before.soft >= before.hard)
    return { before, after: before, how: 'already at the hard limit' };
  const hard = Number.isFinite(before.hard) ? String(before.hard) : 'unlimited';
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`], { stdio: 'ignore' });
    return { before, after: readFdLimit('self'), how: 'raised with prlimit' };
  } catch {
    return { before, after: before, how: 'prlimit unavailable; raise it with `ulimit -n` before running' };
  }
}

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let natsServer: string | null | undefined;
/**
 * The nats-server to run, or undefined if there is none. Debian installs it in /usr/sbin, which
 * not every user's PATH has.
 */
export function natsServerCommand(): string | undefined {
  if (natsServer === undefined)
    natsServer = ['nats-server', '/usr/sbin/nats-server'].find((c) => hasCommand(c)) ?? null;
  return natsServer ?? undefined;
}

/** CPUs this process may run on, e.g. [0, 1]. */
export function allowedCpus(): number[] {
  try {
    const status = readFileSync('/proc/self/status', 'latin1');
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
    if (m?.[1]) {
      const cpus: number[] = [];
      for (const part of m[1].split(',')) {
        const [a, b] = part.split('-').map(Number);
        if (a === undefined || Number.isNaN(a)) continue;
        for (let c = a; c <= (b ?? a); c++) cpus.push(c);
      }
      if (cpus.length > 0) return cpus;
    }
  } catch {
    // fall through
  }
  return os.cpus().map((_, i) => i);
}

/** Pins every thread of this process to one CPU with `taskset`; false if that is not possible. */
export function pinSelf(cpu: number): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface MachineInfo {
  nproc: number;
  model: string;
  node: string;
  platform: string;
}

export function machineInfo(): MachineInfo {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'latin1'));
    if (m?.[1]) model = m[1].trim();
  } catch {
    // keep os.cpus()
  }
  return {
    nproc: os.availableParallelism(),
    model,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** Machine-wide CPU time (seconds, all CPUs) from /proc/stat. */
export interface CpuTimes {
  /** user + nice + system */
  busy: number;
  /** irq + softirq (loopback TCP is mostly softirq) */
  irq: number;
  steal: number;
}

export function readCpuTimes(): CpuTimes | null {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const t = ticksPerSecond();
    const v = (i: number) => (f[i] ?? 0) / t;
    return { busy: v(0) + v(1) + v(2), irq: v(5) + v(6), steal: v(7) };
  } catch {
    return null;
  }
}
