import { describe, expect, it } from 'vitest';
import { Histogram } from '../../src/bench/histogram.ts';

describe('latency histogram', () => {
  it('is exact for small values', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.count).toBe(100);
    expect(h.percentile(0.5)).toBe(50);
    expect(h.percentile(0.99)).toBe(99);
    expect(h.percentile(1)).toBe(100);
    expect(h.max).toBe(100);
    expect(h.mean()).toBeCloseTo(50.5);
  });

  it('keeps percentiles within 0.5 % over nanoseconds to minutes', () => {
    const h = new Histogram();
    const values: number[] = [];
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const v = Math.floor(300 * 1.0015 ** (x % 12_000)); // 300 ns .. ~20 s, log-spread
      values.push(v);
      h.record(v);
    }
    h.record(5 * 60e9); // one five-minute outlier (past 2^32 ns)
    values.push(5 * 60e9);
    values.sort((a, b) => a - b);
    for (const p of [0.5, 0.9, 0.99, 0.999]) {
      const exact = values[Math.ceil(p * values.length) - 1]!;
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThan(0.005);
    }
    expect(h.percentile(1)).toBe(5 * 60e9);
  });

  it('is empty as NaN, clamps negatives to 0, and merges', () => {
    const a = new Histogram();
    expect(Number.isNaN(a.percentile(0.5))).toBe(true);
    a.record(-5);
    expect(a.percentile(0.5)).toBe(0);
    const b = new Histogram();
    b.record(1e6);
    b.record(2e6);
    a.merge(b);
    expect(a.count).toBe(3);
    expect(a.max).toBe(2e6);
    expect(a.percentile(1)).toBe(2e6);
    a.reset();
    expect(a.count).toBe(0);
  });
});
