import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Transport } from '../streams/transport.ts';

const LF = 0x0a;
const LF_BUFFER = Buffer.from('\n');

/** Close codes (RFC 6455 §7.4.1) and the reasons a browser's `close` event shows, in our words. */
export const WS_CLOSE = {
  normal: 1000,
  /** A binary message: tokens are text. */
  unsupported: 1003,
  /** A text message holding a line feed: one message is one frame. */
  invalid: 1007,
} as const;
export const BINARY_REFUSED = 'binary messages are not accepted: send each token as one text message';
export const LINE_FEED_REFUSED = 'a message held a line feed: send one token per message';

/**
 * A WebSocket as a PeerActor's Transport: each text message in becomes one LF-ended frame for
 * the FrameSplitter, and each frame out becomes one text message. Everything else (queues,
 * flood control, slow consumers, notices, keepalive) is the PeerActor's, as for TCP. What waits
 * to be written is the socket's own buffer (no permessage-deflate, so `ws` queues nothing of
 * its own), and `drain` is the socket's.
 *
 * Messages that `ws` still delivers after `pause()` (it stops reading, but may hold a read's
 * worth already parsed) are kept here and handed on at `resume()`, so that a paused peer is
 * paused. They are bounded by that read: the socket reads nothing more meanwhile.
 */
export class WebSocketTransport extends EventEmitter implements Transport {
  private paused = false;
  private held: Buffer[] = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
  ) {
    super();
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (isBinary) return this.refuse(WS_CLOSE.unsupported, BINARY_REFUSED);
      const text = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      if (text.includes(LF)) return this.refuse(WS_CLOSE.invalid, LINE_FEED_REFUSED);
      const frame = Buffer.concat([text, LF_BUFFER]);
      if (this.paused) this.held.push(frame);
      else this.emit('data', frame);
    });
    // `ws` has closed the connection (1007 invalid UTF-8, 1009 too large, 1002 a protocol
    // error): the peer leaves with the reason in our words.
    ws.on('error', (error: Error & { code?: string }) =>
      this.emit('error', Object.assign(new Error(error.message), { code: leaveReasonOf(error.code) })),
    );
    ws.on('close', () => this.emit('close'));
    socket.on('drain', () => this.emit('drain'));
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  get writableLength(): number {
    return this.ws.bufferedAmount;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /** One text message per LF-ended frame (the LF is the message's end, not part of it). */
  write(data: Buffer): boolean {
    // A run of several frames (one relayed read) goes out as one writev of all their messages.
    this.socket.cork();
    let start = 0;
    for (let end = data.indexOf(LF); end !== -1; end = data.indexOf(LF, start)) {
      this.ws.send(data.subarray(start, end), { binary: false });
      start = end + 1;
    }
    this.socket.uncork();
    return this.socket.writableLength === 0 || !this.socket.writableNeedDrain;
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  pause(): void {
    this.paused = true;
    this.ws.pause();
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const frame of held) {
      if (this.paused) this.held.push(frame);
      else this.emit('data', frame);
    }
    if (!this.paused) this.ws.resume();
  }

  end(data?: Buffer): void {
    if (data !== undefined) this.write(data);
    this.ws.close(WS_CLOSE.normal);
  }

  destroy(): void {
    this.held = [];
    this.ws.terminate();
  }

  setNoDelay(noDelay: boolean): void {
    this.socket.setNoDelay(noDelay);
  }

  setKeepAlive(enable: boolean, initialDelay: number): void {
    this.socket.setKeepAlive(enable, initialDelay);
  }

  /** Says why in the close frame and drops what this peer sent; the PeerActor sees the error. */
  private refuse(code: number, reason: string): void {
    this.held = [];
    const leave = code === WS_CLOSE.unsupported ? 'binary-message' : 'line-feed';
    this.emit('error', Object.assign(new Error(reason), { code: leave }));
    this.ws.close(code, reason);
  }
}

/** The `#left` reason for what `ws` refused. */
function leaveReasonOf(code: string | undefined): string {
  switch (code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
      return 'frame-too-large';
    case 'WS_ERR_INVALID_UTF8':
      return 'invalid-utf8';
    default:
      return 'websocket-error';
  }
}
