import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { summariseRepeats, type SummariseRepeatsOptions } from '../../src/streams/summariseRepeats.ts';

/**
 * Values are strings: `a` and `b` are two kinds of warning, anything else passes (`x` a line on
 * the screen, `y` something whose place does not matter). A summary of three `a` is `a×3`.
 */
function summarised(scheduler: TestScheduler, options: Partial<SummariseRepeatsOptions<string>> = {}) {
  return summariseRepeats<string>({
    windowMs: 10,
    kindOf: (value) => (value === 'a' || value === 'b' ? value : undefined),
    summary: (kind, count) => `${kind}×${count}`,
    keepsOrder: (value) => value !== 'y',
    scheduler,
    ...options,
  });
}

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const values = { a: 'a', b: 'b', x: 'x', y: 'y' };

describe('summariseRepeats (marble)', () => {
  it('passes the first of a kind at once and counts the rest of its window into one summary', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('aaaa 20ms a|', values);
      expectObservable(source.pipe(summarised(scheduler))).toBe('a 9ms s 13ms a|', {
        ...values,
        s: 'a×3',
      });
    });
  });

  it('lets a kind that comes rarely through as it is, with nothing to summarise', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('a 10ms a 10ms a|', values);
      expectObservable(source.pipe(summarised(scheduler))).toBe('a 10ms a 10ms a|', values);
    });
  });

  it('turns a long flood into one value per window, and the counts add up to what came', () => {
    const scheduler = testScheduler();
    const seen: { at: number; value: string }[] = [];
    scheduler.run(({ cold }) => {
      // 1000 values, one every frame: a flood of 100 windows.
      cold(`${'a'.repeat(1000)}|`, values)
        .pipe(summarised(scheduler))
        .subscribe((value) => seen.push({ at: scheduler.now(), value }));
    });
    expect(seen[0]).toEqual({ at: 0, value: 'a' });
    expect(seen.length).toBeLessThanOrEqual(1 + 1000 / 10 + 1);
    const counted = seen.slice(1).map(({ value }) => Number(/^a×(\d+)$/.exec(value)![1]));
    expect(1 + counted.reduce((sum, n) => sum + n, 0)).toBe(1000);
    // While the flood lasts, one summary per window; the rest at the end of the source.
    expect(seen.slice(1, -1).map(({ at }) => at)).toEqual(Array.from({ length: 99 }, (_, i) => (i + 1) * 10));
  });

  it('counts each kind on its own', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('abab', values);
      expectObservable(source.pipe(summarised(scheduler))).toBe('ab 8ms st', {
        ...values,
        s: 'a×1',
        t: 'b×1',
      });
    });
  });

  it('summarises what it held before a line whose order matters, and goes on counting in the same window', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('aaxa', values);
      // A group takes as many frames as it has characters: (sx) ends at 6, t comes at 10.
      expectObservable(source.pipe(summarised(scheduler))).toBe('a-(sx) 4ms t', {
        ...values,
        s: 'a×1',
        t: 'a×1',
      });
    });
  });

  it('passes a value whose order does not matter without summarising for it', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('aaya', values);
      expectObservable(source.pipe(summarised(scheduler))).toBe('a-y 7ms s', { ...values, s: 'a×2' });
    });
  });

  it('summarises what it held when the source completes or fails', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('aab|', values).pipe(summarised(scheduler))).toBe('a-b(s|)', {
        ...values,
        s: 'a×1',
      });
      expectObservable(cold('aa#', values).pipe(summarised(scheduler))).toBe('a-(s#)', {
        ...values,
        s: 'a×1',
      });
    });
  });

  it('cancels its timers when unsubscribed: nothing is summarised afterwards', () => {
    const scheduler = testScheduler();
    let summaries = 0;
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('aaaa', values);
      const result = source.pipe(
        summarised(scheduler, { summary: (kind, count) => `${kind}×${count} (${++summaries})` }),
      );
      expectObservable(result, '---!').toBe('a', values);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(summaries).toBe(0);
  });
});
