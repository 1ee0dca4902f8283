import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { HubEffect, LogRecord } from '../../src/streams/hubEvent.ts';
import { logEffectRepeats } from '../../src/hub/logRepeats.ts';
import { summariseRepeats } from '../../src/streams/summariseRepeats.ts';
import { Recipients } from '../../src/streams/recipients.ts';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const log = (record: LogRecord): HubEffect => ({ type: 'log', record });
const reject = (peer: number, code = 'bad-frame') => log({ event: 'reject', peer, code, detail: 'x' });
const leave = (peer: number) => log({ event: 'leave', peer, reason: 'quit', online: 1 });
const join = (peer: number) => log({ event: 'join', peer, remote: '127.0.0.1:1', online: 1 });
const counted = (peer: number, count: number, code = 'bad-frame') =>
  log({ event: 'reject', peer, code, count });
const deliver: HubEffect = { type: 'deliver', data: Buffer.from('t\n'), to: new Recipients([1, 2], 1) };

/** The hub log's counting, in a window of `windowMs` virtual ms. */
const counting = (windowMs: number) => summariseRepeats({ ...logEffectRepeats, windowMs });

describe('the hub log counts what an outsider can repeat', () => {
  it('passes the first reject of a peer and code at once and counts the rest of the window into one line', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a b c d e 10ms |', {
        a: reject(7),
        b: reject(7),
        c: deliver,
        d: reject(7),
        e: join(8),
      });
      // Frames relayed in between do not break the count; it comes with the completion.
      expectObservable(source.pipe(counting(100))).toBe('a - c - e 10ms (x|)', {
        a: reject(7),
        c: deliver,
        e: join(8),
        x: counted(7, 2),
      });
    });
  });

  it('says how many when the window closes, and counts again while the flood goes on', () => {
    scheduler().run(({ hot, expectObservable }) => {
      // A reject every 10 ms for 250 ms: the first at once, then one count per 100 ms window.
      const source = hot('a 9ms '.repeat(25), { a: reject(7) });
      expectObservable(source.pipe(counting(100))).toBe('a 99ms b 99ms c 99ms d', {
        a: reject(7),
        b: counted(7, 10),
        c: counted(7, 10),
        d: counted(7, 4),
      });
    });
  });

  it('keeps kinds and peers apart, and tells the counts before a leave and a shutdown', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const shutdown = log({ event: 'shutdown', reason: 'shutdown', online: 2 });
      const source = cold('a b c d e f 9ms g h 9ms |', {
        a: reject(1),
        b: reject(2),
        c: reject(1, 'frame-too-large'),
        d: reject(1),
        e: reject(2),
        f: leave(1),
        g: reject(2),
        h: shutdown,
      });
      expectObservable(source.pipe(counting(1_000))).toBe('a b c 2ms (xyf) 6ms (zh) 6ms |', {
        a: reject(1),
        b: reject(2),
        c: reject(1, 'frame-too-large'),
        x: counted(1, 1),
        y: counted(2, 1),
        f: leave(1),
        z: counted(2, 1),
        h: shutdown,
      });
    });
  });
});
