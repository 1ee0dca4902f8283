/** One of the generator's clients, and the connection it sends and receives on. */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import WebSocket from 'ws';
import { LF } from './token.ts';

/** What the generator needs of a client's connection: a TCP socket, or a WebSocket's adapter. */
export type ClientSocket = Pick<
  net.Socket,
  'write' | 'destroy' | 'writableLength' | 'destroyed' | 'on' | 'off' | 'once'
>;

export interface Client {
  index: number;
  socket: ClientSocket | null;
  live: boolean;
  ready: boolean;
  /** the start of a line split across reads */
  carry: Buffer | null;
  carryLen: number;
  /** inside an overlong line, discarded up to its LF */
  skipping: boolean;
}

export function newClient(index: number): Client {
  return { index, socket: null, live: false, ready: false, carry: null, carryLen: 0, skipping: false };
}

/**
 * A WebSocket client as a ClientSocket: each LF-ended line written goes as one text message.
 * `close` is the WebSocket's; there is no `drain` (the pump's 5 ms timer covers a full buffer).
 */
export class WsClientSocket extends EventEmitter {
  constructor(private readonly ws: WebSocket) {
    super();
    ws.on('close', () => this.emit('close'));
  }

  write(data: Buffer): boolean {
    let start = 0;
    for (let end = data.indexOf(LF); end !== -1; end = data.indexOf(LF, start)) {
      this.ws.send(data.subarray(start, end), { binary: false });
      start = end + 1;
    }
    return true;
  }

  destroy(): this {
    this.ws.terminate();
    return this;
  }

  get writableLength(): number {
    return this.ws.bufferedAmount;
  }

  get destroyed(): boolean {
    return this.ws.readyState === WebSocket.CLOSED;
  }
}
