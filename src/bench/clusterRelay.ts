/**
 * The `cluster` relay: a nats-server with JetStream that the bench starts for itself (its own free
 * port and store directory, never the default 4222 nor a server it did not start) and two of our
 * hubs sharing one room through it. The generator spreads its clients over both hubs, so what one
 * client sends to hub 1 reaches the clients of hub 2 through NATS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasCommand, natsServerCommand } from './procstat.ts';
import {
  type Launched,
  launch,
  relayHandle,
  type RelayHandle,
  startRelay,
  type StartOptions,
} from './relayProcess.ts';

/** The room the bench's hubs share; the nats-server is the bench's own, so no one else's room. */
export const BENCH_ROOM = 'bench';
export const CLUSTER_HUBS = 2;

const stores = new Set<string>();
// a store directory left behind by an interrupted run is removed with the process
process.on('exit', () => {
  for (const dir of stores) rmSync(dir, { recursive: true, force: true });
});

/**
 * A port-reader for nats-server's log: the client port of `Listening for client connections on
 * HOST:PORT`, given once `Server is ready` follows (JetStream is then up).
 */
export function natsReadyPort(): (line: string) => number | null {
  let port: number | null = null;
  return (line) => {
    const m = /Listening for client connections on \S*:(\d+)/.exec(line);
    if (m?.[1]) port = Number(m[1]);
    return port !== null && line.includes('Server is ready') ? port : null;
  };
}

/** Starts a nats-server with JetStream on a free port of `host` (`-p -1`), with a new store directory. */
export async function startNatsServer(host: string, cpu: number | null): Promise<Launched> {
  const command = natsServerCommand();
  if (command === undefined) throw new Error('nats-server is not installed');
  const store = mkdtempSync(path.join(tmpdir(), 'fernet-chat-bench-nats-'));
  stores.add(store);
  const removeStore = () => {
    rmSync(store, { recursive: true, force: true });
    stores.delete(store);
  };
  let nats: Launched;
  try {
    nats = await launch('nats-server', [command, '-js', '-sd', store, '-p', '-1', '-a', host], {
      cpu,
      portOf: natsReadyPort(),
    });
  } catch (err) {
    removeStore();
    throw err;
  }
  return {
    ...nats,
    stop: async () => {
      await nats.stop();
      removeStore();
    },
  };
}

/**
 * nats-server and CLUSTER_HUBS hubs in one room, each hub a client of that server. Every process
 * is pinned to the CPU the single hub gets: the cluster has the same machine to work with.
 */
export async function startCluster(o: StartOptions): Promise<RelayHandle> {
  const host = o.host ?? '127.0.0.1';
  const cpu = o.cpu !== null && hasCommand('taskset') ? o.cpu : null;
  const nats = await startNatsServer(host, cpu);
  const hubs: RelayHandle[] = [];
  const stopAll = async () => {
    await Promise.all(hubs.map((h) => h.stop()));
    await nats.stop();
  };
  try {
    const clusterArgs = ['--cluster', `nats://${host}:${nats.port}`, '--room', BENCH_ROOM];
    // one after the other: the first makes the room's stream, the next takes it as it is
    for (let i = 0; i < CLUSTER_HUBS; i++)
      hubs.push(
        await startRelay('ours', { ...o, host, cpu, hubArgs: [...(o.hubArgs ?? []), ...clusterArgs] }),
      );
  } catch (err) {
    await stopAll();
    throw err;
  }
  const parts = [
    ...hubs.map((h, i) => ({ label: `hub ${i + 1}`, process: launchedOf(h) })),
    { label: 'nats-server', process: nats },
  ];
  return relayHandle('cluster', { host, ports: hubs.map((h) => h.port), pinnedCpu: cpu }, parts, stopAll);
}

/** A started hub seen as one process of the cluster. */
function launchedOf(h: RelayHandle): Launched {
  const { pid, port, stderrTail, takeNotable, exited, stop } = h;
  return { pid, port, stderrTail, takeNotable, exited, stop };
}
