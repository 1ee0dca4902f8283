import { filter, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { hubActor } from '../../src/actors/hubActor.ts';
import type { HubEffect } from '../../src/streams/hubEvent.ts';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import type { Recording } from '../../src/recording/recording.ts';
import { hubActorOptionsOf, hubEventOf } from '../../src/replay/hubEventOf.ts';
import { recordedEvents } from '../../src/replay/recordedEvents.ts';
import {
  HEADER,
  historyRecordingText,
  RECORDED_EPOCH,
  recordingText,
  TOKEN_A,
} from '../recording/recordingText.ts';
import { Recipients } from '../../src/streams/recipients.ts';
import { tokenDigest } from '../../src/protocol/frameDigest.ts';
import { tokenOf } from '../support/testKey.ts';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

function recording(text: string): Recording {
  const parsed = parseRecording(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.recording;
}

/** The hub actor driven by a recording, on the test scheduler: effects at the recorded times. */
function effectsOf(rec: Recording, scheduler: TestScheduler) {
  return recordedEvents(rec.entries, scheduler).pipe(
    map((entry) => hubEventOf(entry.record)),
    filter((event) => event !== undefined),
    hubActor(hubActorOptionsOf(rec.header.hub)),
    filter((effect: HubEffect) => effect.type !== 'log'),
  );
}

describe('the hub actor driven by a recording (marbles)', () => {
  it('answers each recorded event at its recorded time', () => {
    const rec = recording(
      recordingText(
        { type: 'join', t: 0, peer: 1, remote: '127.0.0.1:1' },
        { type: 'join', t: 5, peer: 2, remote: '127.0.0.1:2' },
        { type: 'frame', t: 10, peer: 1, data: TOKEN_A },
        { type: 'ping', t: 12, peer: 2 },
        { type: 'reject', t: 15, peer: 2, code: 'bad-frame', detail: 'not a Fernet token: wrong length' },
        { type: 'notice', t: 15, peer: 2, text: '#error bad-frame not a Fernet token: wrong length' },
        { type: 'leave', t: 20, peer: 1, reason: 'quit' },
        { type: 'shutdown', t: 30, reason: 'shutdown' },
      ),
    );
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      expectObservable(effectsOf(rec, scheduler)).toBe('a 4ms (bc) 1ms d 1ms e 2ms f 4ms g 9ms (h|)', {
        a: { type: 'notice', peer: 1, text: '#hello fernet-chat/1 1 1' },
        b: { type: 'notice', peer: 2, text: '#hello fernet-chat/1 2 2' },
        // #joined and #left: one shared Buffer for all the others, like a data frame.
        c: { type: 'deliver', data: Buffer.from('#joined 2 2\n'), to: new Recipients([1, 2], 2) },
        d: { type: 'deliver', data: Buffer.from(`${TOKEN_A}\n`), to: new Recipients([1, 2], 1) },
        e: { type: 'notice', peer: 2, text: '#pong' },
        f: { type: 'notice', peer: 2, text: '#error bad-frame not a Fernet token: wrong length' },
        g: { type: 'deliver', data: Buffer.from('#left 1 1 quit\n'), to: new Recipients([2], 1) },
        h: { type: 'close', peer: 2, reason: 'shutdown' },
      });
    });
  });

  // Silence counts from the first tick after the join (40): #ping at the first tick 100 ms on,
  // and the close at the first tick 50 ms after that.
  it('keeps time from the recorded ticks: an idle peer is pinged, then closed, as it was live', () => {
    const text = recordingText(
      { type: 'join', t: 0, peer: 1, remote: '127.0.0.1:1' },
      ...[40, 80, 120, 160, 200, 240].map((t) => ({ type: 'tick', t })),
      { type: 'leave', t: 240, peer: 1, reason: 'idle' },
    ).replace(HEADER, HEADER.replace('"keepalive":null', '"keepalive":{"idleMs":100,"pongTimeoutMs":50}'));
    const rec = recording(text);
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      expectObservable(effectsOf(rec, scheduler)).toBe('a 159ms p 79ms (c|)', {
        a: { type: 'notice', peer: 1, text: '#hello fernet-chat/1 1 1' },
        p: { type: 'notice', peer: 1, text: '#ping' },
        c: { type: 'close', peer: 1, reason: 'idle' },
      });
    });
  });

  // A late joiner asks for history, leaves, and comes back to resume after the frame it saw last;
  // the hub actor has the recorded epoch and limits, so its answers are the recorded ones.
  it('answers recorded requests for history and resumes from the recorded history, in the recorded epoch', () => {
    const tokenB = tokenOf('b');
    const rec = recording(
      historyRecordingText(
        { frames: 10 },
        { type: 'join', t: 0, peer: 1, remote: '127.0.0.1:1' },
        { type: 'frame', t: 10, peer: 1, data: TOKEN_A },
        { type: 'join', t: 20, peer: 2, remote: '127.0.0.1:2' },
        { type: 'recall', t: 30, peer: 2, request: '#history 5' },
        { type: 'notice', t: 30, peer: 2, text: '#history-end 1 complete' },
        { type: 'leave', t: 40, peer: 2, reason: 'econnreset' },
        { type: 'frame', t: 50, peer: 1, data: tokenB },
        { type: 'join', t: 60, peer: 3, remote: '127.0.0.1:2' },
        { type: 'recall', t: 70, peer: 3, request: `#resume ${RECORDED_EPOCH} ${tokenDigest(TOKEN_A)}` },
        { type: 'notice', t: 70, peer: 3, text: '#history-end 1 complete' },
        { type: 'recall', t: 80, peer: 3, request: '#history 5' },
      ),
    );
    const hello = (peer: number, online: number, last: string) => ({
      type: 'notice',
      peer,
      text: `#hello fernet-chat/1 ${peer} ${online} ${RECORDED_EPOCH} ${last}`,
    });
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      expectObservable(effectsOf(rec, scheduler)).toBe(
        'a 9ms b 9ms (cd) 6ms (efg) 5ms h 9ms i 9ms (jk) 6ms (lmn) 5ms (o|)',
        {
          a: hello(1, 1, '-'),
          b: { type: 'deliver', data: Buffer.from(`${TOKEN_A}\n`), to: new Recipients([1], 1) },
          c: hello(2, 2, tokenDigest(TOKEN_A)),
          d: { type: 'deliver', data: Buffer.from('#joined 2 2\n'), to: new Recipients([1, 2], 2) },
          e: { type: 'notice', peer: 2, text: '#history-start' },
          f: { type: 'deliver', data: Buffer.from(`${TOKEN_A}\n`), to: Recipients.only(2) },
          g: { type: 'notice', peer: 2, text: '#history-end 1 complete' },
          h: { type: 'deliver', data: Buffer.from('#left 2 1 econnreset\n'), to: new Recipients([1], 2) },
          i: { type: 'deliver', data: Buffer.from(`${tokenB}\n`), to: new Recipients([1], 1) },
          j: hello(3, 2, tokenDigest(tokenB)),
          k: { type: 'deliver', data: Buffer.from('#joined 3 2\n'), to: new Recipients([1, 3], 3) },
          l: { type: 'notice', peer: 3, text: '#history-start' },
          m: { type: 'deliver', data: Buffer.from(`${tokenB}\n`), to: Recipients.only(3) },
          n: { type: 'notice', peer: 3, text: '#history-end 1 complete' },
          o: {
            type: 'notice',
            peer: 3,
            text: '#error bad-request one history or resume request per connection',
          },
        },
      );
    });
  });

  it('emits a recording in file order, events of the same time in the same frame', () => {
    const rec = recording(
      recordingText(
        { type: 'tick', t: 0 },
        { type: 'tick', t: 3 },
        { type: 'tick', t: 3 },
        { type: 'tick', t: 7.5 },
      ),
    );
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      expectObservable(recordedEvents(rec.entries, scheduler).pipe(map((e) => e.line))).toBe(
        'a 2ms (bc) 0.5ms (d|)',
        { a: 2, b: 3, c: 4, d: 5 },
      );
    });
  });
});
