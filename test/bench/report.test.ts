import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../src/bench/presets.ts';
import { fmtCount, presetTable } from '../../src/bench/report.ts';
import type { PresetResult, RelayOutcome } from '../../src/bench/runner.ts';

function outcome(
  relay: RelayOutcome['relay'],
  status: RelayOutcome['status'],
  extra: Partial<RelayOutcome> = {},
) {
  return {
    relay,
    label: relay,
    status,
    note: status === 'ok' ? null : `${relay} ${status}`,
    pinnedCpu: 0,
    connect: null,
    barrier: null,
    run: null,
    search: null,
    maxRate: null,
    maxDeliveriesPerS: null,
    maxBound: null,
    deliveredVsMax: null,
    idle: null,
    ...extra,
  } satisfies RelayOutcome;
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
});
