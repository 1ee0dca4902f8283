import { connect, type Socket } from 'node:net';
import { eventually } from '../../support/eventually.ts';
import { shapedLine } from './shapedToken.ts';

/** Due frames are written every this often, each sender's in one write. */
const TICK_MS = 5;

/**
 * Raw sockets that send shaped tokens (sender id, seq 0, 1, …) at a steady rate in all, each its
 * share, until each has sent `perSender` frames or the hub closes it. They read and throw away
 * what the hub sends them, so that none of them is a slow consumer.
 */
export class PacedSenders {
  /** Per sender id, the frames it has written. */
  readonly sent = new Map<number, number>();
  private readonly sockets: Socket[] = [];
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly ids: readonly number[],
    private readonly perSender: number,
  ) {
    for (const id of ids) this.sent.set(id, 0);
  }

  static async open(port: number, ids: readonly number[], perSender: number): Promise<PacedSenders> {
    const senders = new PacedSenders(ids, perSender);
    for (const _ of ids)
      senders.sockets.push(
        await new Promise<Socket>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port });
          socket.once('error', reject);
          socket.once('connect', () => {
            socket.off('error', reject);
            socket.on('error', () => {});
            socket.resume();
            resolve(socket);
          });
        }),
      );
    return senders;
  }

  /** Frames written by all of them. */
  get total(): number {
    let total = 0;
    for (const count of this.sent.values()) total += count;
    return total;
  }

  /** Starts sending, `rate` frames per second in all. */
  start(rate: number): void {
    const started = performance.now();
    const perSenderRate = rate / this.ids.length;
    this.timer = setInterval(() => {
      const due = Math.min(
        this.perSender,
        Math.floor(((performance.now() - started) * perSenderRate) / 1000),
      );
      for (const [i, id] of this.ids.entries()) {
        const socket = this.sockets[i]!;
        const from = this.sent.get(id)!;
        if (socket.destroyed || from >= due) continue;
        const lines: Buffer[] = [];
        for (let seq = from; seq < due; seq++) lines.push(shapedLine(id, seq));
        socket.write(Buffer.concat(lines));
        this.sent.set(id, due);
      }
      if (this.finished) this.stop();
    }, TICK_MS);
  }

  /** Every sender has sent all its frames, or has been closed. */
  get finished(): boolean {
    return this.ids.every((id, i) => this.sent.get(id)! >= this.perSender || this.sockets[i]!.destroyed);
  }

  async waitForTotal(count: number, timeoutMs = 10_000): Promise<void> {
    await eventually(
      () => this.total >= count,
      () => `${count} frames sent; ${this.total} so far`,
      timeoutMs,
    );
  }

  async waitUntilFinished(timeoutMs = 10_000): Promise<void> {
    await eventually(
      () => this.finished,
      () => `the senders to finish; ${this.total} sent`,
      timeoutMs,
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }

  destroy(): void {
    this.stop();
    for (const socket of this.sockets) socket.destroy();
  }
}
