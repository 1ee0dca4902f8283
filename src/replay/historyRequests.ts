import { parseHistoryRequest } from '../protocol/historyRequest.ts';
import type { Recording } from '../recording/recording.ts';
import type { PeerId } from '../streams/hubEvent.ts';

/**
 * Each connection's `#history`/`#resume` as recorded, so that a replay's client asks what the
 * recorded one asked: the first the hub could read (a client makes one; a malformed one was
 * refused and changed nothing).
 */
export function historyRequests(recording: Recording): Map<PeerId, string> {
  const asked = new Map<PeerId, string>();
  for (const { record } of recording.entries) {
    if (record.type !== 'recall' || asked.has(record.peer)) continue;
    const parsed = parseHistoryRequest(record.request);
    if (parsed !== undefined && parsed.kind !== 'bad') asked.set(record.peer, record.request);
  }
  return asked;
}
