import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FrameEvent, FrameRun, Framing } from '../../src/streams/frameEvent.ts';
import { framesOf } from '../support/frames.ts';
import { FrameSplitter } from '../../src/streams/frameSplitter.ts';

/** What came out, flattened: each frame as text, each oversize report as { oversize: bytes }. */
type Seen = string | { oversize: number };

function push(chunks: readonly (string | Buffer)[], maxFrameBytes = 64, framing: Framing = 'line') {
  const splitter = new FrameSplitter({ maxFrameBytes, framing });
  const events: FrameEvent[] = [];
  for (const chunk of chunks)
    splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'latin1'), (e) => events.push(e));
  return { splitter, events, seen: flatten(events) };
}

function flatten(events: readonly FrameEvent[]): Seen[] {
  return events.flatMap((event): Seen[] =>
    event.kind === 'oversize'
      ? [{ oversize: event.bytes }]
      : framesOf(event).map((f) => f.toString('latin1')),
  );
}

/** Every way of cutting `text` in two. */
function cutsInTwo(text: string): string[][] {
  return Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
}

describe('FrameSplitter, line framing', () => {
  it('splits coalesced frames, all in one run that is a view of the chunk (no copy)', () => {
    const chunk = Buffer.from('alpha\nbeta\ngamma\n');
    const { events, seen } = push([chunk]);
    expect(seen).toEqual(['alpha', 'beta', 'gamma']);
    expect(events).toHaveLength(1);
    const run = events[0] as FrameRun;
    expect(run.count).toBe(3);
    expect(run.data.buffer).toBe(chunk.buffer);
    expect(run.data.toString()).toBe('alpha\nbeta\ngamma\n');
  });

  it('gives the same frames for a frame split at every byte', () => {
    const text = 'first\nsecond frame\nthird\n';
    for (const chunks of cutsInTwo(text))
      expect(push(chunks).seen, JSON.stringify(chunks)).toEqual(['first', 'second frame', 'third']);
  });

  it('gives the same frames one byte at a time', () => {
    const text = 'one\r\ntwo\n\nthree\n';
    expect(push([...text]).seen).toEqual(['one', 'two', 'three']);
  });

  it('holds a frame without its LF until the LF comes', () => {
    const splitter = new FrameSplitter({ maxFrameBytes: 64 });
    const events: FrameEvent[] = [];
    splitter.push(Buffer.from('hel'), (e) => events.push(e));
    splitter.push(Buffer.from('lo'), (e) => events.push(e));
    expect(events).toEqual([]);
    splitter.push(Buffer.from('\nnext'), (e) => events.push(e));
    expect(flatten(events)).toEqual(['hello']);
  });

  it('drops the CR of CRLF, also when the CR and the LF arrive in different chunks', () => {
    expect(push(['a\r\nb\n']).seen).toEqual(['a', 'b']);
    expect(push(['a\r', '\nb\r\n']).seen).toEqual(['a', 'b']);
    expect(push(['a', '\r', '\n']).seen).toEqual(['a']);
    for (const chunks of cutsInTwo('crlf one\r\ncrlf two\r\n'))
      expect(push(chunks).seen, JSON.stringify(chunks)).toEqual(['crlf one', 'crlf two']);
  });

  it('keeps a CR that is not right before the LF', () => {
    expect(push(['a\rb\n', '\rc\n']).seen).toEqual(['a\rb', '\rc']);
  });

  it('keeps the frames of a run in order around a CRLF frame in the middle', () => {
    expect(push(['one\ntwo\r\nthree\nfour\n']).seen).toEqual(['one', 'two', 'three', 'four']);
  });

  it('skips empty lines, with or without CR', () => {
    expect(push(['\n\na\n\r\n\nb\n\n']).seen).toEqual(['a', 'b']);
    expect(push(['\r', '\n', '\n']).seen).toEqual([]);
  });

  it('discards an oversize frame up to its LF, reports it, and goes on', () => {
    const { events } = push(['123456789\nok\n'], 8);
    expect(events).toEqual([
      { kind: 'oversize', bytes: 9, limit: 8 },
      { kind: 'frames', data: Buffer.from('ok\n'), count: 1 },
    ]);
    expect(push(['before\n123456789\nafter\n'], 8).seen).toEqual(['before', { oversize: 9 }, 'after']);
  });

  it('discards an oversize frame spread over many chunks, reporting it once and early', () => {
    const splitter = new FrameSplitter({ maxFrameBytes: 16 });
    const events: FrameEvent[] = [];
    const emit = (e: FrameEvent) => events.push(e);
    splitter.push(Buffer.from('ok\nxxxxx'), emit);
    for (let i = 0; i < 3; i++) splitter.push(Buffer.from('xxxxx'), emit);
    // 20 bytes seen and still no LF: it is reported now, without waiting for (or keeping) the rest.
    expect(events.map((e) => e.kind)).toEqual(['frames', 'oversize']);
    expect(events[1]).toMatchObject({ kind: 'oversize', limit: 16 });
    for (let i = 0; i < 1000; i++) splitter.push(Buffer.from('xxxxxxxxxx'), emit);
    splitter.push(Buffer.from('xxx\nnext\n'), emit);
    expect(flatten(events)).toEqual(['ok', { oversize: 20 }, 'next']);
    expect(splitter.end()).toBe(0);
  });

  it('reports an oversize frame spread over chunks that ends in the chunk that makes it too long', () => {
    expect(push(['12345', '6789\nok\n'], 8).seen).toEqual([{ oversize: 9 }, 'ok']);
    expect(push(['12345678', '9\r\nok\n'], 8).seen).toEqual([{ oversize: 9 }, 'ok']);
  });

  it('accepts a frame of exactly the limit, with or without CR, however it is cut', () => {
    for (const text of ['12345678\n', '12345678\r\n']) {
      for (const chunks of cutsInTwo(`${text}ok\n`)) {
        expect(push(chunks, 8).seen, JSON.stringify(chunks)).toEqual(['12345678', 'ok']);
      }
      expect(push([...`${text}ok\n`], 8).seen).toEqual(['12345678', 'ok']);
    }
  });

  it('refuses a frame of one byte over the limit, with or without CR, however it is cut', () => {
    for (const text of ['123456789\n', '123456789\r\n']) {
      for (const chunks of cutsInTwo(`${text}ok\n`)) {
        const seen = push(chunks, 8).seen;
        expect(seen, JSON.stringify(chunks)).toHaveLength(2);
        expect(seen[0], JSON.stringify(chunks)).toMatchObject({ oversize: expect.any(Number) });
        expect(seen[1]).toBe('ok');
      }
    }
  });

  it('drops an unfinished frame at the end of the stream and says how big it was', () => {
    const { splitter, seen } = push(['done\npartial'], 64);
    expect(seen).toEqual(['done']);
    expect(splitter.end()).toBe('partial'.length);
    expect(splitter.end()).toBe(0);
  });

  it('passes any bytes through unchanged, UTF-8 and binary alike', () => {
    const frame = Buffer.from([0xe2, 0x82, 0xac, 0x00, 0xff, 0x0d, 0x41]);
    const { events } = push([Buffer.concat([frame, Buffer.from('\n')])]);
    expect(framesOf(events[0] as FrameRun)).toEqual([frame]);
  });
});

describe('FrameSplitter, chunk framing (the seed: one read, one message)', () => {
  it('ends a frame at the end of every read without LF', () => {
    expect(push(['abc', 'def'], 64, 'chunk').seen).toEqual(['abc', 'def']);
  });

  it('still splits at LF and drops CR', () => {
    expect(push(['a\nb', 'c\r\n', 'd\r'], 64, 'chunk').seen).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reports a read longer than the limit as oversize and goes on', () => {
    expect(push(['x'.repeat(9), 'ok'], 8, 'chunk').seen).toEqual([{ oversize: 9 }, 'ok']);
  });

  it('does not count a CR at the end of a read against the limit', () => {
    expect(push(['12345678\r', '123456789\r'], 8, 'chunk').seen).toEqual(['12345678', { oversize: 9 }]);
  });

  it('makes no empty frames', () => {
    expect(push(['\n', '\r\n', '\r', 'a\n\r'], 64, 'chunk').seen).toEqual(['a']);
  });

  it('holds nothing over between reads', () => {
    const { splitter } = push(['abc'], 64, 'chunk');
    expect(splitter.end()).toBe(0);
  });
});

describe('FrameSplitter, properties', () => {
  const byte = fc.constantFrom(...'ab\r\n'.split('').map((c) => c.charCodeAt(0)), 0x00, 0xff);
  const stream = fc
    .uint8Array({ maxLength: 200 })
    .chain((noise) =>
      fc
        .array(byte, { maxLength: 200 })
        .map((bytes) => Buffer.from(noise.length % 2 ? bytes : [...bytes, ...noise])),
    );
  const cuts = (length: number) => fc.uniqueArray(fc.integer({ min: 0, max: length }), { maxLength: 30 });

  function cut(data: Buffer, at: readonly number[]): Buffer[] {
    const points = [...new Set([0, ...at, data.length])].sort((a, b) => a - b);
    return points.slice(1).map((end, i) => data.subarray(points[i], end));
  }

  /**
   * What framing should give, written the obvious way. An unfinished last line is no frame, but
   * once it is longer than the limit plus a CR it is reported as oversize without waiting for its LF.
   */
  function reference(data: Buffer, max: number): (string | 'oversize')[] {
    const lines = data.toString('latin1').split('\n');
    const unfinished = lines.pop()!;
    const frames = lines
      .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
      .filter((line) => line !== '')
      .map((line) => (line.length > max ? 'oversize' : line));
    return unfinished.length > max + 1 ? [...frames, 'oversize'] : frames;
  }

  const shape = (events: readonly FrameEvent[]) =>
    flatten(events).map((s) => (typeof s === 'string' ? s : 'oversize'));

  it('any way of cutting a byte stream into chunks gives the same frames', () => {
    fc.assert(
      fc.property(
        stream.chain((data) =>
          fc.tuple(fc.constant(data), cuts(data.length), fc.integer({ min: 1, max: 12 })),
        ),
        ([data, at, max]) => {
          const whole = push([data], max).events;
          const pieces = push(cut(data, at), max).events;
          expect(shape(pieces)).toEqual(shape(whole));
          expect(shape(whole)).toEqual(reference(data, max));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('every run ends in LF and holds `count` frames, none empty and none over the limit', () => {
    fc.assert(
      fc.property(
        stream.chain((data) =>
          fc.tuple(fc.constant(data), cuts(data.length), fc.integer({ min: 1, max: 12 })),
        ),
        ([data, at, max]) => {
          for (const event of push(cut(data, at), max).events) {
            if (event.kind === 'oversize') {
              expect(event.bytes).toBeGreaterThan(max);
              continue;
            }
            expect(event.data[event.data.length - 1]).toBe(0x0a);
            expect(event.data.filter((b) => b === 0x0a).length).toBe(event.count);
            for (const frame of framesOf(event)) {
              expect(frame.length).toBeGreaterThan(0);
              expect(frame.length).toBeLessThanOrEqual(max);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('FrameSplitter, bounds', () => {
  it('holds a frame that trickles in one byte per read in one Buffer, at most twice its size', () => {
    const splitter = new FrameSplitter({ maxFrameBytes: 64 * 1024 });
    const events: FrameEvent[] = [];
    const text = 'x'.repeat(60_000);
    for (let i = 0; i < text.length; i++) {
      splitter.push(Buffer.from(text[i]!), (e) => events.push(e));
      expect(splitter.heldBytes).toBeLessThanOrEqual(Math.max(64, 2 * (i + 1)));
    }
    expect(splitter.heldBytes).toBeLessThanOrEqual(64 * 1024 + 2);
    splitter.push(Buffer.from('\n'), (e) => events.push(e));
    expect(flatten(events)).toEqual([text]);
    expect(splitter.heldBytes).toBe(0);
  });

  it('does not keep the reads a held frame came in (it copies the part it holds)', () => {
    const splitter = new FrameSplitter({ maxFrameBytes: 1024 });
    const read = Buffer.from('done\npart');
    splitter.push(read, () => {});
    read.fill(0x5a); // the socket's buffer, reused or not, is no longer the splitter's
    const events: FrameEvent[] = [];
    splitter.push(Buffer.from('ial\n'), (e) => events.push(e));
    expect(flatten(events)).toEqual(['partial']);
  });

  it('stops after maxLines lines and says where; the rest, pushed later, gives the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('tok', '', 'x'.repeat(20), 'a\r', '#ping'), { maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        (lines, budget) => {
          const text = lines.map((l) => `${l}\n`).join('');
          const whole = push([text], 16).seen;
          const splitter = new FrameSplitter({ maxFrameBytes: 16 });
          const events: FrameEvent[] = [];
          let rest = Buffer.from(text, 'latin1');
          for (let guard = 0; rest.length > 0 && guard < 100; guard++) {
            const before = events.length;
            const taken = splitter.push(rest, (e) => events.push(e), budget);
            const lineCount = events
              .slice(before)
              .reduce((sum, e) => sum + (e.kind === 'frames' ? e.count : 1), 0);
            expect(lineCount).toBeLessThanOrEqual(budget);
            rest = rest.subarray(taken);
          }
          expect(flatten(events)).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });
});
