import type { Socket } from 'node:net';
import type { PeerId } from '../streams/hubEvent.ts';
import { parseNotice } from '../protocol/notice.ts';
import { type Framing, forEachFrame } from '../streams/frameEvent.ts';
import { FrameSplitter } from '../streams/frameSplitter.ts';

const MAX_INCOMING_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * One recorded connection played as a real TCP client. It keeps every frame it receives,
 * except the hub's keepalive `#ping` (answered at once) and the `#pong`s of its own sync pings,
 * which let the player know the hub has handled everything this connection sent before.
 */
export class LivePeer {
  readonly received: string[] = [];
  /** The id the live hub gave this connection (from its `#hello`). */
  liveId: number | undefined;
  /** The live hub's epoch (from its `#hello`; undefined from a hub without history). */
  liveEpoch: string | undefined;
  closed = false;
  private readonly pings: Array<'recorded' | (() => void)> = [];
  private wake: (() => void) | undefined;
  private readonly closedPromise: Promise<void>;

  constructor(
    readonly peer: PeerId,
    private readonly socket: Socket,
    framing: Framing,
  ) {
    const splitter = new FrameSplitter({ maxFrameBytes: MAX_INCOMING_FRAME_BYTES, framing });
    socket.on('data', (chunk: Buffer) =>
      splitter.push(chunk, (event) => {
        if (event.kind === 'frames')
          forEachFrame(event.data, (start, end) => this.take(event.data.toString('utf8', start, end)));
      }),
    );
    socket.on('error', () => {}); // a reset ends like a close
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        for (const ping of this.pings.splice(0)) if (typeof ping === 'function') ping();
        this.wake?.();
        resolve();
      }),
    );
  }

  send(line: string): void {
    if (!this.closed) this.socket.write(`${line}\n`);
  }

  /** Sends a recorded `#ping`: its `#pong` is kept like any other frame. */
  recordedPing(): void {
    this.pings.push('recorded');
    this.send('#ping');
  }

  /** Sends a `#ping` of our own and resolves when its `#pong` is back (or the connection is gone). */
  sync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.pings.push(resolve);
      this.send('#ping');
    });
  }

  /** Resolves true once `count` frames have arrived, false after `timeoutMs` or a close. */
  waitFor(count: number, timeoutMs: number): Promise<boolean> {
    if (this.received.length >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(ok);
      };
      this.wake = () => {
        if (this.received.length >= count) finish(true);
        else if (this.closed) finish(false);
      };
    });
  }

  /** Leaves as recorded: a reset for a connection that was reset, otherwise a clean close. */
  leave(reason: string): Promise<void> {
    if (reason === 'econnreset') this.socket.resetAndDestroy();
    else this.socket.end();
    return this.closedPromise;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private take(frame: string): void {
    if (frame === '#ping') {
      this.send('#pong');
      return;
    }
    if (frame === '#pong') {
      const ping = this.pings.shift();
      if (typeof ping === 'function') {
        ping();
        return;
      }
    }
    if (this.liveId === undefined && frame.startsWith('#hello ')) {
      const hello = parseNotice(frame);
      if (hello.kind === 'hello') {
        this.liveId = hello.peer;
        this.liveEpoch = hello.epoch;
      }
    }
    this.received.push(frame);
    this.wake?.();
  }
}
