import { QUEUE_HARD_LIMIT_FACTOR } from '../config/hubConfig.ts';
import type { HubActorOptions } from './hubActor.ts';

export type HistoryOptions = NonNullable<HubActorOptions['history']>;

/** The history settings as the hub's flags and a recording's header give them. */
export interface HistorySettings {
  readonly frames: number;
  readonly seconds: number;
  readonly bytes: number;
}

/**
 * The hub actor's history, for a live hub and for the replay of its recording alike, so that
 * the two cannot disagree on what an answer may hold. One answer may queue half of what makes a
 * client a slow consumer, so that asking does not get it dropped.
 */
export function historyOptionsOf(
  settings: HistorySettings,
  epoch: string,
  maxQueueBytes: number,
): HistoryOptions {
  return {
    limits: { frames: settings.frames, bytes: settings.bytes, maxAgeMs: settings.seconds * 1000 },
    epoch,
    maxAnswerBytes: (maxQueueBytes * QUEUE_HARD_LIMIT_FACTOR) / 2,
  };
}
