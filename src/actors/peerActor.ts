import type { Socket } from 'node:net';
import { catchError, concat, defer, type Observable, of } from 'rxjs';
import { notice } from '../protocol/notice.ts';
import { classifyFrames } from '../streams/classifyFrames.ts';
import type { Framing } from '../streams/frameEvent.ts';
import { socketChunks } from '../streams/socketChunks.ts';
import { splitFrames } from '../streams/splitFrames.ts';
import type { FlushScheduler } from './flushScheduler.ts';
import type { HubEvent, PeerId } from './hubEvent.ts';

export interface PeerOptions {
  readonly maxFrameBytes: number;
  /** Most bytes that may wait to be written to this peer before it is dropped as a slow consumer. */
  readonly maxQueueBytes: number;
  readonly framing: Framing;
  readonly notices: boolean;
  readonly scheduler: FlushScheduler;
}

/** How long a closing peer gets to take its last bytes before the socket is destroyed. */
const LINGER_MS = 2_000;

/**
 * One TCP connection of the hub. Inbound: `events` is the connection as hub events, from
 * `joined` to `left`. Outbound: a queue bounded in bytes, written once per event-loop turn;
 * a peer whose queue overflows is closed as a slow consumer so that it cannot hold up the rest.
 */
export class PeerActor {
  readonly events: Observable<HubEvent>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private marked = false;
  private closeReason: string | undefined;

  constructor(
    readonly id: PeerId,
    private readonly socket: Socket,
    private readonly options: PeerOptions,
  ) {
    // Errors are reported through `events`; this keeps a late one from becoming an uncaught exception.
    socket.on('error', () => {});
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.events = concat(
      of<HubEvent>({ type: 'joined', peer: id, remote }),
      socketChunks(socket).pipe(
        splitFrames({ maxFrameBytes: options.maxFrameBytes, framing: options.framing }),
        classifyFrames(id),
        catchError((error: NodeJS.ErrnoException) => {
          this.closeReason ??= error.code?.toLowerCase() ?? 'error';
          return [];
        }),
      ),
      defer(() => of<HubEvent>({ type: 'left', peer: id, reason: this.closeReason ?? 'quit' })),
    );
  }

  get queuedBytes(): number {
    return this.pendingBytes + this.socket.writableLength;
  }

  send(data: Buffer): void {
    if (this.closeReason !== undefined) return;
    if (this.queuedBytes + data.length > this.options.maxQueueBytes) {
      this.close('slow-consumer');
      return;
    }
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (!this.marked) {
      this.marked = true;
      this.options.scheduler.mark(this);
    }
  }

  notice(text: string): void {
    if (this.options.notices) this.send(Buffer.from(`${text}\n`));
  }

  flush(): void {
    this.marked = false;
    if (this.pending.length === 0 || this.socket.destroyed) return;
    const batch =
      this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.socket.write(batch);
  }

  /** Says `#bye <reason>` (best effort), flushes what is queued and closes the connection. */
  close(reason: string): void {
    if (this.closeReason !== undefined) return;
    if (reason === 'slow-consumer') {
      // Whatever is queued would only deepen the backlog; the bye goes first, alone.
      this.pending = [];
      this.pendingBytes = 0;
    }
    this.closeReason = reason;
    if (this.options.notices) {
      const bye = Buffer.from(`${notice.bye(reason)}\n`);
      this.pending.push(bye);
      this.pendingBytes += bye.length;
    }
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.closeReason ??= 'shutdown';
    this.socket.destroy();
  }
}
