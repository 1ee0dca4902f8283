import { describe, expect, it } from 'vitest';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import { expandReceived, virtualReplay } from '../../src/replay/virtualReplay.ts';
import { tokenDigest } from '../../src/protocol/frameDigest.ts';
import { historyRecordingText, RECORDED_EPOCH, recordingText, TOKEN_A } from '../recording/recordingText.ts';
import { tokenOf } from '../support/testKey.ts';

/** The replay, each connection's runs of presence notices written out one by one. */
function replay(...records: object[]) {
  return replayText(recordingText(...records));
}

function replayText(text: string) {
  const parsed = parseRecording(text);
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

  describe('of a hub that kept history', () => {
    const [t1, t2, t3, t4] = [tokenOf('one'), tokenOf('two'), tokenOf('three'), tokenOf('four')];
    const said = (peer: number, t: number, ...tokens: string[]) =>
      tokens.map((data) => ({ type: 'frame', t, peer, data }));
    const textsOf = (result: ReturnType<typeof replayText>, peer: number) =>
      result.connections.find((c) => c.peer === peer)!.received.map((r) => r.text);

    it('answers a late joiner and a resume as the recorded hub did, in its epoch, every frame to whoever asked', () => {
      const result = replayText(
        historyRecordingText(
          {},
          { type: 'join', t: 0, peer: 1, remote: 'a' },
          ...said(1, 1, t1, t2, t3),
          // A late joiner asks for the last two.
          { type: 'join', t: 2, peer: 2, remote: 'b' },
          { type: 'recall', t: 3, peer: 2, request: '#history 2' },
          { type: 'notice', t: 3, peer: 2, text: '#history-end 2 complete' },
          { type: 'leave', t: 4, peer: 2, reason: 'econnreset' },
          ...said(1, 5, t4),
          // It comes back and resumes after the last frame it saw; and someone who knew an earlier hub.
          { type: 'join', t: 6, peer: 3, remote: 'b' },
          { type: 'recall', t: 7, peer: 3, request: `#resume ${RECORDED_EPOCH} ${tokenDigest(t3)}` },
          { type: 'notice', t: 7, peer: 3, text: '#history-end 1 complete' },
          { type: 'join', t: 8, peer: 4, remote: 'c' },
          { type: 'recall', t: 9, peer: 4, request: '#resume 0ld-Ep0ch -' },
          { type: 'notice', t: 9, peer: 4, text: '#history-end 4 gap' },
        ),
      );
      expect(result.problems).toEqual([]);
      expect(textsOf(result, 2)).toEqual([
        `#hello fernet-chat/1 2 2 ${RECORDED_EPOCH} ${tokenDigest(t3)}`,
        '#history-start',
        t2,
        t3,
        '#history-end 2 complete',
      ]);
      expect(textsOf(result, 3)).toEqual([
        `#hello fernet-chat/1 3 2 ${RECORDED_EPOCH} ${tokenDigest(t4)}`,
        '#history-start',
        t4,
        '#history-end 1 complete',
        '#joined 4 3',
      ]);
      expect(textsOf(result, 4)).toEqual([
        `#hello fernet-chat/1 4 3 ${RECORDED_EPOCH} ${tokenDigest(t4)}`,
        '#history-start',
        t1,
        t2,
        t3,
        t4,
        '#history-end 4 gap',
      ]);
      // The sender got nothing back, from history or live.
      expect(textsOf(result, 1).filter((text) => !text.startsWith('#'))).toEqual([]);
    });

    it('keeps the recorded limits: a hub that kept two frames answers #history 3 with two and a gap', () => {
      const result = replayText(
        historyRecordingText(
          { frames: 2 },
          { type: 'join', t: 0, peer: 1, remote: 'a' },
          ...said(1, 1, t1, t2, t3),
          { type: 'join', t: 2, peer: 2, remote: 'b' },
          { type: 'recall', t: 3, peer: 2, request: '#history 3' },
          { type: 'notice', t: 3, peer: 2, text: '#history-end 2 gap' },
        ),
      );
      expect(result.problems).toEqual([]);
      expect(textsOf(result, 2).slice(1)).toEqual(['#history-start', t2, t3, '#history-end 2 gap']);
    });

    it('reports a recorded answer that the hub actor no longer gives', () => {
      const result = replayText(
        historyRecordingText(
          {},
          { type: 'join', t: 0, peer: 1, remote: 'a' },
          ...said(1, 1, t1, t2),
          { type: 'join', t: 2, peer: 2, remote: 'b' },
          { type: 'recall', t: 3, peer: 2, request: '#history 5' },
          { type: 'notice', t: 3, peer: 2, text: '#history-end 5 complete' },
        ),
      );
      expect(result.problems).toEqual([
        'line 7: the recording says the hub sent "#history-end 5 complete" to connection 2, but the hub actor now sends "#history-end 2 complete"',
      ]);
    });
  });
});
