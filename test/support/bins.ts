import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { eventually } from './eventually.ts';
import { identityArgs } from './testIdentity.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// An absolute URL, so that a bin started in a temporary directory still finds tsx.
const TSX = pathToFileURL(`${ROOT}node_modules/tsx/dist/loader.mjs`).href;

export type BinName = 'hub' | 'client' | 'keygen';

/**
 * For a wait that includes starting a bin (node with tsx): on a busy machine with two cores that
 * alone can take seconds, so the default 5 s of the waits below is too tight.
 */
export const START_TIMEOUT_MS = 15_000;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface BinOptions {
  readonly cwd?: string;
  /** Added to a copy of the test's environment, from which every FERNET_CHAT_* is removed. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A bin running as a child process, with everything it printed kept as text. */
export class BinProcess {
  stdout = '';
  stderr = '';
  exit: Exit | undefined;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(
    readonly label: string,
    args: readonly string[],
    options: BinOptions,
  ) {
    const env: Record<string, string | undefined> = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('FERNET_CHAT_')) delete env[key];
    Object.assign(env, options.env);
    this.child = spawn(process.execPath, ['--import', TSX, ...args], {
      cwd: options.cwd ?? ROOT,
      env,
      stdio: 'pipe',
    });
    this.child.stdout.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
    });
    this.child.stderr.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
    });
    // A child that has exited makes writes to its stdin fail with EPIPE; the test sees the exit.
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  lines(stream: 'stdout' | 'stderr'): string[] {
    return this[stream].split('\n').filter((line) => line !== '');
  }

  /** Waits until a line of `stream` matches, and returns it; fails early if the process exits. */
  async waitForLine(stream: 'stdout' | 'stderr', match: string | RegExp, timeoutMs = 5_000): Promise<string> {
    const test = (line: string) => (typeof match === 'string' ? line.includes(match) : match.test(line));
    let exitedAt: number | undefined;
    return eventually(
      () => {
        const line = this.lines(stream).find(test);
        if (line !== undefined) return line;
        // Give the pipes a moment after exit to deliver the last output, then stop waiting.
        if (this.exit !== undefined) {
          exitedAt ??= Date.now();
          if (Date.now() - exitedAt > 200) throw new Error(`${this.describe()}\nexited without ${match}`);
        }
        return undefined;
      },
      () => `${this.label} to print ${match} on ${stream}\n${this.describe()}`,
      timeoutMs,
    );
  }

  /** Waits for the process to exit, at most `timeoutMs`. */
  async waitForExit(timeoutMs = 5_000): Promise<Exit> {
    await eventually(
      () => this.exit,
      () => `${this.label} to exit\n${this.describe()}`,
      timeoutMs,
    );
    return this.exit!;
  }

  write(text: string): void {
    this.child.stdin.write(text);
  }

  endInput(): void {
    this.child.stdin.end();
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exit === undefined) this.child.kill(signal);
  }

  describe(): string {
    return `--- ${this.label} (exit ${JSON.stringify(this.exit)}) stdout:\n${this.stdout}--- stderr:\n${this.stderr}`;
  }
}

const running = new Set<BinProcess>();

/** Starts `src/bin/<name>.ts` as `node --import tsx` does; stop it with stopAll() in afterEach. */
export function startBin(name: BinName, args: readonly string[] = [], options: BinOptions = {}): BinProcess {
  const bin = new BinProcess(`${name} ${args.join(' ')}`, [`${ROOT}src/bin/${name}.ts`, ...args], options);
  running.add(bin);
  void bin.exited.then(() => running.delete(bin));
  return bin;
}

/**
 * The client's flags for a hub on 127.0.0.1, a key file and a name, and any more flags; with the
 * person's identity (one per name) and pins of its own, unless `more` names an identity file.
 */
export function clientArgs(port: number, keyFile: string, name: string, ...more: string[]): string[] {
  const identity = more.includes('--identity-file') ? [] : identityArgs(name);
  return [
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--key-file',
    keyFile,
    '--name',
    name,
    ...identity,
    ...more,
  ];
}

/** Starts the real client bin against a hub on 127.0.0.1, with a key file, a name and any more flags. */
export function startTestClient(port: number, keyFile: string, name: string, ...more: string[]): BinProcess {
  return startBin('client', clientArgs(port, keyFile, name, ...more));
}

/** Kills every bin a test started that is still running, and waits until they are gone. */
export async function stopAll(): Promise<void> {
  const left = [...running];
  for (const bin of left) bin.kill('SIGKILL');
  await Promise.all(left.map((bin) => bin.exited));
}

/** Runs a bin to its end (stdin closed at once) and returns its exit and output. */
export async function runBin(
  name: BinName,
  args: readonly string[] = [],
  options: BinOptions = {},
  timeoutMs = 10_000,
): Promise<{ exit: Exit; stdout: string; stderr: string }> {
  const bin = startBin(name, args, options);
  bin.endInput();
  const exit = await bin.waitForExit(timeoutMs);
  return { exit, stdout: bin.stdout, stderr: bin.stderr };
}
