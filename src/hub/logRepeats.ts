import type { HubEffect, LogRecord } from '../actors/hubEvent.ts';
import type { RepeatPolicy } from '../streams/aggregateRepeats.ts';

/** How long the hub's log counts repeats of one event before it says how many there were. */
export const LOG_REPEAT_WINDOW_MS = 1_000;

/**
 * The hub's log events that an outsider can repeat at will: refused frames (per peer and code),
 * refused connections (per address and reason) and accept failures (per code). The first is
 * logged as it comes, the rest of a window as one line with a count:
 * `event=reject peer=7 code=bad-frame count=32767`. A peer's counts come before its `leave`.
 */
export const logRepeats: RepeatPolicy<LogRecord> = {
  key: (record) => {
    switch (record.event) {
      case 'reject':
        return `reject ${record.peer} ${record.code}`;
      case 'refused':
        return `refused ${record.remote} ${record.reason}`;
      case 'accept-error':
        return `accept-error ${record.code}`;
      default:
        return undefined;
    }
  },
  group: (record) => (record.event === 'reject' ? String(record.peer) : undefined),
  ends: (record) => (record.event === 'leave' ? String(record.peer) : undefined),
  endsAll: (record) => record.event === 'shutdown',
  summary: (first, repeats) => {
    const { detail: _detail, online: _online, ...rest } = first;
    return { ...rest, count: repeats };
  },
};

/** The same, over the hub actor's effects (only `log` effects are counted). */
export const logEffectRepeats: RepeatPolicy<HubEffect> = {
  key: (effect) => (effect.type === 'log' ? logRepeats.key(effect.record) : undefined),
  group: (effect) => (effect.type === 'log' ? logRepeats.group(effect.record) : undefined),
  ends: (effect) => (effect.type === 'log' ? logRepeats.ends(effect.record) : undefined),
  endsAll: (effect) => effect.type === 'log' && logRepeats.endsAll!(effect.record),
  summary: (first, repeats) =>
    first.type === 'log' ? { type: 'log', record: logRepeats.summary(first.record, repeats) } : first,
};
