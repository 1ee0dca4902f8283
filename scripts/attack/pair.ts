/** The suite's side of the healthy pair (pairProcess.ts): start it, ask it for counts, stop it. */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import type { PairResult, PairStart, PairStats } from './pairProcess.ts';

const SCRIPT = new URL('./pairProcess.ts', import.meta.url).pathname;

export interface PairOptions {
  host?: string;
  size?: number;
  intervalMs?: number;
  /** Run the pair in this network namespace (`ip netns exec`). */
  netns?: string;
  /** Connect with TLS trusting this CA, and answer the hub's challenge with this chat key. */
  secure?: PairStart['secure'];
}

export class Pair {
  private readonly waiting = new Map<string, (message: never) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: { type: string }) => {
      const resolve = this.waiting.get(message.type);
      this.waiting.delete(message.type);
      resolve?.(message as never);
    });
  }

  private ask<T>(request: { type: string }, reply: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the healthy pair did not answer ${request.type}`)),
        timeoutMs,
      );
      this.waiting.set(reply, (message: T) => {
        clearTimeout(timer);
        resolve(message);
      });
      if (this.child.connected) this.child.send(request);
    });
  }

  /** Starts the pair against the hub at host:port; resolves once both clients got `#hello`. */
  static async start(port: number, options: PairOptions = {}): Promise<Pair> {
    const execArgv = ['--import', 'tsx'];
    const child = options.netns
      ? spawn('ip', ['netns', 'exec', options.netns, process.execPath, ...execArgv, SCRIPT], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        })
      : fork(SCRIPT, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const pair = new Pair(child);
    const start: PairStart = {
      type: 'start',
      host: options.host ?? '127.0.0.1',
      port,
      size: options.size ?? 120,
      intervalMs: options.intervalMs ?? 50,
      ...(options.secure === undefined ? {} : { secure: options.secure }),
    };
    try {
      await pair.ask(start, 'ready', 15_000);
    } catch (error) {
      pair.kill();
      throw error;
    }
    return pair;
  }

  /** Lines the pair's first client received that were not notices and not its partner's tokens. */
  async foreign(): Promise<number> {
    return (await this.ask<PairStats>({ type: 'stats' }, 'stats', 5_000)).foreign;
  }

  /** Stops sending, waits (up to 3 s) for what is in flight, and reports. */
  async stop(): Promise<PairResult> {
    try {
      return await this.ask<PairResult>({ type: 'stop' }, 'result', 10_000);
    } finally {
      this.kill();
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
