import { Observable, type OperatorFunction } from 'rxjs';
import { notice } from '../protocol/notice.ts';
import type { HubEffect, HubEvent, PeerId } from './hubEvent.ts';

export interface HubActorOptions {
  /** Whether peers get `#` notices; off for the seed's clients (`chunk` framing). */
  readonly notices: boolean;
}

/**
 * The hub: owns the roster and turns hub events into effects. No socket in here, so a marble
 * test drives it with plain values. Fan-out allocates nothing per recipient: every delivery of a
 * run shares one Buffer and one roster array, which is replaced (never mutated) on join or leave.
 */
export function hubActor(options: HubActorOptions): OperatorFunction<HubEvent, HubEffect> {
  return (events) =>
    new Observable<HubEffect>((subscriber) => {
      const roster = new Set<PeerId>();
      let everyone: readonly PeerId[] = [];
      let closing = false;
      const emit = (effect: HubEffect) => subscriber.next(effect);
      const tell = (peer: PeerId, text: string) => {
        if (options.notices) emit({ type: 'notice', peer, text });
      };
      const tellOthers = (except: PeerId, text: string) => {
        if (options.notices)
          for (const peer of everyone) if (peer !== except) emit({ type: 'notice', peer, text });
      };

      const handle = (event: HubEvent): void => {
        switch (event.type) {
          case 'frames':
            if (roster.has(event.peer)) {
              emit({ type: 'deliver', data: event.run.data, from: event.peer, to: everyone });
            }
            return;
          case 'joined':
            if (closing) {
              emit({ type: 'close', peer: event.peer, reason: 'shutdown' });
              return;
            }
            roster.add(event.peer);
            everyone = [...roster];
            emit({
              type: 'log',
              record: { event: 'join', peer: event.peer, remote: event.remote, online: roster.size },
            });
            tell(event.peer, notice.hello(event.peer, roster.size));
            tellOthers(event.peer, notice.joined(event.peer, roster.size));
            return;
          case 'left':
            if (!roster.delete(event.peer)) return;
            everyone = [...roster];
            emit({
              type: 'log',
              record: { event: 'leave', peer: event.peer, reason: event.reason, online: roster.size },
            });
            tellOthers(event.peer, notice.left(event.peer, roster.size, event.reason));
            return;
          case 'rejected':
            if (!roster.has(event.peer)) return;
            emit({
              type: 'log',
              record: { event: 'reject', peer: event.peer, code: event.code, detail: event.detail },
            });
            tell(event.peer, notice.error(event.code, event.detail));
            return;
          case 'ping':
            if (roster.has(event.peer)) tell(event.peer, notice.pong());
            return;
          case 'pong':
            return;
          case 'shutdown':
            closing = true;
            emit({ type: 'log', record: { event: 'shutdown', reason: event.reason, online: roster.size } });
            for (const peer of everyone) emit({ type: 'close', peer, reason: event.reason });
            return;
        }
      };

      return events.subscribe({
        next: handle,
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
