import { describe, expect, it } from 'vitest';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import { expandReceived, virtualReplay } from '../../src/replay/virtualReplay.ts';
import { recordingText, TOKEN_A } from '../recording/recordingText.ts';

/** The replay, each connection's runs of presence notices written out one by one. */
function replay(...records: object[]) {
  const parsed = parseRecording(recordingText(...records));
  if (!parsed.ok) throw new Error(parsed.error.message);
  const result = virtualReplay(parsed.recording);
  return {
    ...result,
    connections: result.connections.map((c) => ({ ...c, received: expandReceived(c.received) })),
  };
}

describe('virtualReplay', () => {
  it('collects per connection what the hub actor sent it, with the line that caused it', () => {
    const result = replay(
      { type: 'join', t: 0, peer: 1, remote: 'a' },
      { type: 'join', t: 10, peer: 2, remote: 'b' },
      { type: 'frame', t: 20, peer: 2, data: TOKEN_A },
      { type: 'leave', t: 30, peer: 2, reason: 'econnreset' },
    );
    expect(result.problems).toEqual([]);
    expect(result.connections).toEqual([
      {
        peer: 1,
        joinedAt: 0,
        leftAt: undefined,
        reason: undefined,
        received: [
          { t: 0, cause: 2, kind: 'notice', text: '#hello fernet-chat/1 1 1' },
          { t: 10, cause: 3, kind: 'notice', text: '#joined 2 2' },
          { t: 20, cause: 4, kind: 'frame', text: TOKEN_A },
          { t: 30, cause: 5, kind: 'notice', text: '#left 2 1 econnreset' },
        ],
      },
      {
        peer: 2,
        joinedAt: 10,
        leftAt: 30,
        reason: 'econnreset',
        received: [{ t: 10, cause: 3, kind: 'notice', text: '#hello fernet-chat/1 2 2' }],
      },
    ]);
  });

  it('shows a close as the #bye the peer gets, and nothing after it', () => {
    const result = replay(
      { type: 'join', t: 0, peer: 1, remote: 'a' },
      { type: 'join', t: 1, peer: 2, remote: 'b' },
      { type: 'shutdown', t: 2, reason: 'shutdown' },
      { type: 'frame', t: 3, peer: 2, data: TOKEN_A },
      { type: 'join', t: 4, peer: 3, remote: 'c' },
    );
    expect(result.connections.map((c) => c.received.map((r) => r.text))).toEqual([
      ['#hello fernet-chat/1 1 1', '#joined 2 2', '#bye shutdown'],
      ['#hello fernet-chat/1 2 2', '#bye shutdown'],
      ['#bye shutdown'],
    ]);
  });

  it('reports where the recorded #error notices are not what the hub actor sends today', () => {
    const result = replay(
      { type: 'join', t: 0, peer: 1, remote: 'a' },
      { type: 'reject', t: 1, peer: 1, code: 'bad-frame', detail: 'not a Fernet token: wrong length' },
      { type: 'notice', t: 1, peer: 1, text: '#error bad-frame something else' },
    );
    expect(result.problems).toEqual([
      'line 4: the recording says the hub sent "#error bad-frame something else" to connection 1, but the hub actor now sends "#error bad-frame not a Fernet token: wrong length"',
    ]);
  });

  it('notes the gaps the recorder marked', () => {
    const result = replay({ type: 'join', t: 0, peer: 1, remote: 'a' }, { type: 'dropped', t: 5, count: 12 });
    expect(result.notes).toEqual([
      'the recorder lost 12 records before line 3 (its disk could not keep up); what follows may be incomplete',
    ]);
  });
});
