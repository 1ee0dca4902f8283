import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../src/actors/hubEvent.ts';
import { logRepeats } from '../../src/hub/logRepeats.ts';
import { aggregateRepeats } from '../../src/streams/aggregateRepeats.ts';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const reject = (peer: number, code = 'bad-frame'): LogRecord => ({
  event: 'reject',
  peer,
  code,
  detail: 'x',
});
const leave = (peer: number): LogRecord => ({ event: 'leave', peer, reason: 'quit', online: 1 });
const join = (peer: number): LogRecord => ({ event: 'join', peer, remote: '127.0.0.1:1', online: 1 });
const counted = (peer: number, repeats: number, code = 'bad-frame'): LogRecord => ({
  event: 'reject',
  peer,
  code,
  count: repeats,
});

describe('aggregateRepeats, over the hub log', () => {
  it('passes the first of a kind at once and counts the rest of the window into one line', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a b c d 10ms |', { a: reject(7), b: reject(7), c: reject(7), d: join(8) });
      // The source completes before the window closes: the count comes with the completion.
      expectObservable(source.pipe(aggregateRepeats(logRepeats, 100))).toBe('a 2ms d 10ms (x|)', {
        a: reject(7),
        d: join(8),
        x: counted(7, 2),
      });
    });
  });

  it('says how many when the window closes, and counts again while the flood goes on', () => {
    scheduler().run(({ hot, expectObservable }) => {
      // A reject every 10 ms for 250 ms: the first at once, then one count per 100 ms window.
      const marbles = `${'a 9ms '.repeat(25)}`;
      const source = hot(marbles, { a: reject(7) });
      expectObservable(source.pipe(aggregateRepeats(logRepeats, 100))).toBe('a 99ms b 99ms c 99ms d', {
        a: reject(7),
        b: counted(7, 10),
        c: counted(7, 10),
        d: counted(7, 4),
      });
    });
  });

  it('keeps kinds and peers apart, and tells a peer’s counts before its leave', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a b c d e f 9ms |', {
        a: reject(1),
        b: reject(2),
        c: reject(1, 'frame-too-large'),
        d: reject(1),
        e: reject(2),
        f: leave(1),
      });
      expectObservable(source.pipe(aggregateRepeats(logRepeats, 1_000))).toBe('a b c 2ms (gf) 6ms (h|)', {
        a: reject(1),
        b: reject(2),
        c: reject(1, 'frame-too-large'),
        g: counted(1, 1),
        f: leave(1),
        h: counted(2, 1),
      });
    });
  });

  it('tells every count before a shutdown and when the log completes: nothing counted is lost', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const shutdown: LogRecord = { event: 'shutdown', reason: 'shutdown', online: 2 };
      const source = cold('a a b b c 9ms |', { a: reject(1), b: reject(2), c: shutdown });
      expectObservable(source.pipe(aggregateRepeats(logRepeats, 1_000))).toBe('a - b - (xyc) 5ms |', {
        a: reject(1),
        b: reject(2),
        x: counted(1, 1),
        y: counted(2, 1),
        c: shutdown,
      });
    });
  });
});
