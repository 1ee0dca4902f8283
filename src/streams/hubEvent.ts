import type { FrameRun } from './frameEvent.ts';

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
  | { readonly type: 'left'; readonly peer: PeerId; readonly reason: string }
  | { readonly type: 'shutdown'; readonly reason: string }
  /** The passing of time, for keepalive: `now` in milliseconds on any monotonic clock. */
  | { readonly type: 'tick'; readonly now: number };

export type RejectCode = 'bad-frame' | 'frame-too-large' | 'unknown-command';

/** What the hub actor asks the edges to do. */
export type HubEffect =
  /** Write `data` to every peer in `to` except `from`; one Buffer shared by all of them. */
  | { readonly type: 'deliver'; readonly data: Buffer; readonly from: PeerId; readonly to: readonly PeerId[] }
  | { readonly type: 'notice'; readonly peer: PeerId; readonly text: string }
  | { readonly type: 'close'; readonly peer: PeerId; readonly reason: string }
  | { readonly type: 'log'; readonly record: LogRecord };

export interface LogRecord {
  readonly event: string;
  readonly [field: string]: string | number;
}
