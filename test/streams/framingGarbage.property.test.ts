/**
 * Framing and classification together, as a peer's bytes go through the hub: well-shaped tokens
 * mixed with garbage, oversize lines and commands, cut into chunks anywhere. (The splitter's own
 * chunking properties are in frameSplitter.test.ts; these add what the hub makes of the frames.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HubEvent } from '../../src/streams/hubEvent.ts';
import { tokenShapeProblem } from '../../src/protocol/tokenShape.ts';
import { framesOf, hubEventsOf } from '../support/frames.ts';
import { shapedToken } from '../robustness/support/shapedToken.ts';

const MAX = 300;
const LF = 0x0a;
const CR = 0x0d;

/** One line of what a peer sends (without its LF) and whether it ends in CRLF. */
interface Line {
  readonly bytes: Buffer;
  readonly crlf: boolean;
}

const token = fc
  .tuple(fc.nat({ max: 1000 }), fc.nat({ max: 1000 }), fc.integer({ min: 1, max: 8 }))
  .map(([sender, seq, k]) => Buffer.from(shapedToken(sender, seq, k)));
/** Any bytes but LF (a line cannot hold one), and not ending in CR (framing would drop it). */
const garbage = fc
  .uint8Array({ minLength: 1, maxLength: 120 })
  .map((bytes) => Buffer.from(bytes.filter((b) => b !== LF)))
  .filter((bytes) => bytes.length > 0 && bytes[bytes.length - 1] !== CR);
const oversize = fc.integer({ min: MAX + 1, max: 3 * MAX }).map((n) => Buffer.alloc(n, 'g'));
const command = fc.constantFrom('#ping', '#pong', '#nick bob', '#').map((text) => Buffer.from(text));
/** A token with one byte changed to something outside base64url. */
const tampered = fc
  .tuple(token, fc.nat(), fc.constantFrom(0x00, 0x20, 0x2b, 0x2f, 0xff, 0x7f))
  .map(([bytes, at, bad]) => {
    const copy = Buffer.from(bytes);
    copy[at % (copy.length - 2)] = bad; // not in the = padding at the end
    return copy;
  });

const line: fc.Arbitrary<Line> = fc.record({
  bytes: fc.oneof(
    { weight: 6, arbitrary: token },
    { weight: 3, arbitrary: garbage },
    { weight: 1, arbitrary: oversize },
    { weight: 1, arbitrary: command },
    { weight: 2, arbitrary: tampered },
  ),
  crlf: fc.boolean(),
});

/** What the hub should make of one line: the reference, written the obvious way. */
type Outcome = { frame: string } | { rejected: string } | { ping: true } | { pong: true };

function expected(bytes: Buffer): Outcome {
  if (bytes.length > MAX) return { rejected: 'frame-too-large' };
  if (bytes[0] === 0x23) {
    const text = bytes.toString('latin1');
    if (text === '#ping') return { ping: true };
    if (text === '#pong') return { pong: true };
    return { rejected: 'unknown-command' };
  }
  return tokenShapeProblem(bytes) === undefined
    ? { frame: bytes.toString('latin1') }
    : { rejected: 'bad-frame' };
}

function outcomes(events: readonly HubEvent[]): Outcome[] {
  return events.flatMap((event): Outcome[] => {
    switch (event.type) {
      case 'frames':
        return framesOf(event.run).map((f) => ({ frame: f.toString('latin1') }));
      case 'rejected':
        return [{ rejected: event.code }];
      case 'ping':
        return [{ ping: true }];
      case 'pong':
        return [{ pong: true }];
      default:
        throw new Error(`unexpected ${event.type}`);
    }
  });
}

function cut(data: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set([0, ...at.map((p) => p % (data.length + 1)), data.length])].sort(
    (a, b) => a - b,
  );
  return points.slice(1).map((end, i) => data.subarray(points[i], end));
}

async function hubSees(chunks: readonly Buffer[]): Promise<HubEvent[]> {
  return hubEventsOf(chunks, MAX);
}

describe('framing and classification under arbitrary chunking, garbage and oversize lines', () => {
  it('every line has exactly its outcome, in order: tokens pass byte for byte, the rest is refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 40, size: 'medium' }),
        fc.array(fc.nat(), { maxLength: 30, size: 'medium' }),
        async (lines, at) => {
          const data = Buffer.concat(lines.flatMap((l) => [l.bytes, Buffer.from(l.crlf ? '\r\n' : '\n')]));
          const events = await hubSees(cut(data, at));
          expect(outcomes(events)).toEqual(lines.map((l) => expected(l.bytes)));
          // Runs are what the hub relays: each ends in LF and holds only well-shaped tokens.
          for (const event of events)
            if (event.type === 'frames') {
              expect(event.run.data[event.run.data.length - 1]).toBe(LF);
              expect(event.run.count).toBe(framesOf(event.run).length);
            }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a stream cut one byte at a time gives the same events as one read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), async (lines) => {
        const data = Buffer.concat(lines.flatMap((l) => [l.bytes, Buffer.from(l.crlf ? '\r\n' : '\n')]));
        const whole = outcomes(await hubSees([data]));
        const bytes = outcomes(await hubSees([...data].map((b) => Buffer.from([b]))));
        expect(bytes).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });
});
