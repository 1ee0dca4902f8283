import { describe, expect, it } from 'vitest';
import { emptyOutcome, type RelayOutcome, rotated, typicalQuietRun } from '../../src/bench/runner.ts';
import type { RunResult } from '../../src/bench/runTypes.ts';

/** A run of the hub with this p99 while other processes used `other` CPU. */
function run(p99: number, other: number): RelayOutcome {
  const result = { latencyMs: { p99 }, machine: { other, irq: 0, steal: 0, noisy: other > 0.1 } };
  return { ...emptyOutcome('ours', 'ok', null), run: result as unknown as RunResult };
}

describe('repeated runs of a fixed preset', () => {
  it('rotate the order of the relays from one round to the next, so each runs first in turn', () => {
    const relays = ['ours', 'ours-nohistory', 'batching'];
    expect([0, 1, 2, 3].map((round) => rotated(relays, round)[0])).toEqual([
      'ours',
      'ours-nohistory',
      'batching',
      'ours',
    ]);
    expect(rotated(relays, 1)).toEqual(['ours-nohistory', 'batching', 'ours']);
  });

  it('show a relay by the median p99 of its quietest runs, not by whichever quiet run came first', () => {
    const picked = typicalQuietRun([run(1.8, 0), run(1.1, 0.02), run(9.0, 0.9), run(1.3, 0)]);
    expect(picked.run?.latencyMs.p99).toBe(1.3);
    expect([picked.runs, picked.quietRuns]).toEqual([4, 3]);
    // Of two quiet runs, the lower: a lone noisy run never decides.
    expect(typicalQuietRun([run(2.0, 0), run(1.0, 0), run(0.5, 0.5)]).run?.latencyMs.p99).toBe(1.0);
  });
});
