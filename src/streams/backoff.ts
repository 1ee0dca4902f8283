/** Reconnect delays: exponential from 0.5 s, capped at 30 s, with jitter so clients don't stampede. */
export const BACKOFF = { firstMs: 500, maxMs: 30_000 } as const;

/** Delay before reconnect attempt `attempt` (1, 2, …): somewhere in the upper half of the step. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}
