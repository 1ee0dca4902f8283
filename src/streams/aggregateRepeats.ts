import {
  asyncScheduler,
  type MonoTypeOperatorFunction,
  Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';

/** How `aggregateRepeats` tells repeats apart and sums them up. */
export interface RepeatPolicy<T> {
  /** Values with one key within a window are one value and a count; undefined: always passed. */
  key(value: T): string | undefined;
  /** The group a keyed value belongs to (a peer, say). */
  group(value: T): string | undefined;
  /** A value that ends a group (the peer left): that group's counts are told first. */
  ends(value: T): string | undefined;
  /** A value that ends everything (shutdown): every count is told first. */
  endsAll?(value: T): boolean;
  /** What stands for `repeats` more values like `first`. */
  summary(first: T, repeats: number): T;
}

interface Window<T> {
  readonly first: T;
  readonly group: string | undefined;
  repeats: number;
  timer: Subscription;
}

/**
 * Passes the first value of each key at once and counts the ones that follow within `windowMs`;
 * when the window closes, one summary says how many there were (and, if they go on, the next
 * window counts again). A flood of one kind of event is then one value per window, whatever
 * its rate, while distinct events pass as they come. Counts are told before the value that ends
 * their group and when the source completes; nothing is counted without being told.
 */
export function aggregateRepeats<T>(
  policy: RepeatPolicy<T>,
  windowMs: number,
  scheduler: SchedulerLike = asyncScheduler,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const windows = new Map<string, Window<T>>();

      const close = (key: string, window: Window<T>, reopen: boolean): void => {
        window.timer.unsubscribe();
        if (window.repeats === 0) {
          windows.delete(key);
          return;
        }
        subscriber.next(policy.summary(window.first, window.repeats));
        window.repeats = 0;
        if (reopen) window.timer = schedule(key, window);
        else windows.delete(key);
      };
      const schedule = (key: string, window: Window<T>): Subscription =>
        scheduler.schedule(() => close(key, window, true), windowMs);
      const closeAll = (group?: string): void => {
        for (const [key, window] of windows)
          if (group === undefined || window.group === group) close(key, window, false);
      };

      const subscription = source.subscribe({
        next: (value) => {
          if (policy.endsAll?.(value) === true) closeAll();
          else {
            const ended = policy.ends(value);
            if (ended !== undefined) closeAll(ended);
          }
          const key = policy.key(value);
          const open = key === undefined ? undefined : windows.get(key);
          if (open !== undefined) {
            open.repeats++;
            return;
          }
          if (key !== undefined) {
            const window: Window<T> = {
              first: value,
              group: policy.group(value),
              repeats: 0,
              timer: undefined as unknown as Subscription,
            };
            window.timer = schedule(key, window);
            windows.set(key, window);
          }
          subscriber.next(value);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          closeAll();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        for (const window of windows.values()) window.timer.unsubscribe();
        windows.clear();
      };
    });
}
