import {
  asyncScheduler,
  catchError,
  concat,
  concatMap,
  defer,
  EMPTY,
  from,
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
  takeWhile,
  tap,
  timer,
} from 'rxjs';
import { FernetError } from '../crypto/fernetError.ts';
import type { KeyRing } from '../crypto/keyRing.ts';
import type { FernetKey } from '../crypto/fernetKey.ts';
import { ed25519Verifier, type Signer } from '../crypto/identity.ts';
import { roomOf, signEnvelope, type Verifier } from '../protocol/signedEnvelope.ts';
import type { OpenedToken } from '../crypto/fernetToken.ts';
import { type ClientCodec, ringCodec } from './clientCodec.ts';
import { type Envelope, type EnvelopeKind, envelopeSchema } from '../protocol/envelope.ts';
import { tokenDigest } from '../protocol/frameDigest.ts';
import { notice, type ParsedNotice, parseNotice } from '../protocol/notice.ts';
import { answerNews } from './answerNews.ts';
import type { ClientOutput, LinkEvent } from './clientOutput.ts';
import { HELP_LINES, parseTyped } from './commands.ts';
import { displayText } from '../text/displayText.ts';
import { earlierLine } from './earlierLine.ts';
import { RecentTokens } from './recentTokens.ts';
import { type AnswerEnd, ResumeState } from './resumeState.ts';
import { Roster } from './roster.ts';
import { showPlaintext } from './showPlaintext.ts';
import type { Pin, PinState } from './pinnedNames.ts';
import { SignedNames } from './signedNames.ts';

export const CLIENT_ACTOR_DEFAULTS = {
  /** Lines kept while disconnected; more are refused with a warning. */
  maxQueuedLines: 100,
  /** Token digests remembered (shown or sent) to refuse replays and drop what history repeats. */
  replayMemory: 10_000,
  /** Earlier messages asked for on the first connection to a hub that keeps history. */
  history: 50,
  /** Live frames held while waiting for a history answer, at most, and their bytes… */
  maxHeldFrames: 10_000,
  maxHeldBytes: 16 * 1024 * 1024,
  /** …and how long the answer may take to start, or to go on, before they are shown anyway. */
  historyWaitMs: 10_000,
  /** Send `#ping` after this long without a frame from the hub… */
  idleMs: 120_000,
  /** …and drop the connection when nothing arrives this long after it. */
  pongTimeoutMs: 20_000,
} as const;

export interface ClientActorOptions {
  /** The keys, used at once (Node's crypto): the terminal client's. Give this or `codec`. */
  readonly ring?: KeyRing;
  /** A codec whose answers may come later (Web Crypto): the page's. */
  readonly codec?: ClientCodec;
  readonly name: string;
  /** Signs what we send (envelope v2); without one we send v1, unsigned. */
  readonly identity?: Signer;
  /**
   * Names pinned so far: given, senders are pinned on first use and marked when unsigned or
   * signing with another key (signedNames.ts); absent, signatures are checked but not pinned.
   */
  readonly pins?: PinState;
  /** Checks a signature; Node's by default. */
  readonly verify?: Verifier;
  /** Tokens longer than this are not sent (the hub would refuse them). */
  readonly maxFrameBytes: number;
  /** Oldest token accepted, in seconds; 0 accepts any age (but still refuses the far future). */
  readonly ttlSeconds: number;
  /** 0 turns the client's own keepalive off (as in `chunk` framing). */
  readonly idleMs?: number;
  readonly pongTimeoutMs?: number;
  readonly maxQueuedLines?: number;
  readonly replayMemory?: number;
  /** Earlier messages to ask for on the first connection (0: none); reconnects resume anyway. */
  readonly history?: number;
  /**
   * Show our own messages as they are sent. A terminal has them on screen already (the typed
   * line stays); a page's input box empties, so the page asks for them.
   */
  readonly echo?: boolean;
  readonly maxHeldFrames?: number;
  readonly maxHeldBytes?: number;
  readonly historyWaitMs?: number;
  readonly clock?: () => Date;
  readonly newId?: () => string;
  readonly scheduler?: SchedulerLike;
}

export interface ClientInputs {
  /** What the user typed, one line each; completes at end of input. */
  readonly typed: Observable<string>;
  /** The connection to the hub: up, frames, down (and up again after a reconnect). */
  readonly link: Observable<LinkEvent>;
  /** The pinned names, each time the pins file is edited (by hand, or by another client). */
  readonly pinEdits?: Observable<readonly Pin[]>;
}

/**
 * The client, without socket or terminal: typed line → envelope → token to send, and frame →
 * token → envelope → line to show. Announces itself each time the link comes up, keeps what is
 * typed while it is down (bounded), refuses replayed and stale tokens, and pings a silent hub.
 * With a hub that keeps history, it asks for earlier messages on its first connection and
 * resumes where it left off on every later one (resumeState), before its join.
 */
export function clientActor(options: ClientActorOptions): (inputs: ClientInputs) => Observable<ClientOutput> {
  const clock = options.clock ?? (() => new Date());
  const newId = options.newId ?? (() => globalThis.crypto.randomUUID());
  const scheduler = options.scheduler ?? asyncScheduler;
  const idleMs = options.idleMs ?? CLIENT_ACTOR_DEFAULTS.idleMs;
  const pongTimeoutMs = options.pongTimeoutMs ?? CLIENT_ACTOR_DEFAULTS.pongTimeoutMs;
  const maxQueuedLines = options.maxQueuedLines ?? CLIENT_ACTOR_DEFAULTS.maxQueuedLines;
  const historyWaitMs = options.historyWaitMs ?? CLIENT_ACTOR_DEFAULTS.historyWaitMs;
  const unixNow = () => Math.floor(clock().getTime() / 1000);
  // Python's Fernet checks the future only along with a TTL; "no TTL" is an unreachable one here.
  const ttlSeconds = options.ttlSeconds > 0 ? options.ttlSeconds : Number.MAX_SAFE_INTEGER;
  if (options.codec === undefined && options.ring === undefined)
    throw new TypeError('clientActor needs a ring or a codec');
  const codec = options.codec ?? ringCodec(options.ring!);
  const ourFingerprint = codec.fingerprint;
  const rooms = new WeakMap<FernetKey, Buffer>();
  /** The room a key's signatures are bound to, worked out once per key. */
  const room = (key: FernetKey): Buffer => {
    let bound = rooms.get(key);
    if (bound === undefined) rooms.set(key, (bound = roomOf(key)));
    return bound;
  };

  return ({ typed, link, pinEdits }) =>
    defer(() => {
      let up = false;
      /** Times the link came up: the first is "connected", the later ones reconnects. */
      let connections = 0;
      let name = options.name;
      /** Unreadable messages (bad signature) since the last readable one. */
      let unreadableInARow = 0;
      const waiting: string[] = [];
      const recent = new RecentTokens(options.replayMemory ?? CLIENT_ACTOR_DEFAULTS.replayMemory);
      const roster = new Roster();
      const resume = new ResumeState(options.history ?? CLIENT_ACTOR_DEFAULTS.history, {
        frames: options.maxHeldFrames ?? CLIENT_ACTOR_DEFAULTS.maxHeldFrames,
        bytes: options.maxHeldBytes ?? CLIENT_ACTOR_DEFAULTS.maxHeldBytes,
      });
      /** true: (re)start the wait for a history answer; false: it is over. */
      const answerWait = new Subject<boolean>();
      const names = new SignedNames({
        verify: options.verify ?? ed25519Verifier(),
        ...(options.pins === undefined ? {} : { pins: options.pins }),
      });
      const signer = options.identity;

      /**
       * The envelope as a frame to send, or a warning; with an asynchronous codec it comes later,
       * and everything that depends on it (sending, a rename) waits for it.
       */
      const seal = (
        kind: EnvelopeKind,
        text: string,
        extra: EnvelopeExtra = {},
        from = name,
      ): Observable<ClientOutput> => {
        const unsigned: Envelope = {
          v: 1,
          kind,
          from,
          text,
          id: newId(),
          at: clock().toISOString(),
          // Our hub id, so that the others can put our name to the hub's #joined/#left (envelope.ts).
          ...(roster.self === undefined ? {} : { peer: roster.self }),
          ...extra,
        };
        const signed =
          signer === undefined ? of<Envelope>(unsigned) : signing(unsigned, room(codec.primary), signer);
        return signed.pipe(
          concatMap((envelope) =>
            'type' in envelope
              ? of(envelope)
              : codec.seal(JSON.stringify(envelope), unixNow()).pipe(
                  map((frame): ClientOutput => {
                    if (frame.length > options.maxFrameBytes) {
                      const limit = longestText(options.maxFrameBytes, { ...envelope, text: '' });
                      return {
                        type: 'warn',
                        kind: 'too-long',
                        line: `! not sent: message too long (${Buffer.byteLength(text)} bytes; at most ${limit} fit in one message)`,
                      };
                    }
                    // A resume answer brings our own lines back: known, they are dropped silently.
                    recent.remember(tokenDigest(frame));
                    return { type: 'send', frame };
                  }),
                ),
          ),
        );
      };

      /** Sends now, or keeps the frame until the link is up again. */
      const sendOrKeep = (output: ClientOutput): Observable<ClientOutput> => {
        if (output.type !== 'send' || up) return of(output);
        if (waiting.length < maxQueuedLines) {
          waiting.push(output.frame);
          // Before the first #hello lines wait a moment only (piped input); after a loss, say so.
          if (connections === 0) return EMPTY;
          return of({
            type: 'status',
            kind: 'queued',
            line: `* ${lines(waiting.length)} queued, will be sent on reconnect`,
          });
        }
        return of({
          type: 'warn',
          kind: 'queue-full',
          line: `! not connected and ${maxQueuedLines} lines already wait: this one was dropped`,
        });
      };

      /** Sends a typed line; one too long to send goes back to the input line, to be cut. */
      const sendTyped = (
        line: string,
        sealing: Observable<ClientOutput>,
        /** How the line shows as ours, where `echo` asks for it: `alice: hi`, `* alice waves`. */
        echo: (label: string) => string,
      ): Observable<ClientOutput> =>
        sealing.pipe(
          mergeMap((sealed) => {
            if (sealed.type === 'warn' && sealed.kind === 'too-long')
              return of<ClientOutput[]>(sealed, { type: 'restore', text: line });
            if (options.echo !== true || sealed.type !== 'send') return sendOrKeep(sealed);
            const label = displayText(name);
            const shown = echo(label);
            const ours: ClientOutput = {
              type: 'show',
              line: shown,
              sender: {
                name: label,
                start: shown.startsWith(`${label}: `) ? 0 : 2,
                at: clock().toISOString(),
              },
            };
            return concat(sendOrKeep(sealed), of(ours));
          }),
        );

      const onTyped = (line: string): Observable<ClientOutput> => {
        const command = parseTyped(line);
        switch (command.kind) {
          case 'nothing':
          case 'quit':
            return EMPTY;
          case 'say':
            return sendTyped(
              line,
              seal('message', command.text),
              (label) => `${label}: ${displayText(command.text)}`,
            );
          case 'me':
            return sendTyped(
              line,
              seal('message', command.text, { action: true }),
              (label) => `* ${label} ${displayText(command.text)}`,
            );
          case 'nick': {
            const was = name;
            return seal('join', '', { was: name }, command.name).pipe(
              mergeMap((sealed) => {
                if (sealed.type !== 'send') return of(sealed);
                name = command.name;
                if (roster.self !== undefined) roster.see(roster.self, name);
                return concat(
                  signer === undefined ? EMPTY : of(...names.self(name, signer)),
                  sendOrKeep(sealed),
                  of<ClientOutput[]>(
                    { type: 'renamed', name },
                    { type: 'show', line: `* you are now ${displayText(name)} (were ${displayText(was)})` },
                  ),
                );
              }),
            );
          }
          case 'who':
            return of({ type: 'show', line: whoLine(roster, name) });
          case 'whois':
            return of(...names.whois(command.name, { name, ...(signer === undefined ? {} : { signer }) }));
          case 'trust':
            return of(...names.trust(command.name));
          case 'help':
            return of(...HELP_LINES.map((text): ClientOutput => ({ type: 'show', line: text })));
          case 'error':
            return of({ type: 'warn', kind: 'command', line: command.line });
        }
      };

      const onEnvelope = (envelope: Envelope): Observable<ClientOutput> => {
        const { peer, from } = envelope;
        // The line, with who it is about and when, for a terminal's time and colour: the name
        // starts after `* ` unless the line is `name: text`.
        const show = (line: string, name?: string) =>
          of<ClientOutput>({
            type: 'show',
            line,
            ...(name === undefined
              ? {}
              : { sender: { name, start: line.startsWith(`${name}: `) ? 0 : 2, at: envelope.at } }),
          });
        switch (envelope.kind) {
          case 'join': {
            if (envelope.was !== undefined) {
              if (peer === undefined) {
                roster.leftUnlinked(envelope.was);
                roster.joinedUnlinked(from);
                return show(
                  `* ${displayText(envelope.was)} is now ${displayText(from)}`,
                  displayText(envelope.was),
                );
              }
              const seen = roster.see(peer, from);
              const before = seen.before ?? displayText(envelope.was);
              return show(`* ${before} is now ${seen.label}`, before);
            }
            if (peer === undefined) {
              roster.joinedUnlinked(from);
              return show(`* ${displayText(from)} joined`, displayText(from));
            }
            const hereBefore = roster.wasHereBefore(peer, from);
            const seen = roster.see(peer, from);
            // A reply to someone's join is news only to whoever did not know the sender yet
            // (after our reconnect, those who were here before are not).
            if (envelope.here === true)
              return seen.isNew && !hereBefore ? show(`* ${seen.label} is here`, seen.label) : EMPTY;
            // Answer a newcomer, once per join, so that it learns who is here. Only clients that
            // send their id get an answer: older ones would show every answer as a join.
            // In a big room every join would bring an answer from everyone, each relayed to
            // everyone (N² frames): there newcomers learn names from messages instead.
            const small = roster.online <= MAX_ROOM_FOR_ANSWERS;
            const answer = up && small ? seal('join', '', { here: true }) : EMPTY;
            return concat(show(`* ${seen.label} joined`, seen.label), answer);
          }
          case 'leave': {
            if (peer === undefined) {
              roster.leftUnlinked(from);
              return show(`* ${displayText(from)} left`, displayText(from));
            }
            const label = roster.labelOf(from, peer);
            roster.goodbye(peer);
            return show(`* ${label} left`, label);
          }
          case 'message': {
            // Someone who was here before us and has not answered our join yet: learn the name.
            if (peer !== undefined && !roster.has(peer)) roster.see(peer, from);
            const label = roster.labelOf(from, peer);
            const text = displayText(envelope.text);
            return show(envelope.action === true ? `* ${label} ${text}` : `${label}: ${text}`, label);
          }
        }
      };

      /** The token opened, or what to say about one that cannot be. */
      const open = (frame: string): Observable<OpenedToken | ClientOutput[]> =>
        codec.open(frame, { ttlSeconds, now: unixNow }).pipe(
          map((opened) => {
            unreadableInARow = 0;
            return opened;
          }),
          catchError((error: unknown) => of(unreadable(error, frame))),
        );

      /** The warning for a token that cannot be opened, and a hint after a run of them. */
      const unreadable = (error: unknown, frame: string): ClientOutput[] => {
        {
          if (!(error instanceof FernetError)) throw error;
          const warning: ClientOutput = {
            type: 'warn',
            kind: `unreadable:${error.code}`,
            line: `! ${whyUnreadable(error, frame, unixNow())}`,
          };
          if (error.code !== 'bad-signature') return [warning];
          // One hint per run of them: another key is the likeliest cause, and people can compare
          // fingerprints; the hint is not repeated while the run goes on.
          if (++unreadableInARow !== UNREADABLE_RUN_FOR_HINT) return [warning];
          const hint: ClientOutput = {
            type: 'status',
            kind: 'key-hint',
            line: `* ${UNREADABLE_RUN_FOR_HINT} messages in a row could not be read: their sender may use another key (ours is ${ourFingerprint}; compare fingerprints)`,
          };
          return [warning, hint];
        }
      };

      /**
       * Who sent an envelope (signedNames.ts). A signed envelope's id is remembered too: someone
       * with the key could put a signed envelope into a new token, which a token digest misses.
       */
      const identified = (envelope: Envelope, opened: OpenedToken) => {
        const who = names.identify(envelope, room(opened.key), opened.issuedAt);
        if (who.show === undefined || envelope.v !== 2 || recent.remember(`id ${envelope.id}`)) return who;
        return {
          notes: [{ type: 'warn', kind: 'replay', line: '! dropped a repeated message (replay)' } as const],
        };
      };

      const onLive = (frame: string, digest: string): Observable<ClientOutput> =>
        open(frame).pipe(
          mergeMap((opened) => {
            if (Array.isArray(opened)) return of(...opened);
            if (!recent.remember(digest))
              return of<ClientOutput>({
                type: 'warn',
                kind: 'replay',
                line: '! dropped a repeated message (replay)',
              });
            const envelope = envelopeOf(opened.plaintext);
            if (envelope === undefined) return of(showPlaintext(opened.plaintext));
            const who = identified(envelope, opened);
            const notes: Observable<ClientOutput> = from(who.notes);
            return who.show === undefined ? notes : concat(notes, onEnvelope(who.show));
          }),
        );

      /** A frame of a history answer: a line marked as earlier, which changes nothing about now. */
      const onEarlier = (frame: string, digest: string): Observable<ClientOutput> => {
        // Shown or sent already (our own lines come back in a resume): no news, and no replay.
        if (!recent.remember(digest)) return EMPTY;
        return open(frame).pipe(
          mergeMap((opened): Observable<ClientOutput> => {
            if (Array.isArray(opened)) return of(...opened);
            const envelope = envelopeOf(opened.plaintext);
            if (envelope === undefined) {
              const plain = showPlaintext(opened.plaintext);
              if (plain.type !== 'show') return of(plain);
              resume.countShown(true);
              // Bare text has no time of its own; the token's is as good as the sender's clock.
              return of({ ...plain, earlier: new Date(opened.issuedAt * 1000).toISOString() });
            }
            const who = identified(envelope, opened);
            const line = who.show === undefined ? undefined : earlierLine(who.show);
            const notes: Observable<ClientOutput> = from(who.notes);
            if (line === undefined) return notes;
            resume.countShown(envelope.kind === 'message');
            return concat(notes, of<ClientOutput[]>({ type: 'show', ...line, earlier: envelope.at }));
          }),
        );
      };

      /** A data frame: live, held until the history answer ends, or part of the answer. */
      const onData = (frame: string): Observable<ClientOutput> => {
        const digest = tokenDigest(frame);
        switch (resume.route(frame, digest)) {
          case 'live':
            return onLive(frame, digest);
          case 'held':
            return EMPTY;
          case 'earlier':
            answerWait.next(true);
            return onEarlier(frame, digest);
          case 'full':
            return concat(
              giveUp('more new messages came than can be held while waiting for them'),
              defer(() => onData(frame)),
            );
        }
      };

      /** After a history answer: what it amounted to, then the live frames held meanwhile. */
      const afterAnswer = (end: AnswerEnd | undefined, why?: string): Observable<ClientOutput> => {
        if (end === undefined) return EMPTY;
        answerWait.next(false);
        return concat(of(...answerNews(end, why)), from(end.held).pipe(concatMap(onData)));
      };

      /** Stops waiting for a history answer that is not coming, and shows what was held. */
      const giveUp = (why: string): Observable<ClientOutput> =>
        defer(() => afterAnswer(resume.gaveUp(), why));

      const onNotice = (frame: string): Observable<ClientOutput> => {
        const parsed = parseNotice(frame);
        switch (parsed.kind) {
          case 'hello':
            if (parsed.online >= 0) roster.online = parsed.online;
            if (roster.self === undefined && parsed.peer >= 0) {
              roster.self = parsed.peer;
              roster.see(parsed.peer, name);
            }
            // After a reconnect the link says "* reconnected"; the new id is nobody's business.
            if (connections > 1) return EMPTY;
            return of({
              type: 'status',
              kind: 'hub-hello',
              line: `* connected as #${parsed.peer}, ${parsed.online} online`,
            });
          case 'joined':
            if (parsed.online >= 0) roster.online = parsed.online;
            return EMPTY;
          case 'history-start':
            resume.started();
            if (resume.waiting) answerWait.next(true);
            return EMPTY;
          case 'history-end':
            return afterAnswer(resume.ended(parsed.outcome));
          case 'error':
            // Only our history request can be unknown or bad: the answer is not coming.
            if (resume.waiting && (parsed.code === 'unknown-command' || parsed.code === 'bad-request'))
              return concat(hubNotice(parsed), giveUp('the hub refused the request'));
            return hubNotice(parsed);
          case 'left': {
            if (parsed.online >= 0) roster.online = parsed.online;
            const label = roster.left(parsed.peer);
            if (label === undefined) return EMPTY;
            return of({
              type: 'show',
              line: `* ${label} left without a goodbye (${lostBecause(parsed.reason)})`,
            });
          }
          default:
            return hubNotice(parsed);
        }
      };

      const onLink = (event: LinkEvent): Observable<ClientOutput> => {
        switch (event.type) {
          case 'up': {
            up = true;
            connections++;
            roster.reset();
            if (event.peer !== undefined) {
              roster.self = event.peer;
              roster.see(event.peer, name);
            }
            if (event.online !== undefined) roster.online = event.online;
            // First the request, so that the hub answers up to our join, before it sees the join.
            const asked = resume.connected(event, connections === 1);
            if (asked !== undefined) answerWait.next(true);
            const request: ClientOutput[] = asked === undefined ? [] : [{ type: 'send', frame: asked }];
            const kept = waiting.splice(0).map((frame): ClientOutput => ({ type: 'send', frame }));
            const sent: ClientOutput[] =
              connections > 1 && kept.length > 0
                ? [
                    {
                      type: 'status',
                      kind: 'queue-sent',
                      line: `* sent ${lines(kept.length)} queued while offline`,
                    },
                  ]
                : [];
            return concat(of(...request), seal('join', ''), of(...kept, ...sent));
          }
          case 'down':
            up = false;
            roster.reset();
            resume.lost();
            answerWait.next(false);
            return EMPTY;
          case 'frame':
            return event.frame.startsWith('#') ? onNotice(event.frame) : onData(event.frame);
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
        concat(seal('leave', ''), of({ type: 'done', unsent: 0 } as const));
      // Input can end before the hub has said hello (a short pipe) or while reconnecting: then
      // what waits is sent when the link comes up, if it does within the pong timeout. With
      // nothing waiting there is nothing to wait for: the others saw the connection go already.
      const finish = defer(() => {
        if (up) return goodbye();
        if (waiting.length === 0) return of<ClientOutput>({ type: 'done', unsent: 0 });
        // Before the first #hello (a short pipe) the wait is a moment, not news.
        const news: ClientOutput[] = [];
        if (connections > 0)
          news.push({
            type: 'status',
            kind: 'waiting',
            line: `* not connected: waiting up to ${pongTimeoutMs / 1000} s for the hub to send ${lines(waiting.length)} queued (Ctrl-D again leaves without them)`,
          });
        return concat(
          of(...news),
          race(
            cameUp.pipe(take(1), mergeMap(goodbye)),
            timer(pongTimeoutMs, scheduler).pipe(
              map((): ClientOutput => ({ type: 'done', unsent: waiting.length })),
            ),
          ),
        );
      });
      const announceUp = (event: LinkEvent): Observable<never> =>
        event.type === 'up'
          ? defer(() => {
              cameUp.next();
              return EMPTY;
            })
          : EMPTY;

      // The wait for a history answer is bounded: a hub that never answers cannot hold the live
      // frames back for ever. The give-up runs after the switch, which its own `false` would cut.
      const answerTimeout = answerWait.pipe(
        switchMap((waiting) => (waiting ? timer(historyWaitMs, scheduler) : EMPTY)),
        mergeMap(() => giveUp(`the hub did not answer within ${historyWaitMs / 1000} s`)),
      );

      // Every link event restarts the keepalive timer: silence is measured from the last frame.
      const linkSeen = new Subject<LinkEvent>();
      return merge(
        // Our own name is pinned to our key too: someone else signing with it then stands out.
        signer === undefined ? EMPTY : defer(() => of(...names.self(name, signer))),
        (pinEdits ?? EMPTY).pipe(
          mergeMap((pins) => {
            names.reload(pins);
            return of<ClientOutput>({
              type: 'show',
              line: `* took the edit of the pinned names: ${pins.length === 1 ? '1 name' : `${pins.length} names`} pinned now`,
            });
          }),
        ),
        answerTimeout,
        linkSeen.pipe(switchMap(keepalive)),
        link.pipe(
          // No link, no answer to wait for: the output ends with the link and the typing.
          tap({
            next: (event) => linkSeen.next(event),
            complete: () => {
              answerWait.next(false);
              answerWait.complete();
              linkSeen.complete();
            },
          }),
          // In order, each event's outputs before the next event's: with an asynchronous codec
          // a frame is still being opened when the next one comes, and must not be cut off.
          concatMap((event) => concat(onLink(event), announceUp(event))),
        ),
        concat(
          typed.pipe(
            takeWhile((line) => parseTyped(line).kind !== 'quit'),
            // In order too: a line sealed later must not overtake one typed before it.
            concatMap(onTyped),
          ),
          finish,
        ),
      );
    });
}

/** Joins are answered (so that newcomers learn who is here) while at most this many are online. */
export const MAX_ROOM_FOR_ANSWERS = 50;

/** A run of this many unreadable messages (bad signature) brings a hint about keys. */
export const UNREADABLE_RUN_FOR_HINT = 3;

/** The optional fields of an envelope (envelope.ts says why they are optional). */
type EnvelopeExtra = Pick<Envelope, 'here' | 'was' | 'action'>;

/**
 * The envelope signed, as a stream. Node's signature is there at once, so the terminal's frame is
 * too (as before any signer was async); Web Crypto's comes later, and the frame after it. Signed
 * only when subscribed: a promise nobody waits for would fail unheard.
 */
function signing(envelope: Envelope, room: Buffer, signer: Signer): Observable<Envelope | ClientOutput> {
  return defer(() => {
    const signed = signEnvelope(envelope, room, signer);
    return signed instanceof Promise
      ? from(signed).pipe(catchError((error: unknown) => of(notSigned(error))))
      : of(signed);
  });
}

/**
 * A signature that could not be made (Web Crypto refused: the page's key gone, or a browser
 * without Ed25519): the line is not sent, rather than sent unsigned behind the person's back.
 */
function notSigned(error: unknown): ClientOutput {
  const why = error instanceof Error ? error.message : String(error);
  return {
    type: 'warn',
    kind: 'not-signed',
    line: `! not sent: this browser could not sign it (${displayText(why)})`,
  };
}

/** `1 line`, `2 lines`. */
function lines(count: number): string {
  return count === 1 ? '1 line' : `${count} lines`;
}

/** The envelope in a plaintext, or undefined when it is none (showPlaintext says what it is). */
function envelopeOf(plaintext: Buffer): Envelope | undefined {
  try {
    const parsed = envelopeSchema.safeParse(JSON.parse(plaintext.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** `* 3 online: alice (you), bob, bob (2)`. */
function whoLine(roster: Roster, selfName: string): string {
  const names = roster.names(selfName);
  const online = Math.max(roster.online, names.length);
  const unnamed = online - names.length;
  const more = unnamed > 0 ? `, and ${unnamed} who have not said their name yet` : '';
  return `* ${online} online: ${names.join(', ')}${more}`;
}

/** Why the hub says a connection went, in our words. */
function lostBecause(reason: string): string {
  switch (reason) {
    case 'quit':
      return 'connection closed';
    case 'econnreset':
      return 'connection reset';
    case 'idle':
      return 'stopped answering';
    case 'slow-consumer':
      return 'fell too far behind';
    case 'hub-gone':
      return 'their hub went away; they may be back through another';
    case 'shutdown':
      return 'their hub shut down; they may be back through another';
    case 'gone':
      return 'their hub no longer has them';
    default:
      return displayText(reason);
  }
}

/**
 * Most bytes of text that fit in one message of `maxFrameBytes`, for plain text (quotes and
 * control characters take more once in JSON). A Fernet token of n plaintext bytes is the base64
 * of 57 + 16·(⌊n/16⌋ + 1) bytes.
 */
function longestText(maxFrameBytes: number, emptyEnvelope: Envelope): number {
  const tokenLength = (n: number) => 4 * Math.ceil((57 + 16 * (Math.floor(n / 16) + 1)) / 3);
  let plain = Math.floor((maxFrameBytes * 3) / 4);
  while (plain > 0 && tokenLength(plain) > maxFrameBytes) plain -= 1;
  return Math.max(0, plain - Buffer.byteLength(JSON.stringify(emptyEnvelope)));
}

/** What the client says to the hub's other notices. */
function hubNotice(parsed: ParsedNotice): Observable<ClientOutput> {
  switch (parsed.kind) {
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

function whyUnreadable(error: FernetError, frame: string, now: number): string {
  switch (error.code) {
    case 'bad-signature':
      return 'unreadable message: not encrypted with any of our keys, or tampered with';
    case 'expired':
      return 'unreadable message: too old (older than the TTL)';
    case 'future': {
      // The token's time is in the clear (bytes 1-8), so the size of the skew can be told.
      const ahead = tokenSeconds(frame) - now;
      return `a message dated ${duration(ahead)} in the future: the sender's clock is fast (they should sync it, e.g. with NTP)`;
    }
    default:
      return `unreadable message: not a valid token (${error.message})`;
  }
}

/** The Unix time a token says it was made at (a token the ring has shaped-checked already). */
function tokenSeconds(frame: string): number {
  const bytes = Buffer.from(frame, 'base64url');
  return bytes.length >= 9 ? Number(bytes.readBigUInt64BE(1)) : Number.NaN;
}

/** `90 s`, `3 min`, `5 h`, `12 days`: a skew as a person would say it. */
function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'far';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}
