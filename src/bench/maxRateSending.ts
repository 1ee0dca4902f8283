/**
 * Max-rate (closed loop) sending: each sender keeps up to `window` messages in flight and sends
 * more as soon as deliveries retire old ones. A pump fills every sender's window; it runs again
 * when the receive path saw a window move, when a socket drains, and every 5 ms (a WebSocket
 * has no `drain`, and a timed-out message frees its slot without any delivery).
 */
import {
  BURST,
  type LineSender,
  OUT_HIGH,
  type SendContext,
  senderSocket,
  writeBurst,
} from './sendContext.ts';

export class MaxRateSender implements LineSender {
  private active = false;
  private pumpScheduled = false;
  private ticker: NodeJS.Timeout | null = null;

  constructor(private readonly ctx: SendContext) {}

  start(): void {
    this.active = true;
    for (let sender = 0; sender < this.ctx.accounting.senders; sender++)
      this.ctx.clients[sender]?.socket?.on('drain', this.schedulePump);
    this.ticker = setInterval(this.schedulePump, 5);
    this.pump();
  }

  stop(): void {
    this.active = false;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    for (let sender = 0; sender < this.ctx.accounting.senders; sender++)
      this.ctx.clients[sender]?.socket?.off('drain', this.schedulePump);
  }

  onWindowMoved(): void {
    if (this.ctx.accounting.windowMoved) this.schedulePump();
  }

  private schedulePump = (): void => {
    if (this.pumpScheduled || !this.active) return;
    this.pumpScheduled = true;
    setImmediate(this.pump);
  };

  private pump = (): void => {
    this.pumpScheduled = false;
    const { ctx } = this;
    const accounting = ctx.accounting;
    if (!this.active) return;
    const now = ctx.now();
    if (now >= accounting.measEnd) return;
    accounting.windowMoved = false;
    for (let sender = 0; sender < accounting.senders; sender++) {
      const socket = senderSocket(ctx, sender);
      if (!socket) continue;
      accounting.advance(sender, now);
      if (socket.writableLength >= OUT_HIGH) {
        ctx.onBlocked();
        continue;
      }
      const count = Math.min(BURST, accounting.window - accounting.inFlight(sender));
      if (count > 0) writeBurst(ctx, socket, sender, count, now, () => now);
    }
    if (accounting.windowMoved) this.schedulePump();
  };
}
