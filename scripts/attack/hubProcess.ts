/**
 * The compiled hub as a child process (`node dist/bin/hub.js --port 0`), its port read from its
 * `event=listening … port=N` log line, and its stderr drained into a bounded ring of the last
 * lines: either read as fast as it comes ('fast'), or read 4 KiB every 100 ms ('slow') so that the
 * pipe fills and the hub's own log backlog shows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT, sleep } from './common.ts';

export type StderrMode = 'fast' | 'slow';

export interface HubOptions {
  args?: readonly string[];
  stderr?: StderrMode;
  /** Run the hub in this network namespace (`ip netns exec`). */
  netns?: string;
  host?: string;
}

/** The last bytes of a text stream, cut into lines on demand: bounded however much comes through. */
export class LogRing {
  private chunks: string[] = [];
  private size = 0;
  bytes = 0;
  /** Lines counted as they pass, however many the ring has let go of since. */
  private readonly watched: { pattern: RegExp; count: number; peak: number }[] = [];
  private partial = '';
  constructor(private readonly limit = 64 * 1024) {}

  /** Counts the lines that match `pattern` from now on; the returned function says how many. */
  watch(pattern: RegExp): () => number {
    const watch = { pattern, count: 0, peak: 0 };
    this.watched.push(watch);
    return () => watch.count;
  }

  /** The largest number that `pattern`'s first group matches in a line from now on (0: none yet). */
  peak(pattern: RegExp): () => number {
    const watch = { pattern, count: 0, peak: 0 };
    this.watched.push(watch);
    return () => watch.peak;
  }

  push(text: string): void {
    if (this.watched.length > 0) {
      const lines = (this.partial + text).split('\n');
      this.partial = lines.pop()!;
      for (const line of lines)
        for (const watch of this.watched) {
          const match = watch.pattern.exec(line);
          if (match === null) continue;
          watch.count++;
          if (match[1] !== undefined) watch.peak = Math.max(watch.peak, Number(match[1]));
        }
    }
    this.bytes += text.length;
    this.chunks.push(text);
    this.size += text.length;
    while (this.size - this.chunks[0]!.length >= this.limit) this.size -= this.chunks.shift()!.length;
  }

  lines(count = 20): string[] {
    const lines = this.chunks.join('').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(1).slice(-count); // the first may be cut
  }

  get text(): string {
    return this.chunks.join('');
  }
}

export class Hub {
  port = 0;
  readonly log = new LogRing();
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;
  private slowTimer: NodeJS.Timeout | undefined;

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  static async start(options: HubOptions = {}): Promise<Hub> {
    const hubArgs = [
      `${ROOT}dist/bin/hub.js`,
      '--host',
      options.host ?? '127.0.0.1',
      '--port',
      '0',
      ...(options.args ?? []),
    ];
    const command = options.netns ? 'ip' : process.execPath;
    const args = options.netns ? ['netns', 'exec', options.netns, process.execPath, ...hubArgs] : hubArgs;
    const hub = new Hub(spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
    const stderr = hub.child.stderr!;
    stderr.setEncoding('latin1');
    let head = '';
    const onData = (text: string) => {
      hub.log.push(text);
      if (hub.port === 0 && head.length < 64 * 1024) {
        head += text;
        const match = /event=listening .*port=(\d+)/.exec(head);
        if (match) hub.port = Number(match[1]);
      }
    };
    stderr.on('data', onData);
    const started = Date.now();
    while (hub.port === 0) {
      if (!hub.alive || Date.now() - started > 15_000) {
        hub.kill();
        throw new Error(`the hub did not start: ${hub.log.lines(5).join(' | ')}`);
      }
      await sleep(20);
    }
    if (options.stderr === 'slow') {
      stderr.off('data', onData);
      stderr.pause();
      hub.slowTimer = setInterval(() => {
        const chunk = stderr.read(4096) as string | null;
        if (chunk !== null) hub.log.push(chunk);
      }, 100);
    }
    return hub;
  }

  /** Stops reading slowly: from now on the stderr is drained as fast as it comes (for a clean end). */
  drainFast(): void {
    if (this.slowTimer === undefined) return;
    clearInterval(this.slowTimer);
    this.slowTimer = undefined;
    this.child.stderr!.on('data', (text: string) => this.log.push(text));
    this.child.stderr!.resume();
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.slowTimer !== undefined) clearInterval(this.slowTimer);
    if (this.alive) this.child.kill(signal);
  }

  /** Kills the hub and waits for it (at most 5 s). */
  async stop(): Promise<void> {
    this.kill();
    this.drainFast();
    await Promise.race([this.exited, sleep(5_000)]);
  }
}
