/** What the client actor asks its edges to do. */
export type ClientOutput =
  /** Write this frame (a token or a notice) to the hub. */
  | { readonly type: 'send'; readonly frame: string }
  /** A chat line for the screen: `alice: hi`, `* bob joined`. */
  | { readonly type: 'show'; readonly line: string }
  /** Something went wrong with one message or notice; the client goes on. */
  | { readonly type: 'warn'; readonly line: string }
  /** News about the connection itself: connected, the hub's goodbye. */
  | { readonly type: 'status'; readonly line: string }
  /** Input has ended and the leave envelope is out: flush and exit. */
  | { readonly type: 'done' };
