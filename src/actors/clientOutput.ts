import type { FernetErrorCode } from '../crypto/fernetError.ts';
import type { Envelope } from '../protocol/envelope.ts';
import type { Pin } from './pinnedNames.ts';
import type { Sender } from '../text/lineStyle.ts';

// LinkEvent is made by the hub link (src/streams), so it is defined there; re-exported for the actor.
export type { LinkEvent } from '../streams/linkEvent.ts';

/**
 * What a warning or hub notice is about. Each comes from one frame that a hub or member can send
 * any number of times, so the client summarises a flood of one kind (quietWarnings). The kinds are
 * a fixed set, never made of what a frame says, and fine enough that a different problem amid a
 * flood is still shown the moment it happens.
 */
export type LineKind =
  | `unreadable:${FernetErrorCode}`
  | `malformed:${EnvelopeField}`
  | 'replay'
  | 'oversize'
  | 'hub-error'
  | 'hub-hello'
  | 'hub-bye'
  | 'too-long'
  | 'queue-full'
  | 'queued'
  | 'queue-sent'
  | 'waiting'
  | 'command'
  | 'key-hint'
  | 'history'
  /** Our own line, which could not be signed (the page's Web Crypto key), so not sent. */
  | 'not-signed'
  | `signature:${'bad-signature' | 'lifted'}`
  /** About who signs as whom: never summarised (quietWarnings), each is once per name and key. */
  | 'identity';

/** The field of the envelope a malformed message is wrong in, or the envelope as a whole. */
export type EnvelopeField = keyof Envelope | 'envelope';

/** What the client actor asks its edges to do. */
export type ClientOutput =
  /** Write this frame (a token or a notice) to the hub. */
  | { readonly type: 'send'; readonly frame: string }
  /**
   * A chat line for the screen: `alice: hi`, `* bob joined`; from an envelope, who and when.
   * `earlier`: from a history answer, said at this time (ISO 8601), to be shown as earlier.
   */
  | { readonly type: 'show'; readonly line: string; readonly sender?: Sender; readonly earlier?: string }
  /** Something went wrong with one message or notice; the client goes on. */
  | { readonly type: 'warn'; readonly kind: LineKind; readonly line: string }
  /** News about the connection itself: connected, the hub's goodbye. */
  | { readonly type: 'status'; readonly kind: LineKind; readonly line: string }
  /** The hub has not answered a ping: drop the connection (and reconnect). */
  | { readonly type: 'drop'; readonly reason: string }
  /** A typed line that could not be sent (too long) goes back into the input line, to be cut. */
  | { readonly type: 'restore'; readonly text: string }
  /** The user's name is now `name` (`/nick`): the prompt says so. */
  | { readonly type: 'renamed'; readonly name: string }
  /** Pin `pin.name` to `pin.key` in the pinned-names file (a first sight, or `/trust`). */
  | { readonly type: 'pin'; readonly pin: Pin }
  /** Input has ended: flush and exit. `unsent` lines never reached the hub. */
  | { readonly type: 'done'; readonly unsent: number };
