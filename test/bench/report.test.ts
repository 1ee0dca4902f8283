import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../src/bench/presets.ts';
import { fmtCount, presetTable } from '../../src/bench/report.ts';
import { emptyOutcome, type PresetResult, type RelayOutcome } from '../../src/bench/runner.ts';

function outcome(
  relay: RelayOutcome['relay'],
  status: RelayOutcome['status'],
  extra: Partial<RelayOutcome> = {},
): RelayOutcome {
  const note = status === 'ok' ? null : `${relay} ${status}`;
  return { ...emptyOutcome(relay, status, note), label: relay, pinnedCpu: 0, ...extra };
}

describe('bench tables', () => {
  it('formats counts', () => {
    expect(fmtCount(950)).toBe('950');
    expect(fmtCount(2000)).toBe('2.00 k');
    expect(fmtCount(21_500)).toBe('21.5 k');
    expect(fmtCount(2_600_000)).toBe('2.60 M');
    expect(fmtCount(Number.NaN)).toBe('-');
  });

  it('shows ours as ratios to each baseline, and says pending / skipped where a relay did not run', () => {
    const p: PresetResult = {
      preset: 'max',
      kind: 'max',
      description: PRESETS.max.description,
      params: PRESETS.max.params,
      relays: [
        outcome('ours', 'ok', { maxRate: 24_000, maxDeliveriesPerS: 2_376_000 }),
        outcome('batching', 'ok', { maxRate: 20_000, maxDeliveriesPerS: 1_980_000 }),
        outcome('ncat', 'skipped'),
      ],
    };
    const t = presetTable(p);
    expect(t).toContain('| max msg/s (p99<limit, 0 loss)');
    expect(t).toMatch(/24\.0 k\s*\|\s*20\.0 k\s*\|\s*skipped\s*\|\s*1\.20×\s*\|\s*-/);
    expect(t).toContain('ncat: ncat skipped');
    const pending = presetTable({ ...p, relays: [outcome('ours', 'skipped'), p.relays[1]!] });
    expect(pending).toContain('pending');
  });

  it('leaves out the cluster column when nats-server is missing, and says why under the table', () => {
    const t = presetTable({
      preset: 'cluster',
      kind: 'fixed',
      description: PRESETS.cluster.description,
      params: PRESETS.cluster.params,
      relays: [outcome('ours', 'ok'), outcome('cluster', 'skipped', { note: 'nats-server not installed' })],
    });
    expect(t.split('\n').find((line) => line.startsWith('|  '))).toMatch(/^\| +\| ours +\|$/);
    expect(t).not.toContain('cluster ÷ ours');
    expect(t).toContain('- cluster: nats-server not installed');
  });
});

describe('cpu profile summary', () => {
  it('sums self time per function, sets idle apart, and picks main-thread profiles', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { profilesIn, summariseProfile } = await import('../../src/bench/profile.ts');
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-prof-'));
    const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 9 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)') },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('flush', 'file:///x/y/src/actors/peer.ts') },
        { id: 4, callFrame: frame('writeBuffer') },
      ],
      samples: [2, 3, 4, 4, 2, 3],
      timeDeltas: [1000, 2000, 3000, 3000, 1000, 2000],
      startTime: 0,
      endTime: 12000,
    };
    writeFileSync(path.join(dir, 'CPU.20260101.000000.42.0.001.cpuprofile'), JSON.stringify(profile));
    writeFileSync(path.join(dir, 'CPU.20260101.000000.42.1.002.cpuprofile'), JSON.stringify(profile));
    const files = profilesIn(dir);
    expect(files.map((f) => path.basename(f))).toEqual(['CPU.20260101.000000.42.0.001.cpuprofile']);
    const s = summariseProfile(files[0]!);
    expect(s.totalMs).toBe(12);
    expect(s.idleMs).toBe(2);
    expect(s.entries).toEqual([
      { where: 'writeBuffer', selfMs: 6, share: 0.5 },
      { where: 'flush src/actors/peer.ts:10', selfMs: 4, share: 4 / 12 },
    ]);
  });
});
