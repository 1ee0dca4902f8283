import { describe, expect, it } from 'vitest';
import { closestOption, editDistance } from '../../src/config/didYouMean.ts';

describe('closestOption', () => {
  const known = ['host', 'port', 'framing', 'max-frame-bytes', 'max-queue-bytes', 'help', 'no-reconnect'];

  it('finds the option a typo most likely meant', () => {
    expect(closestOption('--prot', known)).toBe('--port');
    expect(closestOption('--hots', known)).toBe('--host');
    expect(closestOption('--max-frame-byte', known)).toBe('--max-frame-bytes');
    expect(closestOption('--framng=line', known)).toBe('--framing');
  });

  it('suggests nothing for an option that is not close to any', () => {
    expect(closestOption('--colour', known)).toBeUndefined();
    expect(closestOption('--verbose', known)).toBeUndefined();
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and swapped neighbours as one each', () => {
    expect(editDistance('port', 'port')).toBe(0);
    expect(editDistance('prot', 'port')).toBe(1);
    expect(editDistance('por', 'port')).toBe(1);
    expect(editDistance('pert', 'port')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
