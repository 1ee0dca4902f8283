import { concatMap, defer, from, map, type Observable, of, type SchedulerLike, timer } from 'rxjs';
import type { RecordingEntry } from '../recording/recording.ts';

/**
 * A recording's entries, each at its time `t` on the scheduler (relative to subscription):
 * instant and deterministic on a virtual-time scheduler, a marble test's TestScheduler included.
 * Entries of the same `t` come in file order, in the same turn.
 */
export function recordedEvents(
  entries: readonly RecordingEntry[],
  scheduler: SchedulerLike,
): Observable<RecordingEntry> {
  return defer(() => {
    const origin = scheduler.now();
    return from(entries).pipe(
      concatMap((entry) => {
        const wait = origin + entry.record.t - scheduler.now();
        return wait > 0 ? timer(wait, scheduler).pipe(map(() => entry)) : of(entry);
      }),
    );
  });
}
