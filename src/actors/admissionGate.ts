import { Observable, type OperatorFunction, Subject } from 'rxjs';
import type { AdmitVerdict } from '../crypto/admitList.ts';
import { type AnswerPair, challengeLine, signedMessage } from '../protocol/admission.ts';
import type { HubEffect, HubEvent, PeerId } from '../streams/hubEvent.ts';

/** How long a connection may take to answer the challenge before `#bye unauthorized`. */
export const ADMIT_TIMEOUT_SECONDS = 5;

export interface AdmissionOptions {
  /** The public keys admitted (--admit): whether one of them signed an answer. */
  readonly admit: { check(pairs: readonly AnswerPair[], message: Buffer): AdmitVerdict };
  /** The name clients reach this hub by (--hub-name): every answer is bound to it. */
  readonly hubName: string;
  /** Judged on `tick` events, so a late answer is refused within a tick past this. */
  readonly timeoutMs: number;
  /** A fresh random nonce (NONCE_PATTERN) per connection; a test passes its own. */
  readonly nonce: () => string;
}

/** Why a connection was turned away, as logged (`event=unauthorized … why=`). */
export type RefusedWhy = 'unknown-key' | 'bad-signature' | 'late' | 'malformed' | 'spoke-first';

interface Pending {
  readonly nonce: string;
  readonly remote: string;
  /**
   * The hub's clock at the first tick after the join, not the last before it: counted from that,
   * a connection gets the whole timeout (and at most a tick more). Counted from the tick before,
   * npm run attack's admission-silent saw connections refused 3.5 s into a 5 s timeout.
   */
  since: number | undefined;
}

/**
 * The admission gate in front of the room (the hub actor): a connection is pending until it
 * answers the challenge with a signature by an admitted key. Until then the room does not know
 * it exists: it gets no `#hello`, is not in the roster or the online count, receives nothing
 * relayed, and nothing it sends is relayed. A wrong, malformed or late answer, or anything but
 * an answer first, gets `#bye unauthorized` and one log line. Once admitted, the room gets the
 * connection's `joined` and everything after it, as if the hub had no gate: so a recording (taken
 * at the room) holds the members only, and replays without any keys.
 *
 * Without options every event passes, and `#answer` is an unknown command as it always was.
 * Pure: no socket, no clock (time comes as `tick` events), no randomness of its own.
 */
export function admissionGate(
  options: AdmissionOptions | undefined,
  room: OperatorFunction<HubEvent, HubEffect>,
): OperatorFunction<HubEvent, HubEffect> {
  return (events) =>
    new Observable<HubEffect>((subscriber) => {
      const admitted = new Subject<HubEvent>();
      const roomSubscription = admitted.pipe(room).subscribe(subscriber);
      const pending = new Map<PeerId, Pending>();
      const members = new Set<PeerId>();
      let now = 0;
      let closing = false;
      const emit = (effect: HubEffect) => subscriber.next(effect);
      const pass = (event: HubEvent) => admitted.next(event);

      const refuse = (peer: PeerId, state: Pending, why: RefusedWhy) => {
        pending.delete(peer);
        emit({ type: 'log', record: { event: 'unauthorized', peer, remote: state.remote, why } });
        emit({ type: 'close', peer, reason: 'unauthorized' });
      };

      const gated = (event: HubEvent, gate: AdmissionOptions): void => {
        switch (event.type) {
          case 'joined':
            if (closing) {
              emit({ type: 'close', peer: event.peer, reason: 'shutdown' });
              return;
            }
            {
              const nonce = gate.nonce();
              pending.set(event.peer, { nonce, remote: event.remote, since: undefined });
              emit({ type: 'notice', peer: event.peer, text: challengeLine(nonce, gate.hubName) });
            }
            return;
          case 'answer': {
            const state = pending.get(event.peer);
            if (state === undefined) {
              if (members.has(event.peer))
                pass({ type: 'rejected', peer: event.peer, code: 'bad-request', detail: 'already admitted' });
              return;
            }
            const verdict = gate.admit.check(event.pairs, signedMessage(gate.hubName, state.nonce));
            if (!verdict.ok) return refuse(event.peer, state, verdict.why);
            pending.delete(event.peer);
            members.add(event.peer);
            emit({
              type: 'log',
              record: { event: 'admitted', peer: event.peer, key: verdict.publicKey.slice(0, 8) },
            });
            pass({ type: 'joined', peer: event.peer, remote: state.remote });
            return;
          }
          case 'left':
            if (pending.delete(event.peer)) return;
            if (members.delete(event.peer)) pass(event);
            return;
          case 'tick':
            now = event.now;
            for (const [peer, state] of pending) {
              state.since ??= now;
              if (now - state.since >= gate.timeoutMs) refuse(peer, state, 'late');
            }
            pass(event);
            return;
          case 'shutdown':
            closing = true;
            for (const peer of pending.keys()) emit({ type: 'close', peer, reason: event.reason });
            pending.clear();
            pass(event);
            return;
          case 'room-frames':
          case 'room-presence':
            // From the room's other hubs and its stream, not from a connection here.
            pass(event);
            return;
          case 'ping':
          case 'pong':
            // Harmless before admission, and answered by the room after it.
            if (members.has(event.peer)) pass(event);
            return;
          default: {
            if (members.has(event.peer)) return pass(event);
            const state = pending.get(event.peer);
            if (state === undefined) return;
            refuse(
              event.peer,
              state,
              event.type === 'rejected' && event.code === 'bad-request' ? 'malformed' : 'spoke-first',
            );
          }
        }
      };

      const open = (event: HubEvent): void => {
        if (event.type !== 'answer') return pass(event);
        pass({
          type: 'rejected',
          peer: event.peer,
          code: 'unknown-command',
          detail: 'unknown command #answer',
        });
      };

      const eventsSubscription = events.subscribe({
        next: options === undefined ? open : (event) => gated(event, options),
        error: (error: unknown) => admitted.error(error),
        complete: () => admitted.complete(),
      });
      return () => {
        eventsSubscription.unsubscribe();
        roomSubscription.unsubscribe();
      };
    });
}
