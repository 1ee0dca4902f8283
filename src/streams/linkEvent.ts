/** What the hub link reports to the client actor. */
export type LinkEvent =
  /** Connected (again): the actor announces itself and sends what waited. */
  | { readonly type: 'up' }
  /** One frame from the hub, LF removed. */
  | { readonly type: 'frame'; readonly frame: string }
  /** A frame too large to hold was skipped (its first `bytes` were seen). */
  | { readonly type: 'oversize'; readonly bytes: number }
  /** The connection is gone; the link may be reconnecting. */
  | { readonly type: 'down'; readonly reason: string };
