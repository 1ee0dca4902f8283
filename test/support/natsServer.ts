import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
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
    /** More arguments: its name and its cluster (TestNatsCluster). */
    private readonly extra: readonly string[],
  ) {}

  /**
   * `jetstream: false`: a plain NATS server, which a clustered hub cannot use. `args`: more
   * arguments for nats-server (TestNatsCluster gives each its name and routes).
   */
  static async start(
    options: { jetstream?: boolean; args?: readonly string[] } = {},
  ): Promise<TestNatsServer> {
    const server = new TestNatsServer(
      mkdtempSync(join(tmpdir(), 'fernet-chat-nats-')),
      options.jetstream ?? true,
      options.args ?? [],
    );
    await server.run(-1);
    return server;
  }

  /** Whether it runs (it was not killed). */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** What it has logged since it last started. */
  get output(): string {
    return this.log;
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
    const child = spawn(NATS_SERVER!, [...store, '-p', String(port), '-a', '127.0.0.1', ...this.extra], {
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

/** A port that was free a moment ago: taken from the OS on 127.0.0.1, then let go. */
export function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Three nats-servers with JetStream that this test started, routed to each other as one NATS
 * cluster: each on 127.0.0.1 with free client and cluster ports, its own store and its own name
 * (`servers[i].name`, as JetStream names a stream's leader). Ready once JetStream's meta group
 * has a leader (JetStream then answers).
 */
export class TestNatsCluster {
  private constructor(
    readonly servers: readonly { readonly name: string; readonly server: TestNatsServer }[],
  ) {}

  static async start(size = 3): Promise<TestNatsCluster> {
    const clusterName = `fernet-chat-test-${process.pid}`;
    const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
    const routes = ports.map((port) => `nats://127.0.0.1:${port}`).join(',');
    const started = await Promise.allSettled(
      ports.map(async (port, i) => {
        const name = `n${i + 1}`;
        const server = await TestNatsServer.start({
          args: [
            '-n',
            name,
            '--cluster_name',
            clusterName,
            '--cluster',
            `nats://127.0.0.1:${port}`,
            '--routes',
            routes,
          ],
        });
        return { name, server };
      }),
    );
    const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    const cluster = new TestNatsCluster(servers);
    if (failed !== undefined) {
      await cluster.stop();
      throw failed.reason;
    }
    // JetStream answers once the servers have found each other and chosen a meta leader.
    const nc = await connect({ servers: cluster.urls });
    try {
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await (await jetstreamManager(nc, { timeout: 1_000 })).getAccountInfo();
          break;
        } catch (error) {
          if (Date.now() > deadline)
            throw new Error(
              `timed out waiting for JetStream of the NATS cluster to have a leader (${String(error)}); they said:\n${servers.map((entry) => entry.server.output).join('\n')}`,
              { cause: error },
            );
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    } catch (error) {
      await nc.close();
      await cluster.stop();
      throw error;
    }
    await nc.close();
    return cluster;
  }

  /** The client URLs of all its servers, as --cluster takes them. */
  get urls(): string[] {
    return this.servers.map(({ server }) => server.url);
  }

  /** The server of that name (JetStream's name for it). */
  named(name: string): TestNatsServer {
    const found = this.servers.find((entry) => entry.name === name);
    if (found === undefined) throw new Error(`no server named ${name} in this NATS cluster`);
    return found.server;
  }

  /** Stops every server and removes their stores. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map(({ server }) => server.stop()));
  }
}
