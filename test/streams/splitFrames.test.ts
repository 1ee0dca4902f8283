import { from, lastValueFrom, Subject, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type FrameEvent, framesOf } from '../../src/streams/frameEvent.ts';
import { splitFrames } from '../../src/streams/splitFrames.ts';

const chunks = (...texts: string[]) => from(texts.map((text) => Buffer.from(text)));

describe('splitFrames', () => {
  it('turns a stream of chunks into frame runs and oversize reports', async () => {
    const events = await lastValueFrom(
      chunks('a\nb', 'c\n', 'x'.repeat(20), '\nd\n').pipe(splitFrames({ maxFrameBytes: 8 }), toArray()),
    );
    const seen = events.flatMap((e) => (e.kind === 'oversize' ? ['oversize'] : framesOf(e).map(String)));
    expect(seen).toEqual(['a', 'bc', 'oversize', 'd']);
  });

  it('drops an unfinished frame when the stream completes, and completes', async () => {
    const events = await lastValueFrom(
      chunks('whole\n', 'unfinished').pipe(splitFrames({ maxFrameBytes: 64 }), toArray()),
    );
    expect(events).toEqual([{ kind: 'frames', data: Buffer.from('whole\n'), count: 1 }]);
  });

  it('passes an error on after the frames before it', async () => {
    const seen: FrameEvent[] = [];
    const input = new Subject<Buffer>();
    const done = new Promise<unknown>((resolve) =>
      input.pipe(splitFrames({ maxFrameBytes: 64 })).subscribe({ next: (e) => seen.push(e), error: resolve }),
    );
    input.next(Buffer.from('a\n'));
    input.error(new Error('ECONNRESET'));
    expect(await done).toEqual(new Error('ECONNRESET'));
    expect(seen).toHaveLength(1);
  });

  it('keeps separate state per subscription', async () => {
    const source = chunks('half', '\n');
    const split = source.pipe(splitFrames({ maxFrameBytes: 64 }), toArray());
    expect((await lastValueFrom(split)).length).toBe(1);
    expect((await lastValueFrom(split)).length).toBe(1);
  });

  it('uses chunk framing when told to', async () => {
    const events = await lastValueFrom(
      chunks('abc', 'def').pipe(splitFrames({ maxFrameBytes: 64, framing: 'chunk' }), toArray()),
    );
    expect(events.flatMap((e) => (e.kind === 'frames' ? framesOf(e).map(String) : []))).toEqual([
      'abc',
      'def',
    ]);
  });

  it('does not swallow errors thrown upstream', async () => {
    await expect(
      lastValueFrom(throwError(() => new Error('boom')).pipe(splitFrames({ maxFrameBytes: 8 }))),
    ).rejects.toThrow('boom');
  });
});
