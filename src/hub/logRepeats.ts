import type { HubEffect, LogRecord } from '../streams/hubEvent.ts';
import type { SummariseRepeatsOptions } from '../streams/summariseRepeats.ts';

/** How long the hub's log counts repeats of one event before it says how many there were. */
export const LOG_REPEAT_WINDOW_MS = 1_000;

/**
 * The hub's log events that an outsider can repeat at will: refused frames (per peer and code),
 * refused connections (per address and reason), accept failures (per code) and failed TLS
 * handshakes (per address and code). The first is
 * logged as it comes, the rest of a window as one line with a count:
 * `event=reject peer=7 code=bad-frame count=32767`.
 */
export function logKindOf(record: LogRecord): string | undefined {
  switch (record.event) {
    case 'reject':
      return `reject ${record.peer} ${record.code}`;
    case 'refused':
      return `refused ${record.remote} ${record.reason}`;
    case 'accept-error':
      return `accept-error ${record.code}`;
    case 'tls-error':
      return `tls-error ${record.remote} ${record.code}`;
    default:
      return undefined;
  }
}

/** The line for `count` more records like `first`: its fields but the detail, and the count. */
export function countedRecord(first: LogRecord, count: number): LogRecord {
  const { detail: _detail, online: _online, ...rest } = first;
  return { ...rest, count };
}

/** Counts are told before what ends them: a leave, the close that too many refusals bring, a shutdown. */
const endsCounts = (record: LogRecord) =>
  record.event === 'leave' || record.event === 'too-many-errors' || record.event === 'shutdown';

/** `summariseRepeats` over the hub actor's effects: only `log` effects are counted. */
export const logEffectRepeats: SummariseRepeatsOptions<HubEffect> = {
  windowMs: LOG_REPEAT_WINDOW_MS,
  kindOf: (effect) => (effect.type === 'log' ? logKindOf(effect.record) : undefined),
  summary: (_kind, count, first) =>
    first.type === 'log' ? { type: 'log', record: countedRecord(first.record, count) } : first,
  keepsOrder: (effect) => effect.type === 'log' && endsCounts(effect.record),
};
