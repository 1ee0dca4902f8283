import { historyRequestLine, parseHistoryRequest } from '../protocol/historyRequest.ts';

/**
 * A recorded `#history`/`#resume` as a live replay sends it. A live hub has an epoch of its own,
 * so a resume that named the recorded hub's epoch names the live one's instead: the live hub
 * has relayed the same tokens, so the digest names the same frame and the answer is the one
 * recorded. A resume that named another epoch (the client had known an earlier run of the hub)
 * is sent as it was, and gets the same gap from either hub.
 */
export function liveRecallLine(
  recorded: string,
  recordedEpoch: string | undefined,
  liveEpoch: string | undefined,
): string {
  const request = parseHistoryRequest(recorded);
  if (request?.kind !== 'resume' || liveEpoch === undefined || request.epoch !== recordedEpoch)
    return recorded;
  return historyRequestLine({ ...request, epoch: liveEpoch });
}
