import { filter, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { hubActor, type HubActorOptions } from '../../src/actors/hubActor.ts';
import { tokenDigest } from '../../src/protocol/frameDigest.ts';
import type { HistoryRequest } from '../../src/protocol/historyRequest.ts';
import type { HubEffect, HubEvent, PeerId } from '../../src/streams/hubEvent.ts';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const EPOCH = 'epochA';
const roomy = { frames: 100, bytes: 1 << 20, maxAgeMs: 60_000 };
const withHistory = (limits = roomy, maxAnswerBytes = 1 << 20): HubActorOptions => ({
  notices: true,
  history: { limits, epoch: EPOCH, maxAnswerBytes },
});

const joined = (peer: PeerId): HubEvent => ({ type: 'joined', peer, remote: `127.0.0.1:${50_000 + peer}` });
const left = (peer: PeerId): HubEvent => ({ type: 'left', peer, reason: 'quit' });
const said = (peer: PeerId, ...texts: string[]): HubEvent => ({
  type: 'frames',
  peer,
  run: { kind: 'frames', data: Buffer.from(texts.map((t) => `${t}\n`).join('')), count: texts.length },
});
const recall = (peer: PeerId, request: HistoryRequest): HubEvent => ({ type: 'recall', peer, request });
const history = (peer: PeerId, count: number) => recall(peer, { kind: 'history', count });
const resume = (peer: PeerId, after?: string, epoch = EPOCH) =>
  recall(peer, { kind: 'resume', epoch, after: after === undefined ? undefined : tokenDigest(after) });
const tick = (now: number): HubEvent => ({ type: 'tick', now });

/** What one peer receives, one string a line: its notices and the frames delivered to it. */
function receivedBy(peer: PeerId) {
  return (effects: Observable<HubEffect>): Observable<string> =>
    effects.pipe(
      filter(
        (e) =>
          (e.type === 'notice' && e.peer === peer) ||
          (e.type === 'deliver' && e.to.includes(peer) && e.data[0] !== 0x23),
      ),
      map((e) => (e.type === 'notice' ? e.text : e.type === 'deliver' ? e.data.toString().trimEnd() : '')),
    );
}

describe('hub actor history (marble)', () => {
  it('gives a late joiner the last N frames, then live frames, each once', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('a 9ms b 9ms c 9ms d 9ms e 9ms f', {
        a: joined(1),
        b: said(1, 'one', 'two'),
        c: said(1, 'three'),
        d: joined(2),
        e: history(2, 2),
        f: said(1, 'four'),
      });
      expectObservable(events.pipe(hubActor(withHistory()), receivedBy(2))).toBe('30ms a 9ms (bcde) 4ms f', {
        a: `#hello fernet-chat/1 2 2 ${EPOCH} ${tokenDigest('three')}`,
        b: '#history-start',
        c: 'two', // a run cut at the count: a view of the relayed Buffer
        d: 'three',
        e: '#history-end 2 complete',
        f: 'four',
      });
    });
  });

  it('ends an answer at the join: frames relayed after it went out live and are not sent again', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcde', {
        a: joined(1),
        b: said(1, 'before'),
        c: joined(2),
        d: said(1, 'after'), // live, before peer 2's request arrives
        e: history(2, 50),
      });
      expectObservable(events.pipe(hubActor(withHistory()), receivedBy(2))).toBe('--ab(cde)', {
        a: `#hello fernet-chat/1 2 2 ${EPOCH} ${tokenDigest('before')}`,
        b: 'after',
        c: '#history-start',
        d: 'before',
        e: '#history-end 1 complete',
      });
    });
  });

  it('resumes after the digest a client last saw: complete, with nothing it had', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcdefg', {
        a: joined(1),
        b: joined(2),
        c: said(1, 'seen'),
        d: left(2),
        e: said(1, 'missed1', 'missed2'),
        f: joined(3),
        g: resume(3, 'seen'),
      });
      expectObservable(events.pipe(hubActor(withHistory()), receivedBy(3))).toBe('-----a(bcd)', {
        a: `#hello fernet-chat/1 3 2 ${EPOCH} ${tokenDigest('missed2')}`,
        b: '#history-start',
        c: 'missed1\nmissed2',
        d: '#history-end 2 complete',
      });
    });
  });

  it('says gap when the digest was evicted, and sends all it has', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcde', {
        a: joined(1),
        b: said(1, 'seen', 'x1'),
        c: said(1, 'x2', 'x3'),
        d: joined(2),
        e: resume(2, 'seen'),
      });
      const limits = { ...roomy, frames: 2 };
      expectObservable(events.pipe(hubActor(withHistory(limits)), receivedBy(2))).toBe('---a(bcd)', {
        a: `#hello fernet-chat/1 2 2 ${EPOCH} ${tokenDigest('x3')}`,
        b: '#history-start',
        c: 'x2\nx3',
        d: '#history-end 2 gap',
      });
    });
  });

  it('says gap to a client from another epoch (the hub restarted), with all it has', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcd', {
        a: joined(1),
        b: said(1, 'new'),
        c: joined(2),
        d: resume(2, 'seen-before-the-restart', 'epochOld'),
      });
      expectObservable(events.pipe(hubActor(withHistory()), receivedBy(2))).toBe('--a(bcd)', {
        a: `#hello fernet-chat/1 2 2 ${EPOCH} ${tokenDigest('new')}`,
        b: '#history-start',
        c: 'new',
        d: '#history-end 1 gap',
      });
    });
  });

  it('resumes from the start of the epoch for a client that saw no frame (`-`)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcdef', {
        a: joined(1),
        b: joined(2),
        c: left(2), // peer 2 saw nothing: its #hello said `-`
        d: said(1, 'while-away'),
        e: joined(3),
        f: resume(3),
      });
      expectObservable(events.pipe(hubActor(withHistory()), receivedBy(3))).toBe('----a(bcd)', {
        a: `#hello fernet-chat/1 3 2 ${EPOCH} ${tokenDigest('while-away')}`,
        b: '#history-start',
        c: 'while-away',
        d: '#history-end 1 complete',
      });
    });
  });

  it('forgets by age on ticks', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcdefg', {
        a: tick(1_000),
        b: joined(1),
        c: said(1, 'old'), // relayed at 1 s
        d: tick(5_000), // 4 s later: past the limit of 3 s
        e: said(1, 'new'),
        f: joined(2),
        g: history(2, 10),
      });
      const limits = { ...roomy, maxAgeMs: 3_000 };
      expectObservable(events.pipe(hubActor(withHistory(limits)), receivedBy(2))).toBe('-----a(bcd)', {
        a: `#hello fernet-chat/1 2 2 ${EPOCH} ${tokenDigest('new')}`,
        b: '#history-start',
        c: 'new',
        d: '#history-end 1 gap',
      });
    });
  });

  it('forgets by bytes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcde', {
        a: joined(1),
        b: said(1, 'aaaaaaaa'),
        c: said(1, 'bbbbbbbb'),
        d: joined(2),
        e: history(2, 10),
      });
      const limits = { ...roomy, bytes: 12 };
      expectObservable(events.pipe(hubActor(withHistory(limits)), receivedBy(2))).toBe('---a(bcd)', {
        a: `#hello fernet-chat/1 2 2 ${EPOCH} ${tokenDigest('bbbbbbbb')}`,
        b: '#history-start',
        c: 'bbbbbbbb',
        d: '#history-end 1 gap',
      });
    });
  });

  it('with history off: #hello has an epoch and no last frame, and every answer is an empty gap', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcd', {
        a: joined(1),
        b: said(1, 'not kept'),
        c: joined(2),
        d: history(2, 10),
      });
      const off = withHistory({ ...roomy, frames: 0 });
      expectObservable(events.pipe(hubActor(off), receivedBy(2))).toBe('--a(bc)', {
        a: `#hello fernet-chat/1 2 2 ${EPOCH} -`,
        b: '#history-start',
        c: '#history-end 0 gap',
      });
    });
  });

  it('answers one request per connection; a second is refused with #error bad-request', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('a 9ms b 9ms c', { a: joined(1), b: history(1, 5), c: history(1, 5) });
      expectObservable(events.pipe(hubActor(withHistory()), receivedBy(1))).toBe('a 9ms (bc) 6ms d', {
        a: `#hello fernet-chat/1 1 1 ${EPOCH} -`,
        b: '#history-start',
        c: '#history-end 0 complete',
        d: '#error bad-request one history or resume request per connection',
      });
    });
  });

  it('cuts an answer at its byte limit, keeping the newest frames, and says gap', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const events = cold<HubEvent>('abcd', {
        a: joined(1),
        b: said(1, 'aaaa', 'bbbb', 'cccc'),
        c: joined(2),
        d: history(2, 3),
      });
      expectObservable(events.pipe(hubActor(withHistory(roomy, 10)), receivedBy(2))).toBe('--a(bcd)', {
        a: `#hello fernet-chat/1 2 2 ${EPOCH} ${tokenDigest('cccc')}`,
        b: '#history-start',
        c: 'bbbb\ncccc',
        d: '#history-end 2 gap',
      });
    });
  });
});
