import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogSink } from '../../src/hub/logSink.ts';

/** A stream whose reader takes nothing until `release()`: every write waits. */
function stuckReader() {
  const waiting: (() => void)[] = [];
  const written: string[] = [];
  const stream = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      waiting.push(done);
    },
  });
  const release = () => {
    while (waiting.length > 0) waiting.shift()!();
  };
  return { stream, written, release };
}

describe('LogSink', () => {
  it('lets no more than its limit wait for a reader that does not keep up, and counts what it drops', () => {
    const { stream } = stuckReader();
    const sink = new LogSink(stream, (count) => `dropped ${count}\n`, 1_000);
    const line = `${'x'.repeat(99)}\n`;
    for (let i = 0; i < 100_000; i++) sink.write(line);
    // A line goes in while under the limit: at most the limit and one line wait.
    expect(stream.writableLength).toBeLessThanOrEqual(1_000 + line.length);
    expect(sink.droppedLines).toBe(100_000 - Math.ceil(1_001 / line.length));
  });

  it('says how many lines were dropped once the reader has caught up, then writes on', async () => {
    const { stream, written, release } = stuckReader();
    const sink = new LogSink(stream, (count) => `dropped ${count}\n`, 1_000);
    for (let i = 0; i < 50; i++) sink.write(`line ${i} ${'x'.repeat(90)}\n`);
    const dropped = sink.droppedLines;
    expect(dropped).toBeGreaterThan(0);
    // The reader takes it all; the drain brings the count.
    for (let i = 0; i < 20 && (written.at(-1) ?? '') !== `dropped ${dropped}\n`; i++) {
      release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(written.at(-1)).toBe(`dropped ${dropped}\n`);
    expect(sink.droppedLines).toBe(0);
    sink.write('after\n');
    release();
    expect(written.at(-1)).toBe('after\n');
  });
});
