/**
 * Paced (open loop) sending: R msg/s in total, each sender R/S per second, senders staggered by
 * a fraction of the period so that the hub does not get all of them at once. Lines that fell due
 * since the last tick go in one write per sender; the schedule, not the clock, says when each
 * line was due, so a late generator shows as lag and scheduled latency instead of a lower rate.
 */
import type { Client } from './loadClient.ts';
import type { RunPlan } from './runPlan.ts';
import {
  BURST,
  type LineSender,
  OUT_HIGH,
  type SendContext,
  senderSocket,
  writeBurst,
} from './sendContext.ts';

/** When line `seq` of `sender` is due, ns on the generator's clock. */
function scheduledAt(plan: RunPlan, sender: number, seq: number): number {
  return Math.floor(plan.startNs + (seq + sender / plan.senders) * plan.periodNs);
}

export class PacedSender implements LineSender {
  private ticker: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: SendContext,
    private readonly plan: RunPlan,
    private readonly tickMs: number,
    /** called once the schedule has passed the end of the measured window */
    private readonly onScheduleDone: () => void,
  ) {}

  start(): void {
    this.ticker = setInterval(this.tick, this.tickMs);
    this.tick();
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  onWindowMoved(): void {}

  private tick = (): void => {
    const { ctx, plan } = this;
    const now = ctx.now();
    for (let sender = 0; sender < plan.senders; sender++) {
      const socket = senderSocket(ctx, sender);
      if (!socket) continue;
      if (socket.writableLength >= OUT_HIGH) {
        ctx.onBlocked();
        continue;
      }
      const next = ctx.accounting.seqNext[sender]!;
      let count = 0;
      while (count < BURST) {
        const due = scheduledAt(plan, sender, next + count);
        if (due > now || due >= plan.measEndNs) break;
        count++;
      }
      if (count > 0) writeBurst(ctx, socket, sender, count, now, (k) => scheduledAt(plan, sender, next + k));
    }
    if (now >= plan.measEndNs) this.onScheduleDone();
  };
}

/** Lines the schedule had due before the window's end that were never sent (the generator fell behind). */
export function unsentLines(
  plan: RunPlan,
  seqNext: Float64Array,
  clients: readonly (Client | undefined)[],
): number {
  let unsent = 0;
  for (let sender = 0; sender < plan.senders; sender++) {
    if (!clients[sender]) continue;
    const periods = (plan.measEndNs - plan.startNs) / plan.periodNs - sender / plan.senders;
    const due = periods > 0 ? Math.ceil(periods) : 0;
    if (due > seqNext[sender]!) unsent += due - seqNext[sender]!;
  }
  return unsent;
}
