import { describe, expect, it } from 'vitest';
import { BACKOFF, backoffDelay } from '../../src/streams/backoff.ts';

// The reconnect attempts are no longer printed one by one, so their delays are checked here.
describe('backoffDelay', () => {
  it('lies in the upper half of a step that doubles from 0.5 s up to 30 s', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const step = Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** (attempt - 1));
      expect(backoffDelay(attempt, () => 0)).toBe(step / 2);
      expect(backoffDelay(attempt, () => 0.999_999)).toBe(step);
    }
  });
});
