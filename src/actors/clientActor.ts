import { randomUUID } from 'node:crypto';
import {
  asyncScheduler,
  concat,
  defer,
  EMPTY,
  map,
  merge,
  mergeMap,
  type Observable,
  of,
  race,
  type SchedulerLike,
  Subject,
  switchMap,
  take,
  timer,
} from 'rxjs';
import { FernetError } from '../crypto/fernetError.ts';
import type { KeyRing } from '../crypto/keyRing.ts';
import type { Envelope, EnvelopeKind } from '../protocol/envelope.ts';
import { notice, parseNotice } from '../protocol/notice.ts';
import type { ClientOutput, LinkEvent } from './clientOutput.ts';
import { displayText } from './displayText.ts';
import { RecentTokens } from './recentTokens.ts';
import { showPlaintext } from './showPlaintext.ts';

export const CLIENT_ACTOR_DEFAULTS = {
  /** Lines kept while disconnected; more are refused with a warning. */
  maxQueuedLines: 100,
  /** Token signatures remembered to refuse replays. */
  replayMemory: 10_000,
  /** Send `#ping` after this long without a frame from the hub… */
  idleMs: 120_000,
  /** …and drop the connection when nothing arrives this long after it. */
  pongTimeoutMs: 20_000,
} as const;

export interface ClientActorOptions {
  readonly ring: KeyRing;
  readonly name: string;
  /** Tokens longer than this are not sent (the hub would refuse them). */
  readonly maxFrameBytes: number;
  /** Oldest token accepted, in seconds; 0 accepts any age (but still refuses the far future). */
  readonly ttlSeconds: number;
  /** 0 turns the client's own keepalive off (as in `chunk` framing). */
  readonly idleMs?: number;
  readonly pongTimeoutMs?: number;
  readonly maxQueuedLines?: number;
  readonly replayMemory?: number;
  readonly clock?: () => Date;
  readonly newId?: () => string;
  readonly scheduler?: SchedulerLike;
}

export interface ClientInputs {
  /** What the user typed, one line each; completes at end of input. */
  readonly typed: Observable<string>;
  /** The connection to the hub: up, frames, down (and up again after a reconnect). */
  readonly link: Observable<LinkEvent>;
}

/**
 * The client, without socket or terminal: typed line → envelope → token to send, and frame →
 * token → envelope → line to show. Announces itself each time the link comes up, keeps what is
 * typed while it is down (bounded), refuses replayed and stale tokens, and pings a silent hub.
 */
export function clientActor(options: ClientActorOptions): (inputs: ClientInputs) => Observable<ClientOutput> {
  const clock = options.clock ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  const scheduler = options.scheduler ?? asyncScheduler;
  const idleMs = options.idleMs ?? CLIENT_ACTOR_DEFAULTS.idleMs;
  const pongTimeoutMs = options.pongTimeoutMs ?? CLIENT_ACTOR_DEFAULTS.pongTimeoutMs;
  const maxQueuedLines = options.maxQueuedLines ?? CLIENT_ACTOR_DEFAULTS.maxQueuedLines;
  const unixNow = () => Math.floor(clock().getTime() / 1000);
  // Python's Fernet checks the future only along with a TTL; "no TTL" is an unreachable one here.
  const ttlSeconds = options.ttlSeconds > 0 ? options.ttlSeconds : Number.MAX_SAFE_INTEGER;

  const seal = (kind: EnvelopeKind, text: string): ClientOutput => {
    const envelope: Envelope = {
      v: 1,
      kind,
      from: options.name,
      text,
      id: newId(),
      at: clock().toISOString(),
    };
    const frame = options.ring.encrypt(JSON.stringify(envelope), { now: unixNow() });
    if (frame.length > options.maxFrameBytes) {
      return {
        type: 'warn',
        kind: 'too-long',
        line: `! not sent: message too long (${Buffer.byteLength(text)} bytes)`,
      };
    }
    return { type: 'send', frame };
  };

  return ({ typed, link }) =>
    defer(() => {
      let up = false;
      const waiting: string[] = [];
      const recent = new RecentTokens(options.replayMemory ?? CLIENT_ACTOR_DEFAULTS.replayMemory);

      /** Sends now, or keeps the frame until the link is up again. */
      const sendOrKeep = (output: ClientOutput): Observable<ClientOutput> => {
        if (output.type !== 'send' || up) return of(output);
        if (waiting.length < maxQueuedLines) {
          waiting.push(output.frame);
          return EMPTY;
        }
        return of({
          type: 'warn',
          kind: 'queue-full',
          line: `! not connected and ${maxQueuedLines} lines already wait: this one was dropped`,
        });
      };

      const openToken = (frame: string): ClientOutput => {
        try {
          const opened = options.ring.open(frame, { ttlSeconds, now: unixNow });
          if (!recent.remember(opened.signature))
            return { type: 'warn', kind: 'replay', line: '! dropped a repeated message (replay)' };
          return showPlaintext(opened.plaintext);
        } catch (error) {
          if (error instanceof FernetError)
            return {
              type: 'warn',
              kind: `unreadable:${error.code}`,
              line: `! unreadable message: ${whyUnreadable(error)}`,
            };
          throw error;
        }
      };

      const onLink = (event: LinkEvent): Observable<ClientOutput> => {
        switch (event.type) {
          case 'up': {
            up = true;
            const kept = waiting.splice(0).map((frame): ClientOutput => ({ type: 'send', frame }));
            return of(seal('join', ''), ...kept);
          }
          case 'down':
            up = false;
            return EMPTY;
          case 'frame':
            return event.frame.startsWith('#') ? onNotice(event.frame) : of(openToken(event.frame));
          case 'oversize':
            return of({
              type: 'warn',
              kind: 'oversize',
              line: `! skipped a message too large to hold (${event.bytes}+ bytes)`,
            });
        }
      };

      const keepalive = (event: LinkEvent): Observable<ClientOutput> =>
        event.type === 'down' || idleMs <= 0
          ? EMPTY
          : timer(idleMs, scheduler).pipe(
              mergeMap(() =>
                concat(
                  of<ClientOutput>({ type: 'send', frame: notice.ping() }),
                  timer(pongTimeoutMs, scheduler).pipe(
                    map((): ClientOutput => ({ type: 'drop', reason: 'the hub did not answer a ping' })),
                  ),
                ),
              ),
            );

      const cameUp = new Subject<void>();
      const goodbye = (): Observable<ClientOutput> =>
        of(seal('leave', ''), { type: 'done', unsent: 0 } as const);
      // Input can end before the hub has said hello (a short pipe) or while reconnecting: then
      // what waits is sent when the link comes up, if it does within the pong timeout.
      const finish = defer(() =>
        up
          ? goodbye()
          : race(
              cameUp.pipe(take(1), mergeMap(goodbye)),
              timer(pongTimeoutMs, scheduler).pipe(
                map((): ClientOutput => ({ type: 'done', unsent: waiting.length })),
              ),
            ),
      );
      const announceUp = (event: LinkEvent): Observable<never> =>
        event.type === 'up'
          ? defer(() => {
              cameUp.next();
              return EMPTY;
            })
          : EMPTY;

      return merge(
        // Every link event restarts the keepalive timer: silence is measured from the last frame.
        link.pipe(switchMap((event) => concat(onLink(event), announceUp(event), keepalive(event)))),
        concat(
          typed.pipe(mergeMap((line) => (line.trim() === '' ? EMPTY : sendOrKeep(seal('message', line))))),
          finish,
        ),
      );
    });
}

function onNotice(frame: string): Observable<ClientOutput> {
  const parsed = parseNotice(frame);
  switch (parsed.kind) {
    case 'hello':
      return of({
        type: 'status',
        kind: 'hub-hello',
        line: `* connected as #${parsed.peer}, ${parsed.online} online`,
      });
    case 'ping':
      return of({ type: 'send', frame: notice.pong() });
    case 'error':
      return of({
        type: 'warn',
        kind: 'hub-error',
        line: `! hub: ${displayText(parsed.detail)} (${displayText(parsed.code)})`,
      });
    case 'bye':
      return of({
        type: 'status',
        kind: 'hub-bye',
        line: `* the hub is closing the connection: ${displayText(parsed.reason)}`,
      });
    default:
      return EMPTY;
  }
}

function whyUnreadable(error: FernetError): string {
  switch (error.code) {
    case 'bad-signature':
      return 'not encrypted with any of our keys, or tampered with';
    case 'expired':
      return 'too old (older than the TTL)';
    case 'future':
      return 'dated in the future (clock skew over 60 s)';
    default:
      return `not a valid token (${error.message})`;
  }
}
