/** Summaries of V8 CPU profiles (`node --cpu-prof`): where a process spent its time, by function. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  /** function name and where it is (repository-relative, or node's own module) */
  where: string;
  selfMs: number;
  share: number;
}

function location(url: string, line: number): string {
  if (!url) return '';
  const clean = url.replace(/^file:\/\//, '');
  const i = clean.lastIndexOf('/src/');
  const j = clean.lastIndexOf('/node_modules/');
  const short = i >= 0 ? clean.slice(i + 1) : j >= 0 ? clean.slice(j + 1) : clean.replace(/^node:/, 'node:');
  return `${short}:${line + 1}`;
}

/** Self time per function, largest first, without the idle time (reported apart). */
export function summariseProfile(
  file: string,
  top = 15,
): { totalMs: number; idleMs: number; entries: ProfileEntry[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!);
    const dt = p.timeDeltas[i] ?? 0;
    if (!n) continue;
    const name = n.callFrame.functionName || '(anonymous)';
    const where = location(n.callFrame.url, n.callFrame.lineNumber);
    const key = where ? `${name} ${where}` : name;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  const idle = self.get('(idle)') ?? 0;
  self.delete('(idle)');
  const entries = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, us]) => ({ where, selfMs: us / 1000, share: total > 0 ? us / total : 0 }));
  return { totalMs: total / 1000, idleMs: idle / 1000, entries };
}

/**
 * The main-thread .cpuprofile files in a directory, oldest first (node names them
 * CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread, the others
 * are workers such as tsx's loader).
 */
export function profilesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile') && !/^CPU\.\d+\.\d+\.\d+\.[1-9]\d*\./.test(f))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

export function profileTable(file: string, top = 15): string {
  const { totalMs, idleMs, entries } = summariseProfile(file, top);
  const busy = totalMs - idleMs;
  const lines = [
    `${path.basename(file)}: ${(totalMs / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy ` +
      `(${totalMs > 0 ? ((100 * busy) / totalMs).toFixed(0) : 0} %), top functions by self time:`,
    '',
    '| self ms | share | function |',
    '|---:|---:|---|',
    ...entries.map((e) => `| ${e.selfMs.toFixed(0)} | ${(100 * e.share).toFixed(1)} % | \`${e.where}\` |`),
  ];
  return `${lines.join('\n')}\n`;
}
