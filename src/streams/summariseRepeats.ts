import {
  asyncScheduler,
  type MonoTypeOperatorFunction,
  Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';

export interface SummariseRepeatsOptions<T, K extends string = string> {
  /** After a value of a kind passes, others of that kind are only counted for this long. */
  readonly windowMs: number;
  /** The kind of a value that may be summarised; undefined for one that always passes at once. */
  readonly kindOf: (value: T) => K | undefined;
  /** The one value that stands for `count` values of `kind` held back (`first`: the one passed). */
  readonly summary: (kind: K, count: number, first: T) => T;
  /**
   * Whether a passing value's place among the counted ones matters (a line on the screen): what
   * was held back is summarised before it, so that the summary comes before what followed it.
   * Default: every passing value.
   */
  readonly keepsOrder?: (value: T) => boolean;
  readonly scheduler?: SchedulerLike;
}

interface Window<T> {
  readonly first: T;
  held: number;
  timer: Subscription | undefined;
}

/**
 * Passes the first value of each kind at once, then counts the values of that kind that arrive
 * within `windowMs` and passes one summary of them when the window ends; while they keep coming,
 * each further window ends with one summary too. A flood of one kind, however fast, so becomes
 * one value and then one per window; a kind that comes rarely passes as it is. Held-back counts
 * are summarised early before a value that keeps order, and at the end of the source.
 */
export function summariseRepeats<T, K extends string = string>(
  options: SummariseRepeatsOptions<T, K>,
): MonoTypeOperatorFunction<T> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const keepsOrder = options.keepsOrder ?? (() => true);
  return (source) =>
    new Observable<T>((subscriber) => {
      const open = new Map<K, Window<T>>();

      const summarise = (kind: K, window: Window<T>) => {
        const count = window.held;
        window.held = 0;
        subscriber.next(options.summary(kind, count, window.first));
      };
      const summariseAll = () => {
        for (const [kind, window] of open) if (window.held > 0) summarise(kind, window);
      };
      const startWindow = (kind: K, window: Window<T>) => {
        window.timer = scheduler.schedule(() => {
          // A window that counted nothing closes: the next value of its kind passes at once.
          if (window.held === 0) {
            open.delete(kind);
            return;
          }
          startWindow(kind, window);
          summarise(kind, window);
        }, options.windowMs);
      };

      const subscription = source.subscribe({
        next: (value) => {
          const kind = options.kindOf(value);
          if (kind === undefined) {
            if (keepsOrder(value)) summariseAll();
            subscriber.next(value);
            return;
          }
          const window = open.get(kind);
          if (window !== undefined) {
            window.held++;
            return;
          }
          const opened: Window<T> = { first: value, held: 0, timer: undefined };
          open.set(kind, opened);
          startWindow(kind, opened);
          subscriber.next(value);
        },
        error: (error: unknown) => {
          summariseAll();
          subscriber.error(error);
        },
        complete: () => {
          summariseAll();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        for (const window of open.values()) window.timer?.unsubscribe();
        open.clear();
      };
    });
}
