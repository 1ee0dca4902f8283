/** What the hub link reports to the client actor. */
export type LinkEvent =
  /**
   * Connected (again): the actor announces itself and sends what waited. `peer` and `online`
   * are from the hub's `#hello` (absent in chunk framing, which has none).
   */
  | { readonly type: 'up'; readonly peer?: number; readonly online?: number }
  /** One frame from the hub, LF removed. */
  | { readonly type: 'frame'; readonly frame: string }
  /** A frame too large to hold was skipped (its first `bytes` were seen). */
  | { readonly type: 'oversize'; readonly bytes: number }
  /** The connection is gone; the link may be reconnecting. */
  | { readonly type: 'down'; readonly reason: string };
