/**
 * What a PeerActor needs of its connection, as `ws` splits a socket into Receiver and Sender: the
 * bytes it reads (`data`), the bytes it writes (`write`, corked into batches), how much waits to
 * go out (`writableLength`, `drain`), pausing reads (flood control, backpressure), and ending.
 * A TCP socket is one as it is (no wrapper on the hot path); a WebSocket is adapted to it by
 * WebSocketTransport, one text message per LF-ended frame each way.
 *
 * Events: `data` (Buffer), `end` (the client finished sending), `error` (with a code), `close`,
 * `drain` (what was backed up has been written).
 */
export interface Transport {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  /** Bytes handed to `write` that the kernel has not taken yet. */
  readonly writableLength: number;
  readonly destroyed: boolean;
  /** Whole LF-ended frames, one or more. */
  write(data: Buffer): unknown;
  cork(): void;
  uncork(): void;
  pause(): unknown;
  resume(): unknown;
  /** Ends the connection cleanly, after `data` (whole frames) if given. */
  end(): unknown;
  end(data: Buffer): unknown;
  destroy(): unknown;
  setNoDelay(noDelay: boolean): unknown;
  setKeepAlive(enable: boolean, initialDelay: number): unknown;
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/** As EventEmitter types its listeners, so that a net.Socket is a Transport as it is. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;
