import { historyRequestLine } from '../protocol/historyRequest.ts';
import type { HubEffect, HubEvent } from '../streams/hubEvent.ts';
import { forEachFrame } from '../streams/frameEvent.ts';
import type { EventRecord } from './recordingSchema.ts';

/**
 * The records for one event the hub actor handled, `t` ms after the recording started. A run
 * of frames becomes one record per frame (LF removed). Events this recorder does not know yet
 * give no record, so a new kind of event never breaks the hub.
 */
export function recordsOf(event: HubEvent, t: number): EventRecord[] {
  switch (event.type) {
    case 'joined':
      return [{ type: 'join', t, peer: event.peer, remote: event.remote }];
    case 'frames': {
      const records: EventRecord[] = [];
      const { data } = event.run;
      forEachFrame(data, (start, end) => {
        if (end > start)
          records.push({ type: 'frame', t, peer: event.peer, data: data.toString('latin1', start, end) });
      });
      return records;
    }
    case 'rejected':
      return [{ type: 'reject', t, peer: event.peer, code: event.code, detail: event.detail }];
    case 'ping':
      return [{ type: 'ping', t, peer: event.peer }];
    case 'pong':
      return [{ type: 'pong', t, peer: event.peer }];
    case 'recall':
      return [{ type: 'recall', t, peer: event.peer, request: historyRequestLine(event.request) }];
    case 'left':
      return [{ type: 'leave', t, peer: event.peer, reason: event.reason }];
    case 'shutdown':
      return [{ type: 'shutdown', t, reason: event.reason }];
    case 'tick':
      return [{ type: 'tick', t }];
    default:
      return [];
  }
}

/**
 * The notices worth keeping: those that tell a client something went wrong, and how each
 * history answer ended (what it held is found again by replaying the frames before it).
 */
export function isRecordedNotice(effect: HubEffect): effect is Extract<HubEffect, { type: 'notice' }> {
  return effect.type === 'notice' && isRecordedNoticeText(effect.text);
}

export function isRecordedNoticeText(text: string): boolean {
  return text.startsWith('#error ') || text.startsWith('#history-end ');
}

/** One record as one line of the file. */
export function recordLine(record: object): string {
  return `${JSON.stringify(record)}\n`;
}
