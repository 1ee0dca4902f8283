/** What the hub link reports to the client actor. */
export type LinkEvent =
  /**
   * Connected (again): the actor announces itself and sends what waited. `peer` and `online`
   * are from the hub's `#hello` (absent in chunk framing, which has none); so are `epoch` and
   * `last` (docs/protocol.md, History and resume), absent from hubs that keep no history, and
   * `last` also when the history was empty.
   */
  | {
      readonly type: 'up';
      readonly peer?: number;
      readonly online?: number;
      readonly epoch?: string;
      readonly last?: string;
    }
  /** One frame from the hub, LF removed. */
  | { readonly type: 'frame'; readonly frame: string }
  /** A frame too large to hold was skipped (its first `bytes` were seen). */
  | { readonly type: 'oversize'; readonly bytes: number }
  /** The connection is gone; the link may be reconnecting. */
  | { readonly type: 'down'; readonly reason: string };
