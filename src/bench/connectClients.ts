/**
 * Opens a session's connections: at most `concurrency` in progress, at most `rate` started per
 * second when a rate is set, all within a deadline, so that a hub's accept backlog and the
 * machine's ephemeral ports are not flooded and a hub that stops accepting does not hang a run.
 */
import { performance } from 'node:perf_hooks';

export interface ConnectStats {
  attempted: number;
  connected: number;
  failed: number;
  seconds: number;
  perSecond: number;
  firstError: string;
}

export interface ConnectLimits {
  clients: number;
  concurrency: number;
  /** connections started per second; 0 = no limit */
  rate: number;
  timeoutS: number;
}

/** Called once per connection attempt, when it connected or failed. */
export type Settle = (ok: boolean, err?: Error) => void;

/**
 * Opens clients 0 … clients−1 with `open`; `onFinished` runs once, before the stats resolve, on
 * whichever ends it: every attempt settled, or the deadline.
 */
export function connectClients(
  limits: ConnectLimits,
  open: (index: number, settle: Settle) => void,
  onFinished: () => void,
): Promise<ConnectStats> {
  const { clients, concurrency, rate } = limits;
  // the deadline is for connecting, on top of the time a rate limit takes by design
  const timeoutMs = limits.timeoutS * 1000 + (rate > 0 ? (clients / rate) * 1000 : 0);
  const startMs = performance.now();
  let started = 0;
  let inProgress = 0;
  let connected = 0;
  let failed = 0;
  let firstError = '';
  return new Promise((resolve) => {
    let done = false;
    let rateTimer: NodeJS.Timeout | null = null;
    const finish = () => {
      if (done) return;
      done = true;
      if (rateTimer) clearTimeout(rateTimer);
      clearTimeout(deadline);
      const seconds = (performance.now() - startMs) / 1000;
      onFinished();
      resolve({
        attempted: started,
        connected,
        failed,
        seconds,
        perSecond: seconds > 0 ? connected / seconds : 0,
        firstError,
      });
    };
    const deadline = setTimeout(() => {
      failed += clients - connected - failed;
      if (!firstError) firstError = 'connect timeout';
      finish();
    }, timeoutMs);
    const settle: Settle = (ok, err) => {
      inProgress--;
      if (ok) connected++;
      else {
        failed++;
        if (!firstError && err)
          firstError = `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim();
      }
      if (connected + failed >= clients) finish();
      else startMore();
    };
    const startMore = () => {
      if (done) return;
      const allowed =
        rate > 0 ? Math.min(clients, Math.floor(((performance.now() - startMs) / 1000) * rate) + 1) : clients;
      while (inProgress < concurrency && started < allowed) {
        inProgress++;
        open(started++, settle);
      }
      if (rate > 0 && started < clients && inProgress < concurrency && !rateTimer) {
        rateTimer = setTimeout(() => {
          rateTimer = null;
          startMore();
        }, 1000 / rate);
      }
    };
    if (clients <= 0) finish();
    else startMore();
  });
}
