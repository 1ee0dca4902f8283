import { connect, type Socket } from 'node:net';
import { eventually } from '../../support/eventually.ts';
import { readShapedToken } from './shapedToken.ts';

/**
 * Checks lines as they arrive, without keeping the tokens: per sender, shaped tokens must arrive
 * with seq 0, 1, 2, … (nothing lost, nothing twice, in order). Notices and any other lines are
 * kept as text.
 */
export class FrameTally {
  readonly notices: string[] = [];
  readonly others: string[] = [];
  /** Per sender: the next seq expected (= how many arrived in order). */
  readonly next = new Map<number, number>();
  /** What arrived out of order, twice or after a gap: `sender:seq (expected n)`. */
  readonly problems: string[] = [];
  /** performance.now() of each shaped token's arrival, when `keepTimes` is on. */
  readonly arrivals: number[] = [];
  total = 0;
  private carry = '';

  constructor(private readonly keepTimes = false) {}

  /** How many shaped tokens from `sender` arrived in order. */
  countFrom(sender: number): number {
    return this.next.get(sender) ?? 0;
  }

  take(text: string): void {
    const lines = (this.carry + text).split('\n');
    this.carry = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('#')) {
        this.notices.push(line);
        continue;
      }
      const token = readShapedToken(line);
      if (token === undefined) {
        this.others.push(line);
        continue;
      }
      this.total++;
      if (this.keepTimes) this.arrivals.push(performance.now());
      const expected = this.next.get(token.sender) ?? 0;
      if (token.seq !== expected && this.problems.length < 100)
        this.problems.push(`${token.sender}:${token.seq} (expected ${expected})`);
      this.next.set(token.sender, Math.max(expected, token.seq + 1));
    }
  }
}

/** A raw connection to the hub that reads as fast as it can into a FrameTally. */
export class Receiver extends FrameTally {
  closed = false;

  private constructor(
    readonly socket: Socket,
    keepTimes: boolean,
  ) {
    super(keepTimes);
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => this.take(text));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  static open(port: number, options: { keepTimes?: boolean; localAddress?: string } = {}): Promise<Receiver> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new Receiver(socket, options.keepTimes ?? false));
      });
    });
  }

  async waitForNotice(match: string | RegExp, timeoutMs = 5_000): Promise<string> {
    const test = (line: string) => (typeof match === 'string' ? line.startsWith(match) : match.test(line));
    return eventually(
      () => this.notices.find(test),
      () => `a notice ${match}; got ${JSON.stringify(this.notices.slice(-20))}`,
      timeoutMs,
    );
  }

  async waitForCount(sender: number, count: number, timeoutMs = 10_000): Promise<void> {
    await eventually(
      () => this.countFrom(sender) >= count || this.problems.length > 0,
      () =>
        `${count} frames from ${sender}; got ${this.countFrom(sender)}, problems ${this.problems.slice(0, 5)}`,
      timeoutMs,
    );
  }

  async waitForClose(timeoutMs = 5_000): Promise<void> {
    await eventually(
      () => this.closed,
      () => 'the hub to close the connection',
      timeoutMs,
    );
  }

  write(data: string | Buffer): boolean {
    return this.socket.write(data);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
