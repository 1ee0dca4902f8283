import type { Observer } from 'rxjs';
import type { HubEvent, PeerId } from './hubEvent.ts';
import { describeShapeProblem, tokenShapeProblem } from '../protocol/tokenShape.ts';
import type { FrameEvent } from './frameEvent.ts';
import { parseHistoryRequest } from '../protocol/historyRequest.ts';
import { ANSWER_WORD, MAX_ANSWER_BYTES, parseAnswer } from '../protocol/admission.ts';

const LF = 0x0a;
const HASH = 0x23;
const PING = Buffer.from('#ping');
const PONG = Buffer.from('#pong');
const ANSWER = Buffer.from(ANSWER_WORD);
const SPACE = 0x20;
/** `#resume`, an epoch of at most 32 and a digest of 16 fit well within this. */
const MAX_REQUEST_BYTES = 80;

/** Where classified events go: a Subscriber will do, with no closure around it. */
export type HubEventSink = Pick<Observer<HubEvent>, 'next'>;

/**
 * One frame event of one peer → hub events. Runs of well-shaped tokens pass through as they are
 * (a run with a bad frame in the middle is cut around it, without copying); `#ping` becomes a
 * ping; a frame of any other shape becomes a rejection that names the problem. PeerActor calls it
 * for each event its FrameSplitter emits.
 */
export function classifyFrameEvent(peer: PeerId, event: FrameEvent, out: HubEventSink): void {
  if (event.kind === 'oversize') {
    const detail = `frame of ${event.bytes}+ bytes exceeds the limit of ${event.limit}`;
    out.next({ type: 'rejected', peer, code: 'frame-too-large', detail });
  } else {
    classifyRun(peer, event.data, event.count, out);
  }
}

function classifyRun(peer: PeerId, data: Buffer, count: number, out: HubEventSink): void {
  let goodStart = 0;
  let good = 0;
  let start = 0;
  while (start < data.length) {
    const end = data.indexOf(LF, start);
    const verdict = classifyFrame(data, start, end);
    if (verdict === undefined) {
      good++;
    } else {
      if (good > 0)
        out.next({
          type: 'frames',
          peer,
          run: { kind: 'frames', data: data.subarray(goodStart, start), count: good },
        });
      good = 0;
      goodStart = end + 1;
      out.next(verdictEvent(peer, verdict, data, start, end));
    }
    start = end + 1;
  }
  if (good === count) out.next({ type: 'frames', peer, run: { kind: 'frames', data, count } });
  else if (good > 0)
    out.next({ type: 'frames', peer, run: { kind: 'frames', data: data.subarray(goodStart), count: good } });
}

type Verdict = 'ping' | 'pong' | 'answer' | 'command' | ReturnType<typeof tokenShapeProblem>;

function classifyFrame(data: Buffer, start: number, end: number): Verdict {
  if (data[start] !== HASH) return tokenShapeProblem(data, start, end);
  if (end - start === PING.length && data.compare(PING, 0, PING.length, start, end) === 0) return 'ping';
  if (end - start === PONG.length && data.compare(PONG, 0, PONG.length, start, end) === 0) return 'pong';
  if (
    end - start >= ANSWER.length &&
    data.compare(ANSWER, 0, ANSWER.length, start, start + ANSWER.length) === 0 &&
    (end - start === ANSWER.length || data[start + ANSWER.length] === SPACE)
  )
    return 'answer';
  return 'command';
}

function verdictEvent(
  peer: PeerId,
  verdict: NonNullable<Verdict>,
  data: Buffer,
  start: number,
  end: number,
): HubEvent {
  switch (verdict) {
    case 'ping':
      return { type: 'ping', peer };
    case 'pong':
      return { type: 'pong', peer };
    case 'answer': {
      // One byte past the limit is enough for the parser to say it is too long.
      const answer = parseAnswer(data.toString('latin1', start, Math.min(end, start + MAX_ANSWER_BYTES + 1)));
      return answer.ok
        ? { type: 'answer', peer, pairs: answer.pairs }
        : { type: 'rejected', peer, code: 'bad-request', detail: answer.detail };
    }
    case 'command': {
      const request = parseHistoryRequest(
        data.toString('latin1', start, Math.min(end, start + MAX_REQUEST_BYTES)),
      );
      if (request?.kind === 'bad')
        return { type: 'rejected', peer, code: 'bad-request', detail: request.detail };
      if (request !== undefined) return { type: 'recall', peer, request };
      // Echoed in #error, the log and recordings: printable ASCII only, so no terminal escapes.
      const word = data
        .toString('latin1', start, Math.min(end, start + 32))
        .split(' ')[0]!
        .replace(/[^\x21-\x7e]/g, '?');
      return { type: 'rejected', peer, code: 'unknown-command', detail: `unknown command ${word}` };
    }
    default:
      return { type: 'rejected', peer, code: 'bad-frame', detail: describeShapeProblem(verdict) };
  }
}
