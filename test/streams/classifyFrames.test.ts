import { describe, expect, it } from 'vitest';
import type { HubEvent } from '../../src/streams/hubEvent.ts';
import { classifyFrameEvent } from '../../src/streams/classifyFrames.ts';
import type { FrameEvent, FrameRun } from '../../src/streams/frameEvent.ts';
import { framesOf } from '../support/frames.ts';
import { tokenOf } from '../support/testKey.ts';

const PEER = 7;
const t1 = tokenOf('one');
const t2 = tokenOf('two');
const t3 = tokenOf('three');

function run(...frames: string[]): FrameRun {
  return { kind: 'frames', data: Buffer.from(frames.map((f) => `${f}\n`).join('')), count: frames.length };
}

async function classify(...events: FrameEvent[]): Promise<HubEvent[]> {
  const out: HubEvent[] = [];
  for (const event of events) classifyFrameEvent(PEER, event, { next: (e) => out.push(e) });
  return out;
}

/** Events with each run shown as its frames, as text. */
function readable(events: readonly HubEvent[]) {
  return events.map((e) => (e.type === 'frames' ? { frames: framesOf(e.run).map(String), peer: e.peer } : e));
}

describe('classifyFrameEvent', () => {
  it('passes a run of well-shaped tokens through as it is: the same Buffer, no copy', async () => {
    const input = run(t1, t2, t3);
    const events = await classify(input);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({ type: 'frames', peer: PEER, run: { count: 3 } });
    if (event?.type !== 'frames') throw new Error('unreachable');
    expect(event.run.data).toBe(input.data);
  });

  it('cuts a run around a bad frame in the middle, keeping order, with views of the same Buffer', async () => {
    const input = run(t1, 'not a token', t2, t3);
    const events = await classify(input);
    expect(readable(events)).toEqual([
      { frames: [t1], peer: PEER },
      {
        type: 'rejected',
        peer: PEER,
        code: 'bad-frame',
        detail: 'not a Fernet token: characters outside base64url',
      },
      { frames: [t2, t3], peer: PEER },
    ]);
    for (const e of events) if (e.type === 'frames') expect(e.run.data.buffer).toBe(input.data.buffer);
  });

  it('handles bad frames at either end of a run, and runs of only bad frames', async () => {
    expect(readable(await classify(run('bad!', t1, 'bad?')))).toEqual([
      expect.objectContaining({ type: 'rejected', code: 'bad-frame' }),
      { frames: [t1], peer: PEER },
      expect.objectContaining({ type: 'rejected', code: 'bad-frame' }),
    ]);
    expect((await classify(run('x', 'y'))).map((e) => e.type)).toEqual(['rejected', 'rejected']);
  });

  it('names the shape problem', async () => {
    const short = t1.slice(0, 40);
    const version = `hA${t1.slice(2)}`;
    const events = await classify(run(short, version));
    expect(events).toEqual([
      { type: 'rejected', peer: PEER, code: 'bad-frame', detail: 'not a Fernet token: wrong length' },
      {
        type: 'rejected',
        peer: PEER,
        code: 'bad-frame',
        detail: 'not a Fernet token: version byte is not 0x80',
      },
    ]);
  });

  it('turns #ping into a ping and #pong into a pong, in order among tokens', async () => {
    expect(readable(await classify(run(t1, '#ping', t2, '#pong')))).toEqual([
      { frames: [t1], peer: PEER },
      { type: 'ping', peer: PEER },
      { frames: [t2], peer: PEER },
      { type: 'pong', peer: PEER },
    ]);
  });

  it('rejects an unknown #command, naming it', async () => {
    expect(await classify(run('#shout hello everyone', '#pingx', '#'))).toEqual([
      { type: 'rejected', peer: PEER, code: 'unknown-command', detail: 'unknown command #shout' },
      { type: 'rejected', peer: PEER, code: 'unknown-command', detail: 'unknown command #pingx' },
      { type: 'rejected', peer: PEER, code: 'unknown-command', detail: 'unknown command #' },
    ]);
  });

  it('names an unknown #command in printable ASCII only, so no escape sequence reaches a log or terminal', async () => {
    expect(await classify(run('#\x1b]2;pwned\x07 now', '#caf\u00e9'))).toEqual([
      { type: 'rejected', peer: PEER, code: 'unknown-command', detail: 'unknown command #?]2;pwned?' },
      { type: 'rejected', peer: PEER, code: 'unknown-command', detail: 'unknown command #caf??' },
    ]);
  });

  it('rejects an oversize frame as frame-too-large', async () => {
    expect(await classify({ kind: 'oversize', bytes: 70_000, limit: 65_536 })).toEqual([
      {
        type: 'rejected',
        peer: PEER,
        code: 'frame-too-large',
        detail: 'frame of 70000+ bytes exceeds the limit of 65536',
      },
    ]);
  });
});
