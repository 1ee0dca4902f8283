import type { AnswerPair } from '../protocol/admission.ts';
import type { HistoryRequest } from '../protocol/historyRequest.ts';
import type { FrameRun } from './frameEvent.ts';
import type { Recipients } from './recipients.ts';

/** Connections are numbered by the hub in the order they arrive. */
export type PeerId = number;

/**
 * What the hub actor reacts to. Local peers produce these today; a bridge to other hubs or a
 * WebSocket transport only has to produce the same events.
 */
export type HubEvent =
  | { readonly type: 'joined'; readonly peer: PeerId; readonly remote: string }
  | { readonly type: 'frames'; readonly peer: PeerId; readonly run: FrameRun }
  | { readonly type: 'rejected'; readonly peer: PeerId; readonly code: RejectCode; readonly detail: string }
  | { readonly type: 'ping'; readonly peer: PeerId }
  | { readonly type: 'pong'; readonly peer: PeerId }
  /** `#history N` or `#resume EPOCH DIGEST`: the peer asks for what was said before it came. */
  | { readonly type: 'recall'; readonly peer: PeerId; readonly request: HistoryRequest }
  | { readonly type: 'left'; readonly peer: PeerId; readonly reason: string }
  /**
   * `#answer`: the peer's answer to the hub's admission challenge. The admission gate takes it
   * (src/actors/admissionGate.ts); the room never sees one.
   */
  | { readonly type: 'answer'; readonly peer: PeerId; readonly pairs: readonly AnswerPair[] }
  | { readonly type: 'shutdown'; readonly reason: string }
  /**
   * Clustered (src/cluster): frames in the room's order, as the room's stream gave them, from a
   * peer of this hub (`sender`, who does not get them back) or of another hub (`sender` absent).
   */
  | { readonly type: 'room-frames'; readonly run: FrameRun; readonly sender?: PeerId }
  /**
   * Clustered: how many are online on the other hubs of the room, and who joined or left there
   * since the last such event.
   */
  | {
      readonly type: 'room-presence';
      readonly others: number;
      readonly joined: readonly PeerId[];
      readonly left: readonly { readonly peer: PeerId; readonly reason: string }[];
    }
  /** The passing of time, for keepalive: `now` in milliseconds on any monotonic clock. */
  | { readonly type: 'tick'; readonly now: number };

export type RejectCode = 'bad-frame' | 'frame-too-large' | 'unknown-command' | 'bad-request';

/** What the hub actor asks the edges to do. */
export type HubEffect =
  /** Write `data` to each of `to` (never its sender: Recipients); one Buffer shared by all of them. */
  | { readonly type: 'deliver'; readonly data: Buffer; readonly to: Recipients }
  | { readonly type: 'notice'; readonly peer: PeerId; readonly text: string }
  | { readonly type: 'close'; readonly peer: PeerId; readonly reason: string }
  | { readonly type: 'log'; readonly record: LogRecord }
  /** Clustered: a local peer's frames, for the room's stream (they come back as `room-frames`). */
  | { readonly type: 'publish'; readonly peer: PeerId; readonly run: FrameRun }
  /**
   * Clustered: this hub's own online count for the other hubs, after `change` (a local join or
   * leave), or as it is (`change` absent).
   */
  | {
      readonly type: 'presence';
      readonly online: number;
      readonly change?:
        | { readonly kind: 'joined'; readonly peer: PeerId }
        | { readonly kind: 'left'; readonly peer: PeerId; readonly reason: string };
    };

export interface LogRecord {
  readonly event: string;
  readonly [field: string]: string | number;
}
