import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually.ts';

/**
 * Debian's nats-server, which the cluster's tests run against; undefined if it is not installed
 * (those tests are then skipped with this reason outside CI, and fail in CI: .ci/run installs it).
 */
/** Debian installs it in /usr/sbin, which not every user's PATH has. */
const NATS_SERVER = ['nats-server', '/usr/sbin/nats-server'].find(
  (command) => spawnSync(command, ['--version']).status === 0,
);

export const natsSkipReason: string | undefined =
  NATS_SERVER === undefined
    ? 'nats-server is not installed (apt-get install nats-server): the cluster tests need it'
    : undefined;

/**
 * For a describe() of cluster tests: undefined when they can run; otherwise the reason, printed
 * once. In CI a missing nats-server is a failure, not a skip.
 */
export function natsMissing(what: string): boolean {
  if (natsSkipReason === undefined) return false;
  if (process.env.CI === 'true') throw new Error(`${what}: ${natsSkipReason}`);
  console.warn(`skipping ${what}: ${natsSkipReason}`);
  return true;
}

/**
 * A nats-server with JetStream that this test started: on 127.0.0.1, a free port, its own store
 * directory. Never the default port 4222 and never a server the test did not start. It can be
 * killed (-9) and started again on the same port and store, and frozen (SIGSTOP).
 */
export class TestNatsServer {
  private child: ChildProcess | undefined;
  private log = '';
  port = 0;

  private constructor(
    private readonly storeDir: string,
    private readonly jetstream: boolean,
  ) {}

  /** `jetstream: false`: a plain NATS server, which a clustered hub cannot use. */
  static async start(options: { jetstream?: boolean } = {}): Promise<TestNatsServer> {
    const server = new TestNatsServer(
      mkdtempSync(join(tmpdir(), 'fernet-chat-nats-')),
      options.jetstream ?? true,
    );
    await server.run(-1);
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Kills it at once (SIGKILL): JetStream keeps what it stored in its files. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
    this.child = undefined;
  }

  /** Starts it again on the same port and store directory. */
  async restart(): Promise<void> {
    await this.kill();
    await this.run(this.port);
  }

  /** Stops it and removes its store. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }

  private async run(port: number): Promise<void> {
    this.log = '';
    const store = this.jetstream ? ['-js', '-sd', this.storeDir] : [];
    const child = spawn(NATS_SERVER!, [...store, '-p', String(port), '-a', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.log += chunk.toString('utf8');
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const match = await eventually(
      () =>
        child.exitCode !== null
          ? 'exited'
          : (/Listening for client connections on [^\s]*:(\d+)/.exec(this.log) ?? undefined),
      () => `nats-server to listen; it said:\n${this.log}`,
      10_000,
    );
    if (match === 'exited') throw new Error(`nats-server exited at start:\n${this.log}`);
    // JetStream is ready once the server says so, after the listening line.
    await eventually(
      () => this.log.includes('Server is ready'),
      () => `nats-server to be ready:\n${this.log}`,
      10_000,
    );
    this.port = Number(match[1]);
  }
}
