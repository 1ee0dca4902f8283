import { Observable } from 'rxjs';
import { backoffDelay } from '../streams/backoff.ts';
import { upEventOf } from '../streams/helloEvent.ts';
import type { LinkEvent } from '../streams/linkEvent.ts';
import type { Answerer } from './pageAdmission.ts';

const HELLO = '#hello ';
const CHALLENGE = '#challenge ';
const UNAUTHORIZED = '#bye unauthorized';
/** A hub says `#hello` at once: a connection that stays silent this long is dropped and retried. */
const WELCOME_TIMEOUT_MS = 5_000;

/**
 * The page's connection to the hub, as HubLink is the terminal's: one WebSocket message per
 * frame, `up` at the hub's `#hello`, `down` when it is lost, then reconnects with the same
 * backoff (0.5 s doubling to 30 s, with jitter) for as long as the page is open.
 *
 * A hub with --admit says `#challenge` first: the link answers it (`answer`) and the hub says
 * `#hello` once it has checked the answer. A hub that refuses (`#bye unauthorized`), or a
 * challenge the page will not answer, is said once and not retried: another try would be
 * refused alike, so the person has to Leave and join with another key (or at the hub's name).
 */
export class WebSocketLink {
  readonly events: Observable<LinkEvent>;
  private socket: WebSocket | undefined;
  private ending = false;

  constructor(
    private readonly url: string,
    private readonly onStatus: (line: string) => void,
    private readonly answer?: Answerer,
  ) {
    this.events = new Observable<LinkEvent>((subscriber) => {
      let retry: ReturnType<typeof setTimeout> | undefined;
      let attempt = 0;
      let lastSaid = '';
      /** Why the link gave up, when another try would fail alike. */
      let failure: string | undefined;
      const say = (line: string) => {
        if (line === lastSaid) return;
        lastSaid = line;
        this.onStatus(line);
      };

      const connect = (again: boolean) => {
        const socket = new WebSocket(this.url);
        this.socket = socket;
        let welcomed = false;
        const silence = setTimeout(() => socket.close(), WELCOME_TIMEOUT_MS);
        socket.addEventListener('message', (message: MessageEvent) => {
          if (typeof message.data !== 'string' || this.socket !== socket) return;
          const frame = message.data;
          if (!welcomed && frame.startsWith(CHALLENGE)) return void respond(socket, frame);
          if (!welcomed && (frame === UNAUTHORIZED || frame.startsWith(`${UNAUTHORIZED} `))) {
            // Said here in one line, in place of the actor's generic one for a #bye.
            failure =
              "the hub did not admit this key: it is not on the hub's --admit list (or the answer came too late)";
            return;
          }
          if (!welcomed && frame.startsWith(HELLO)) {
            clearTimeout(silence);
            welcomed = true;
            attempt = 0;
            lastSaid = '';
            if (again) this.onStatus('* reconnected');
            subscriber.next(upEventOf(frame));
          }
          subscriber.next({ type: 'frame', frame });
        });
        socket.addEventListener('close', (event: CloseEvent) => {
          clearTimeout(silence);
          if (this.socket === socket) this.socket = undefined;
          if (this.ending) return subscriber.complete();
          if (failure !== undefined) return say(`* ${failure}; not trying again`);
          const why = event.reason === '' ? '' : ` (${event.reason})`;
          if (welcomed) {
            subscriber.next({ type: 'down', reason: 'connection lost' });
            say(`* lost the connection to the hub${why}; reconnecting (what you type is kept and sent then)`);
          } else say(`* cannot reach the hub${why}; still trying`);
          attempt++;
          retry = setTimeout(() => connect(true), backoffDelay(attempt));
        });
      };

      /** Answers the hub's challenge, or gives up on a hub the page will not answer. */
      const respond = (socket: WebSocket, challenge: string) => {
        const answering = this.answer?.(challenge) ?? Promise.resolve(undefined);
        void answering.then((reply) => {
          if (this.socket !== socket) return;
          if (reply?.ok === true) return socket.send(reply.line);
          failure =
            reply?.message ?? 'the hub admits members only, and this page cannot answer its challenge';
          socket.close();
        });
      };

      connect(false);
      return () => {
        this.ending = true;
        clearTimeout(retry);
        this.socket?.close();
      };
    });
  }

  send(frame: string): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(frame);
  }

  /** Drops the current connection (a silent hub); the link reconnects. */
  drop(): void {
    this.socket?.close();
  }

  /** Leaves: closes once what was sent has gone, and does not reconnect. */
  end(): void {
    this.ending = true;
    this.socket?.close(1000);
  }
}
