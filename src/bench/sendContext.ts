/** What both sending modes share: the clients that send, and how a burst of lines is written. */
import type { RunAccounting } from './accounting.ts';
import type { Client, ClientSocket } from './loadClient.ts';
import type { TokenCodec } from './token.ts';

/** A sender whose socket has this much unsent is skipped: the hub is pushing back. */
export const OUT_HIGH = 256 * 1024;
/** most lines one sender writes at once, so that one write stays a bounded allocation */
export const BURST = 512;

export interface SendContext {
  clients: readonly Client[];
  codec: TokenCodec;
  runId: number;
  lineBytes: number;
  accounting: RunAccounting;
  now: () => number;
  /** counts a skipped write, so that backpressure is told apart from a slow generator */
  onBlocked: () => void;
}

/** The sending half of a run; `stop` clears its timers and listeners and may be called twice. */
export interface LineSender {
  start(): void;
  stop(): void;
  /** the receive path saw a sender's window move (max mode sends more at once) */
  onWindowMoved(): void;
}

/** The live socket of sender `index`, if it has one. */
export function senderSocket(ctx: SendContext, index: number): ClientSocket | null {
  const client = ctx.clients[index];
  return client?.live && client.socket ? client.socket : null;
}

/** Writes `count` lines of `sender` in one write; line k carries scheduled time `scheduledAt(k)`. */
export function writeBurst(
  ctx: SendContext,
  socket: ClientSocket,
  sender: number,
  count: number,
  now: number,
  scheduledAt: (k: number) => number,
): void {
  const lineBytes = ctx.lineBytes;
  const out = Buffer.allocUnsafe(count * lineBytes);
  for (let k = 0; k < count; k++) {
    const sched = scheduledAt(k);
    ctx.codec.write(
      out,
      k * lineBytes,
      ctx.runId,
      sender,
      ctx.accounting.onSend(sender, sched, now),
      now,
      sched,
    );
  }
  socket.write(out);
}
