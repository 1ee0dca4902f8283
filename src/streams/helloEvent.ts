import { parseNotice } from '../protocol/notice.ts';
import type { LinkEvent } from './linkEvent.ts';

/** The `up` event for a hub's `#hello` (or for none, in chunk framing). Both links use it. */
export function upEventOf(hello?: string): LinkEvent {
  const parsed = hello === undefined ? undefined : parseNotice(hello);
  return parsed?.kind === 'hello' && parsed.peer >= 0
    ? {
        type: 'up',
        peer: parsed.peer,
        online: parsed.online,
        ...(parsed.epoch === undefined ? {} : { epoch: parsed.epoch }),
        ...(parsed.last === undefined ? {} : { last: parsed.last }),
      }
    : { type: 'up' };
}
