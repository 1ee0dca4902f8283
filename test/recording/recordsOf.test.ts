import { describe, expect, it } from 'vitest';
import type { HubEvent } from '../../src/streams/hubEvent.ts';
import { eventRecordSchema } from '../../src/recording/recordingSchema.ts';
import { isRecordedNotice, recordLine, recordsOf } from '../../src/recording/recordsOf.ts';
import { hubEventOf } from '../../src/replay/hubEventOf.ts';
import { tokenDigest } from '../../src/protocol/frameDigest.ts';
import { tokenOf } from '../support/testKey.ts';

const t1 = tokenOf('one');
const t2 = tokenOf('two');
const t3 = tokenOf('three');

describe('recordsOf', () => {
  it('records a run of frames as one record per frame, the text exactly, LF removed', () => {
    const data = Buffer.from(`${t1}\n${t2}\n${t3}\n`);
    const records = recordsOf({ type: 'frames', peer: 4, run: { kind: 'frames', data, count: 3 } }, 12.5);
    expect(records).toEqual([
      { type: 'frame', t: 12.5, peer: 4, data: t1 },
      { type: 'frame', t: 12.5, peer: 4, data: t2 },
      { type: 'frame', t: 12.5, peer: 4, data: t3 },
    ]);
  });

  it('records a refused line by why, never by what it said', () => {
    const event: HubEvent = {
      type: 'rejected',
      peer: 2,
      code: 'bad-frame',
      detail: 'not a Fernet token: characters outside base64url',
    };
    expect(recordsOf(event, 3)).toEqual([
      {
        type: 'reject',
        t: 3,
        peer: 2,
        code: 'bad-frame',
        detail: 'not a Fernet token: characters outside base64url',
      },
    ]);
  });

  it('gives records that the schema accepts, for every kind of event', () => {
    const events: HubEvent[] = [
      { type: 'joined', peer: 1, remote: '127.0.0.1:5000' },
      { type: 'frames', peer: 1, run: { kind: 'frames', data: Buffer.from(`${t1}\n`), count: 1 } },
      {
        type: 'rejected',
        peer: 1,
        code: 'frame-too-large',
        detail: 'frame of 70000+ bytes exceeds the limit of 65536',
      },
      { type: 'ping', peer: 1 },
      { type: 'pong', peer: 1 },
      { type: 'recall', peer: 1, request: { kind: 'history', count: 50 } },
      { type: 'tick', now: 123.4 },
      { type: 'left', peer: 1, reason: 'econnreset' },
      { type: 'shutdown', reason: 'shutdown' },
    ];
    const records = events.flatMap((event) => recordsOf(event, 7));
    expect(records.map((r) => r.type)).toEqual([
      'join',
      'frame',
      'reject',
      'ping',
      'pong',
      'recall',
      'tick',
      'leave',
      'shutdown',
    ]);
    for (const record of records) {
      const line = recordLine(record);
      expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
      expect(eventRecordSchema.parse(JSON.parse(line))).toEqual(record);
    }
  });

  it('records a request for history as its line, which a replay reads back as the same request', () => {
    const requests: HubEvent[] = [
      { type: 'recall', peer: 3, request: { kind: 'history', count: 0 } },
      { type: 'recall', peer: 3, request: { kind: 'history', count: 999_999_999 } },
      { type: 'recall', peer: 3, request: { kind: 'resume', epoch: 'Ep0ch_1-x', after: tokenDigest(t1) } },
      { type: 'recall', peer: 3, request: { kind: 'resume', epoch: 'Ep0ch_1-x', after: undefined } },
    ];
    const records = requests.flatMap((event) => recordsOf(event, 4));
    expect(records.map((r) => r.type === 'recall' && r.request)).toEqual([
      '#history 0',
      '#history 999999999',
      `#resume Ep0ch_1-x ${tokenDigest(t1)}`,
      '#resume Ep0ch_1-x -',
    ]);
    const readBack = records.map((record) =>
      hubEventOf(eventRecordSchema.parse(JSON.parse(recordLine(record)))),
    );
    expect(readBack).toEqual(requests);
  });

  it('gives nothing for an event it does not know yet, so a new event never breaks the hub', () => {
    expect(recordsOf({ type: 'something-new' } as unknown as HubEvent, 1)).toEqual([]);
  });

  it('keeps the #error notices and the ends of history answers, and no other', () => {
    expect(
      isRecordedNotice({
        type: 'notice',
        peer: 1,
        text: '#error bad-frame not a Fernet token: wrong length',
      }),
    ).toBe(true);
    expect(isRecordedNotice({ type: 'notice', peer: 1, text: '#history-end 3 gap' })).toBe(true);
    expect(isRecordedNotice({ type: 'notice', peer: 1, text: '#history-start' })).toBe(false);
    expect(isRecordedNotice({ type: 'notice', peer: 1, text: '#joined 2 2' })).toBe(false);
    expect(isRecordedNotice({ type: 'close', peer: 1, reason: 'idle' })).toBe(false);
  });
});
