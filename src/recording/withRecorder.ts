import { type OperatorFunction, tap } from 'rxjs';
import type { HubEffect, HubEvent } from '../streams/hubEvent.ts';
import type { HubRecorder } from './hubRecorder.ts';

/**
 * The hub actor with a recorder around it: every event on its way in, and the notices that
 * matter on their way out. Without a recorder it is the actor itself, at no cost.
 */
export function withRecorder(
  recorder: HubRecorder | undefined,
  actor: OperatorFunction<HubEvent, HubEffect>,
): OperatorFunction<HubEvent, HubEffect> {
  if (recorder === undefined) return actor;
  return (events) => events.pipe(tap(recorder.event), actor, tap(recorder.effect));
}
