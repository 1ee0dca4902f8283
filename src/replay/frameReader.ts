import { createHash } from 'node:crypto';
import { NEVER, Subject } from 'rxjs';
import { clientActor } from '../actors/clientActor.ts';
import { emptyPins, type Pin } from '../actors/pinnedNames.ts';
import type { KeyRing } from '../crypto/keyRing.ts';
import { parseHistoryRequest } from '../protocol/historyRequest.ts';
import { upEventOf } from '../streams/helloEvent.ts';
import type { LinkEvent } from '../streams/linkEvent.ts';
import { type LineStyle, styleLine } from '../text/lineStyle.ts';

/** Turns one received frame into the lines a client would show for it. */
export type FrameReader = (frame: string, at: Date) => readonly string[];

/** What a client shows for what one connection received. */
export interface ConnectionReader {
  /** The lines for a data frame. */
  readonly frame: FrameReader;
  /**
   * The lines a notice brings besides itself (a transcript shows the notice as sent): the end of
   * a history answer, someone gone without a goodbye. Absent: notices bring none.
   */
  readonly notice?: FrameReader;
}

/**
 * As a piped client shows its lines, but an earlier line's time in UTC rather than this
 * machine's zone: a transcript must read the same everywhere (its header's time is UTC too).
 */
const TRANSCRIPT_STYLE: LineStyle = { times: false, colours: false, utc: true };

/**
 * A reader per connection that is the client actor itself, so a transcript says exactly what
 * a client would have shown (decryption, envelope, warnings, replay refusal, history) at the
 * time the frame arrived: the actor's clock is the recorded time, which is what TTLs are judged
 * by. It gets the link events a client's link gives: `up` on `#hello` (with its epoch and last
 * frame), then every frame and notice.
 *
 * `asked` is the connection's recorded `#history`/`#resume`, so that the actor asks the same:
 * a history answer then shows as earlier lines and a separator, a resume's as what came while
 * the client was away. A client that resumed had an earlier connection, whose end the request
 * tells (the hub's run, and the last frame it saw): the actor is taken through it first. What
 * that connection showed or sent it does not know, so a resume answer holding the client's own
 * lines shows them here, where the client dropped them.
 */
export function clientFrameReader(
  ring: KeyRing,
  ttlSeconds: number,
  asked?: string,
  own: readonly Pin[] = [],
): ConnectionReader & { close(): void } {
  const request = asked === undefined ? undefined : parseHistoryRequest(asked);
  let now = new Date(0);
  let welcomed = false;
  const lines: string[] = [];
  const link = new Subject<LinkEvent>();
  const actor = clientActor({
    ring,
    name: 'replay',
    maxFrameBytes: Number.MAX_SAFE_INTEGER,
    ttlSeconds,
    idleMs: 0,
    history: request?.kind === 'history' ? request.count : 0,
    clock: () => now,
    // Names pinned on first sight, in this connection's replay only, from its own names (which
    // its client pinned first, ownNames.ts): signed and unsigned lines and new keys show as the
    // client showed them, as if its pins file started empty.
    pins: emptyPins(own),
  });
  const subscription = actor({ typed: NEVER, link }).subscribe((output) => {
    if (output.type === 'show')
      lines.push(styleLine(output.line, output.sender, TRANSCRIPT_STYLE, output.earlier));
    // `! hub: …` would say again what the transcript shows as the hub's `#error`.
    else if (output.type === 'warn' && output.kind !== 'hub-error') lines.push(output.line);
  });
  // A resume is a client's later connection: through the one before first, to where it ended.
  if (request?.kind === 'resume') {
    link.next({
      type: 'up',
      epoch: request.epoch,
      ...(request.after === undefined ? {} : { last: request.after }),
    });
    link.next({ type: 'down', reason: 'the connection before this one' });
  }
  const welcome = (hello?: string) => {
    welcomed = true;
    link.next(upEventOf(hello));
  };
  const take = (frame: string, at: Date): string[] => {
    now = at;
    lines.length = 0;
    link.next({ type: 'frame', frame });
    return [...lines];
  };
  return {
    frame: (frame, at) => {
      // A hub in chunk framing says no #hello: connected is all there is.
      if (!welcomed) welcome();
      return take(frame, at);
    },
    notice: (text, at) => {
      // Who else came changes only the count of who is online, which no line here shows; and a
      // room filling up sends each of N connections up to N of them.
      if (text.startsWith('#joined ')) return [];
      if (!welcomed && text.startsWith('#hello ')) {
        now = at;
        welcome(text);
      }
      return take(text, at);
    },
    close: () => subscription.unsubscribe(),
  };
}

/** Without a key: a short, stable name for a token, so a transcript still shows who got what. */
export const fingerprintReader: ConnectionReader = {
  frame: (frame) => [
    `token ${createHash('sha256').update(frame).digest('hex').slice(0, 12)} (${frame.length} bytes)`,
  ],
};
