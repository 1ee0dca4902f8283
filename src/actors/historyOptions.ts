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
 * the two cannot disagree on what an answer may hold. One answer may queue what a client may
 * have waiting before it counts as behind (--max-queue-bytes): asking never makes it a slow
 * consumer, nor holds the room while it reads. (At half the hard limit, 8 MiB, each answer went
 * at once into the kernel's buffers of a client that does not read, and 40 such clients a second
 * took the kernel past its TCP memory pressure mark: the history-non-readers attack.)
 */
export function historyOptionsOf(
  settings: HistorySettings,
  epoch: string,
  maxQueueBytes: number,
): HistoryOptions {
  return {
    limits: { frames: settings.frames, bytes: settings.bytes, maxAgeMs: settings.seconds * 1000 },
    epoch,
    maxAnswerBytes: maxQueueBytes,
  };
}
