import { historyOptionsOf } from '../actors/historyOptions.ts';
import type { HubActorOptions } from '../actors/hubActor.ts';
import { parseHistoryRequest } from '../protocol/historyRequest.ts';
import type { HubEvent, RejectCode } from '../streams/hubEvent.ts';
import type { EventRecord, RecordedHub } from '../recording/recordingSchema.ts';

/**
 * The hub event a record stands for, as the hub actor got it; undefined for records that are
 * not events (`notice`, `dropped`). A frame becomes a run of one frame, LF included.
 */
export function hubEventOf(record: EventRecord): HubEvent | undefined {
  switch (record.type) {
    case 'join':
      return { type: 'joined', peer: record.peer, remote: record.remote };
    case 'frame':
      return {
        type: 'frames',
        peer: record.peer,
        run: { kind: 'frames', data: Buffer.from(`${record.data}\n`, 'latin1'), count: 1 },
      };
    case 'reject':
      // The code goes back out verbatim in the `#error` notice; the hub actor does not branch on it.
      return { type: 'rejected', peer: record.peer, code: record.code as RejectCode, detail: record.detail };
    case 'ping':
      return { type: 'ping', peer: record.peer };
    case 'pong':
      return { type: 'pong', peer: record.peer };
    case 'recall': {
      // The schema let through only requests that parse.
      const request = parseHistoryRequest(record.request);
      if (request === undefined || request.kind === 'bad') return undefined;
      return { type: 'recall', peer: record.peer, request };
    }
    case 'leave':
      return { type: 'left', peer: record.peer, reason: record.reason };
    case 'shutdown':
      return { type: 'shutdown', reason: record.reason };
    case 'tick':
      return { type: 'tick', now: record.t };
    case 'notice':
    case 'dropped':
      return undefined;
  }
}

/**
 * The hub actor's options as the recorded hub had them: its history too, with its epoch, so
 * that the answers and `#hello`s come out as they did.
 */
export function hubActorOptionsOf(hub: RecordedHub): HubActorOptions {
  const options = {
    notices: hub.notices,
    keepalive: hub.keepalive ?? undefined,
    presenceLimit: hub.presenceLimit,
  };
  if (hub.history === undefined || hub.history === null) return options;
  return { ...options, history: historyOptionsOf(hub.history, hub.history.epoch, hub.maxQueueBytes) };
}
