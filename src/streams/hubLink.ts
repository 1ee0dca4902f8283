import type { Socket } from 'node:net';
import { Observable } from 'rxjs';
import type { LinkEvent } from './linkEvent.ts';
import { backoffDelay } from './backoff.ts';
import { type ConnectTls, connectSocket } from './connectSocket.ts';
import type { Framing } from './frameEvent.ts';
import { forEachFrame } from './frameEvent.ts';
import { FrameSplitter } from './frameSplitter.ts';
import { displayText } from '../text/displayText.ts';
import { upEventOf } from './helloEvent.ts';

/** One hub a client may use. */
export interface HubAddress {
  readonly host: string;
  readonly port: number;
}

export interface HubLinkOptions {
  /**
   * The hubs of the room, tried in turn: the first socket is to `hubs[0]`, and each reconnect
   * attempt goes to the next one (round the list), so a client whose hub goes away moves to
   * another hub of the cluster and resumes there.
   */
  readonly hubs: readonly HubAddress[];
  readonly framing: Framing;
  /** Reconnect with backoff when the connection is lost; otherwise the link ends. */
  readonly reconnect: boolean;
  /** Shown to the user: losses and each reconnect attempt. */
  readonly onStatus: (line: string) => void;
  /** Line framing: drop a connection on which the hub has not said `#hello` within this time. */
  readonly welcomeTimeoutMs?: number;
  /** Reconnect with TLS too (the first socket is the caller's). */
  readonly tls?: ConnectTls;
  /**
   * The answer to a hub's `#challenge` (its whole line): the `#answer` line to send, or why
   * not to answer, which ends the link. Without it, a hub that asks for admission is refused.
   */
  readonly answer?: (
    challenge: string,
    /** The host name of the hub that asks, to which the answer is bound. */
    host: string,
  ) => { ok: true; line: string } | { ok: false; message: string };
}

/** How long ending may wait for what was written to go out, and then for the hub to close. */
const END_FLUSH_TIMEOUT_MS = 60_000;
const END_LINGER_MS = 2_000;

/** Frames from the hub may exceed the hub's own default limit; this only bounds memory. */
const MAX_INCOMING_FRAME_BYTES = 1024 * 1024;
const HELLO = '#hello ';
const CHALLENGE = '#challenge ';
const UNAUTHORIZED = '#bye unauthorized';

/**
 * The client's connection to the hub, kept up across losses: an already connected socket
 * first, then reconnects with exponential backoff and jitter. Emits `up`, one `frame` per frame,
 * and `down`; completes when the connection is lost and reconnecting is off, or on `end()`.
 *
 * In line framing the link is `up` when the hub says `#hello`, not when TCP connects: a hub that
 * turns the connection away (`#bye hub-full`) never reads what is sent to it, so lines must keep
 * waiting, and the backoff must keep growing, until a hub has taken the connection.
 */
export class HubLink {
  readonly events: Observable<LinkEvent>;
  /**
   * Why the link gave up at once, if it did: the first connection reached something that is not
   * a fernet-chat hub (a wrong port), which retrying would not change.
   */
  failure: string | undefined;
  private socket: Socket | undefined;
  private ending = false;
  private welcomedOnce = false;

  constructor(
    first: Socket,
    private readonly options: HubLinkOptions,
  ) {
    const { hubs } = options;
    this.events = new Observable<LinkEvent>((subscriber) => {
      let retry: NodeJS.Timeout | undefined;
      let attempt = 0;
      /** The hub of `hubs` that the current (or next) connection is to. */
      let current = 0;
      /**
       * The last thing said about reconnecting: while the hub stays away each attempt fails the
       * same way, and one line per change of state says all there is (not two per attempt).
       */
      let lastSaid = '';
      const say = (line: string) => {
        if (line === lastSaid) return;
        lastSaid = line;
        options.onStatus(line);
      };

      const attach = (socket: Socket, again: boolean) => {
        this.socket = socket;
        const hub = hubs[current]!;
        const where = `${hub.host}:${hub.port}`;
        let welcomed = false;
        const silence =
          options.framing === 'line' && options.welcomeTimeoutMs !== undefined
            ? setTimeout(() => {
                // On the first connection the client ends with this as its one line; later, it
                // says so and goes on trying.
                if (!this.welcomedOnce)
                  this.failure = `nothing at ${where} said #hello: is it a fernet-chat hub?${options.tls === undefined ? ' (one with TLS needs --tls)' : ''}`;
                else
                  say(
                    `* the hub said nothing within ${(options.welcomeTimeoutMs ?? 0) / 1000} s; dropping the connection (is ${where} a fernet-chat hub?${options.tls === undefined ? ' one with TLS needs --tls' : ''})`,
                  );
                socket.destroy();
              }, options.welcomeTimeoutMs)
            : undefined;
        const welcome = (hello?: string) => {
          clearTimeout(silence);
          welcomed = true;
          this.welcomedOnce = true;
          attempt = 0;
          lastSaid = '';
          if (again) options.onStatus(hubs.length > 1 ? `* reconnected, to ${where}` : '* reconnected');
          subscriber.next(upEventOf(hello));
        };
        /** Something other than `#hello` came first: whatever listens there, it is no hub of ours. */
        const notAHub = (first: string) => {
          clearTimeout(silence);
          const sample = displayText(first.slice(0, 40));
          if (!this.welcomedOnce)
            this.failure = `${where} is not a fernet-chat hub (it said "${sample}" instead of #hello)`;
          else
            say(
              `* ${where} is not a fernet-chat hub (it said "${sample}" instead of #hello); dropping the connection`,
            );
          socket.destroy();
        };
        /** The hub admits key holders only: sign its challenge with our keys, or give up. */
        const answer = (challenge: string) => {
          const reply = options.answer?.(challenge, hub.host) ?? {
            ok: false,
            message: `the hub at ${where} admits members only, and this client cannot answer its challenge`,
          };
          if (reply.ok) return socket.write(`${reply.line}\n`);
          clearTimeout(silence);
          this.failure = reply.message;
          socket.destroy();
        };
        const splitter = new FrameSplitter({
          maxFrameBytes: MAX_INCOMING_FRAME_BYTES,
          framing: options.framing,
        });
        socket.on('error', () => {}); // the close that follows says it
        socket.on('data', (chunk: Buffer) =>
          splitter.push(chunk, (event) => {
            if (event.kind === 'oversize') {
              subscriber.next({ type: 'oversize', bytes: event.bytes });
              return;
            }
            forEachFrame(event.data, (start, end) => {
              if (socket.destroyed) return;
              const frame = event.data.toString('utf8', start, end);
              if (!welcomed && options.framing === 'line') {
                // A hub that turns us away says `#bye hub-full` first: a notice, still a hub.
                if (frame.startsWith(HELLO)) welcome(frame);
                else if (frame.startsWith(CHALLENGE)) return void answer(frame);
                else if (!frame.startsWith('#')) return notAHub(frame);
                // Retrying would be refused alike: the hub does not hold any of our keys' public halves.
                if (frame === UNAUTHORIZED || frame.startsWith(`${UNAUTHORIZED} `))
                  this.failure = `the hub at ${where} did not admit us: none of the keys in our key file is on its --admit list, or the answer came too late`;
              }
              subscriber.next({ type: 'frame', frame });
            });
          }),
        );
        socket.once('close', () => {
          clearTimeout(silence);
          this.socket = undefined;
          if (this.ending) return subscriber.complete();
          if (welcomed) subscriber.next({ type: 'down', reason: 'connection lost' });
          if (!options.reconnect || this.failure !== undefined) return subscriber.complete();
          if (welcomed)
            say(
              `* lost the connection to the hub at ${where}; reconnecting${hubs.length > 1 ? ' to the next hub' : ''} (what you type is kept and sent then)`,
            );
          scheduleRetry();
        });
        // The seed's server says nothing: connected is all there is to know.
        if (options.framing === 'chunk') welcome();
      };

      const scheduleRetry = () => {
        attempt++;
        const delay = backoffDelay(attempt);
        current = (current + 1) % hubs.length;
        retry = setTimeout(() => {
          const hub = hubs[current]!;
          connectSocket(hub.host, hub.port, undefined, options.tls).then(
            (socket) => {
              if (this.ending || subscriber.closed) return socket.destroy();
              attach(socket, true);
            },
            (error: Error) => {
              if (this.ending || subscriber.closed) return;
              say(`* ${error.message}; still trying`);
              scheduleRetry();
            },
          );
        }, delay);
      };

      attach(first, false);
      return () => {
        clearTimeout(retry);
        this.socket?.destroy();
      };
    });
  }

  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  send(frame: string): void {
    this.socket?.write(`${frame}\n`);
  }

  /** Drops the current connection (a silent hub); the link reconnects if it may. */
  drop(): void {
    this.socket?.destroy();
  }

  /**
   * Ends the link once everything written so far has reached the kernel (a hub with flood
   * control may take a while to read it all). Resolves false when that did not happen within
   * `flushTimeoutMs`, or the connection broke first: then some lines may not have been sent.
   */
  end(flushTimeoutMs = END_FLUSH_TIMEOUT_MS): Promise<boolean> {
    this.ending = true;
    const socket = this.socket;
    if (!socket) return Promise.resolve(true);
    return new Promise((resolve) => {
      let flushed = false;
      const giveUp = setTimeout(() => socket.destroy(), flushTimeoutMs);
      socket.once('finish', () => {
        flushed = true;
        clearTimeout(giveUp);
        // Everything is out; the hub closes its side at once, or we stop waiting for it.
        setTimeout(() => socket.destroy(), END_LINGER_MS).unref();
      });
      socket.once('close', () => {
        clearTimeout(giveUp);
        resolve(flushed);
      });
      socket.end();
    });
  }
}
