import { Observable, type OperatorFunction } from 'rxjs';
import type { HistoryRequest } from '../protocol/historyRequest.ts';
import { notice } from '../protocol/notice.ts';
import type { HubEffect, HubEvent, PeerId, RejectCode } from '../streams/hubEvent.ts';
import { Recipients } from '../streams/recipients.ts';
import { type HistoryLimits, type HistorySlice, RoomHistory } from './roomHistory.ts';

export interface HubActorOptions {
  /** Whether peers get `#` notices; off for the seed's clients (`chunk` framing). */
  readonly notices: boolean;
  /**
   * Keepalive, judged on `tick` events: a peer silent for `idleMs` gets `#ping`, and is closed as
   * `idle` when nothing comes back within `pongTimeoutMs`. Undefined: off.
   */
  readonly keepalive?: { readonly idleMs: number; readonly pongTimeoutMs: number } | undefined;
  /**
   * `#joined`/`#left` go to everyone while at most this many are online; beyond, each join would
   * cost a notice per peer (N² for a room filling up). Default: always.
   */
  readonly presenceLimit?: number;
  /**
   * The room's history, for late joiners and resumes (docs/protocol.md). `epoch` names this run
   * of it (a new one each time the hub starts); `maxAnswerBytes` bounds what one answer queues
   * for one peer. Undefined: no history, and `#hello` carries no epoch (as in the seed's days).
   */
  readonly history?: {
    readonly limits: HistoryLimits;
    readonly epoch: string;
    readonly maxAnswerBytes: number;
  };
  /**
   * One room across hubs (src/cluster): local peers' frames go out as `publish` effects and are
   * delivered when the room's stream brings them back as `room-frames` (to everyone here but
   * their sender), so every hub delivers and keeps the room's one order; joins and leaves go out
   * as `presence` effects, and online counts include the other hubs' (`room-presence`).
   */
  readonly cluster?: boolean;
}

/**
 * A peer gets `#error` for at most this many refused frames in a row; then one `#error
 * too-many-errors`, and silence until a frame of its is relayed. The replies are a courtesy to a
 * confused client; to a hostile one they were 25 bytes out for every 2 in.
 */
export const MAX_ERROR_REPLIES = 10;
/** A peer that sends this many refused frames in a row is not a chat client: `#bye too-many-errors`. */
export const MAX_REFUSED_IN_A_ROW = 100;

/** What the hub remembers of one peer. */
interface PeerState {
  /** Heard from since the last tick. */
  heard: boolean;
  silentSince: number;
  pingedAt: number | undefined;
  /** Frames refused since its last relayed one. */
  refusedInARow: number;
  /** The newest frame of the room as it joined: history answers end there, live frames follow. */
  readonly joinedAfter: number;
  /** It has asked for history or a resume: once per connection. */
  recalled: boolean;
}

const NO_HISTORY: HistorySlice = { runs: [], frames: 0, missing: true };

/**
 * The hub: owns the roster and turns hub events into effects. No socket and no clock in here
 * (time arrives as `tick` events), so a marble test drives it with plain values. Fan-out
 * allocates nothing per recipient: every delivery of a run shares one Buffer and one roster
 * array, which is replaced (never mutated) on join or leave.
 */
export function hubActor(options: HubActorOptions): OperatorFunction<HubEvent, HubEffect> {
  return (events) =>
    new Observable<HubEffect>((subscriber) => {
      const roster = new Map<PeerId, PeerState>();
      // The recipients of a delivery, rebuilt on the first delivery after a join or leave.
      let everyoneCache: readonly PeerId[] | undefined = [];
      const everyone = () => (everyoneCache ??= [...roster.keys()]);
      const presenceLimit = options.presenceLimit ?? Number.POSITIVE_INFINITY;
      const history = new RoomHistory(options.history?.limits ?? { frames: 0, bytes: 0, maxAgeMs: 0 });
      let closing = false;
      let lastTick = 0;
      const clustered = options.cluster === true;
      /** Online on the other hubs of the room, as their heartbeats last said. */
      let elsewhere = 0;
      const online = () => roster.size + elsewhere;
      const emit = (effect: HubEffect) => subscriber.next(effect);
      const tell = (peer: PeerId, text: string) => {
        if (options.notices) emit({ type: 'notice', peer, text });
      };
      // One shared Buffer delivered to all but `except`, like a data frame: no per-peer allocation.
      const tellOthers = (except: PeerId, text: string) => {
        const others = roster.has(except) ? roster.size - 1 : roster.size;
        if (!options.notices || others === 0 || online() > presenceLimit) return;
        emit({ type: 'deliver', data: Buffer.from(`${text}\n`), to: new Recipients(everyone(), except) });
      };
      const heard = (peer: PeerId): boolean => {
        const state = roster.get(peer);
        if (state === undefined) return false;
        state.heard = true;
        return true;
      };

      const handle = (event: HubEvent): void => {
        switch (event.type) {
          case 'frames': {
            const state = roster.get(event.peer);
            if (state === undefined) return;
            state.heard = true;
            state.refusedInARow = 0;
            if (clustered) {
              emit({ type: 'publish', peer: event.peer, run: event.run });
              return;
            }
            emit({ type: 'deliver', data: event.run.data, to: new Recipients(everyone(), event.peer) });
            history.append(event.run.data, event.run.count, lastTick);
            return;
          }
          case 'room-frames':
            if (roster.size > 0)
              emit({ type: 'deliver', data: event.run.data, to: new Recipients(everyone(), event.sender) });
            history.append(event.run.data, event.run.count, lastTick);
            return;
          case 'room-presence':
            elsewhere = event.others;
            for (const peer of event.joined) tellOthers(peer, notice.joined(peer, online()));
            for (const { peer, reason } of event.left) tellOthers(peer, notice.left(peer, online(), reason));
            return;
          case 'joined':
            if (closing) {
              emit({ type: 'close', peer: event.peer, reason: 'shutdown' });
              return;
            }
            // Joining counts as being heard: silence is measured from the first tick after it.
            // (Measured from lastTick instead, a peer that joins before the first tick would be
            // silent since time 0, and pinged at once.)
            roster.set(event.peer, {
              heard: true,
              silentSince: lastTick,
              pingedAt: undefined,
              refusedInARow: 0,
              joinedAfter: history.newest,
              recalled: false,
            });
            everyoneCache = undefined;
            emit({
              type: 'log',
              record: { event: 'join', peer: event.peer, remote: event.remote, online: online() },
            });
            if (clustered)
              emit({ type: 'presence', online: roster.size, change: { kind: 'joined', peer: event.peer } });
            tell(
              event.peer,
              notice.hello(
                event.peer,
                online(),
                options.history?.epoch,
                options.history === undefined ? undefined : history.digestOf(history.newest),
              ),
            );
            tellOthers(event.peer, notice.joined(event.peer, online()));
            return;
          case 'left':
            if (!roster.delete(event.peer)) return;
            everyoneCache = undefined;
            emit({
              type: 'log',
              record: { event: 'leave', peer: event.peer, reason: event.reason, online: online() },
            });
            if (clustered)
              emit({
                type: 'presence',
                online: roster.size,
                change: { kind: 'left', peer: event.peer, reason: event.reason },
              });
            tellOthers(event.peer, notice.left(event.peer, online(), event.reason));
            return;
          case 'rejected':
            refuse(event.peer, event.code, event.detail);
            return;
          case 'recall': {
            const state = roster.get(event.peer);
            if (state === undefined) return;
            if (state.recalled) {
              refuse(event.peer, 'bad-request', 'one history or resume request per connection');
              return;
            }
            state.heard = true;
            state.refusedInARow = 0;
            state.recalled = true;
            const answer = recall(event.request, state.joinedAfter);
            const outcome = answer.missing ? 'gap' : 'complete';
            tell(event.peer, notice.historyStart());
            for (const run of answer.runs)
              emit({ type: 'deliver', data: run, to: Recipients.only(event.peer) });
            tell(event.peer, notice.historyEnd(answer.frames, outcome));
            emit({
              type: 'log',
              record: { event: event.request.kind, peer: event.peer, sent: answer.frames, outcome },
            });
            return;
          }
          case 'ping':
            if (heard(event.peer)) tell(event.peer, notice.pong());
            return;
          case 'pong':
            heard(event.peer);
            return;
          case 'tick':
            lastTick = event.now;
            history.expire(event.now);
            if (options.keepalive)
              checkIdle(event.now, options.keepalive.idleMs, options.keepalive.pongTimeoutMs);
            return;
          case 'shutdown':
            closing = true;
            emit({ type: 'log', record: { event: 'shutdown', reason: event.reason, online: roster.size } });
            for (const peer of everyone()) emit({ type: 'close', peer, reason: event.reason });
            return;
        }
      };

      const refuse = (peer: PeerId, code: RejectCode, detail: string): void => {
        const state = roster.get(peer);
        if (state === undefined) return;
        state.heard = true;
        const refused = ++state.refusedInARow;
        emit({ type: 'log', record: { event: 'reject', peer, code, detail } });
        if (refused <= MAX_ERROR_REPLIES) tell(peer, notice.error(code, detail));
        else if (refused === MAX_ERROR_REPLIES + 1)
          tell(
            peer,
            notice.error(
              'too-many-errors',
              `${MAX_ERROR_REPLIES} frames refused in a row: no replies to the next ones, and at ${MAX_REFUSED_IN_A_ROW} the connection is closed`,
            ),
          );
        else if (refused === MAX_REFUSED_IN_A_ROW) {
          emit({ type: 'log', record: { event: 'too-many-errors', peer, refused } });
          emit({ type: 'close', peer, reason: 'too-many-errors' });
        }
      };

      /** The frames a request gets: never past the peer's join, since it has had those live. */
      const recall = (request: HistoryRequest, through: number): HistorySlice => {
        const settings = options.history;
        if (settings === undefined || !history.enabled) return NO_HISTORY;
        const { maxAnswerBytes } = settings;
        const all = () => history.slice(0, through, maxAnswerBytes);
        if (request.kind === 'history')
          return history.slice(Math.max(0, through - request.count), through, maxAnswerBytes);
        // Another epoch: the hub has restarted since, and everything it has is news to the client.
        if (request.epoch !== settings.epoch) return { ...all(), missing: true };
        if (request.after === undefined) return all();
        const after = history.seqOf(request.after);
        // Unknown here: evicted (everything kept is newer), or never relayed by this hub.
        if (after === undefined) return { ...all(), missing: true };
        return history.slice(after, through, maxAnswerBytes);
      };

      const checkIdle = (now: number, idleMs: number, pongTimeoutMs: number): void => {
        for (const [peer, state] of roster) {
          if (state.heard) {
            state.heard = false;
            state.silentSince = now;
            state.pingedAt = undefined;
          } else if (state.pingedAt === undefined) {
            if (now - state.silentSince >= idleMs) {
              state.pingedAt = now;
              tell(peer, notice.ping());
            }
          } else if (now - state.pingedAt >= pongTimeoutMs) {
            state.pingedAt = Number.POSITIVE_INFINITY; // closed once; its `left` follows
            emit({
              type: 'log',
              record: { event: 'idle', peer, silentMs: Math.round(now - state.silentSince) },
            });
            emit({ type: 'close', peer, reason: 'idle' });
          }
        }
      };

      return events.subscribe({
        next: handle,
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
