/**
 * Starting and stopping the relays under test as child processes: our hub, the two baseline
 * relays of src/bench/relays, and `ncat --broker` where it is installed. Each is optionally pinned
 * to one CPU with `taskset` (which execs the program, so the child's pid is the relay's own).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, natsServerCommand } from './procstat.ts';

export type RelayName =
  'ours' | 'ours-nohistory' | 'ours-ws' | 'cluster' | 'batching' | 'plain' | 'ncat' | 'ws';
/** The relays that are one process (the cluster is several: clusterRelay.ts starts it). */
export type SingleRelayName = Exclude<RelayName, 'cluster'>;
export const RELAY_NAMES: readonly RelayName[] = [
  'ours',
  'ours-nohistory',
  'ours-ws',
  'cluster',
  'batching',
  'plain',
  'ncat',
  'ws',
];
/** Without --relays: our hub as it ships, and every baseline. */
export const DEFAULT_RELAYS: readonly RelayName[] = ['ours', 'batching', 'plain', 'ncat'];

export const RELAY_LABELS: Record<RelayName, string> = {
  ours: 'fernet-chat hub',
  'ours-nohistory': 'hub, history off',
  batching: 'batching relay',
  plain: 'plain relay',
  ncat: 'ncat --broker',
  'ours-ws': 'hub over WebSocket',
  ws: 'ws broadcast relay',
  cluster: '2 hubs + nats-server',
};

/** The websocket preset's relays: our hub and the ws relay over WebSocket, our TCP path beside. */
export const WEBSOCKET_RELAYS: readonly RelayName[] = ['ours-ws', 'ws', 'ours', 'batching'];

/** How the load generator's clients reach a relay: TCP lines, or one WebSocket message per frame. */
export type Transport = 'tcp' | 'websocket';

/** `ours-ws` is our hub reached at its web listener's /ws; `ws` the `ws` package's plain relay. */
export function relayTransport(name: RelayName | 'target'): Transport {
  return name === 'ours-ws' || name === 'ws' ? 'websocket' : 'tcp';
}

/** The repository root (src/bench/ is two levels below it). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The flag that switches the hub's protective limits (flood control, caps) off for benchmarking. */
export const HUB_UNLIMITED_FLAG = '--unlimited';
/**
 * What `ours-nohistory` adds: the hub keeps no history, so that what history costs shows beside
 * `ours` in one run. After any --hub-arg, so that it wins.
 */
export const HUB_NO_HISTORY_ARGS: readonly string[] = ['--history-frames', '0'];

/** The cluster preset's relays: our hub alone, and two of them sharing the room through NATS. */
export const CLUSTER_RELAYS: readonly RelayName[] = ['ours', 'cluster'];

/** The relays a preset runs when --relays does not say. */
export function presetRelays(preset: string): readonly RelayName[] {
  if (preset === 'websocket') return WEBSOCKET_RELAYS;
  if (preset === 'cluster') return CLUSTER_RELAYS;
  return DEFAULT_RELAYS;
}

/** Whether the relay is our hub (with history or without, alone or two in a cluster). */
export function isOurHub(name: RelayName): boolean {
  return name === 'ours' || name === 'ours-nohistory' || name === 'ours-ws' || name === 'cluster';
}

export interface RelayHandle {
  name: RelayName | 'target';
  host: string;
  /** the first of `ports` */
  port: number;
  /** where clients connect: one port, or each hub's of a cluster (client i to ports[i % n]) */
  ports: number[];
  /** the relay's main process (a cluster's first hub) */
  pid: number | undefined;
  /** every process the relay is made of, whose CPU and memory count as the relay's */
  parts: RelayPart[];
  pinnedCpu: number | null;
  /** a few of the last lines the child wrote to stderr */
  stderrTail: () => string;
  /** what its processes said went wrong since the last call (Launched.takeNotable), by process */
  takeNotable: () => string[];
  exited: () => boolean;
  stop: () => Promise<void>;
}

export interface RelayPart {
  label: string;
  pid: number | undefined;
}

export interface StartOptions {
  host?: string;
  /** CPU to pin the relay to, or null */
  cpu: number | null;
  /** extra arguments for our hub */
  hubArgs?: string[];
  /** write a V8 CPU profile of our hub into this directory (node --cpu-prof) */
  cpuProfDir?: string | null;
  /** our hub's entry point (default: DEFAULT_HUB_ENTRY; a .ts file runs through tsx, a .js/.mjs file as is) */
  hubEntry?: string;
  timeoutMs?: number;
}

/**
 * Run from the build (`npm run bench` builds first), every relay runs compiled, as users run the
 * hub: no tsx loader thread in anyone's RSS. Run from source (tests), they run through tsx.
 */
const COMPILED = import.meta.url.endsWith('.js');
const entry = (source: string): string[] =>
  COMPILED ? [source.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js')] : ['--import', 'tsx', source];

export const DEFAULT_HUB_ENTRY = COMPILED ? 'dist/bin/hub.js' : 'src/bin/hub.ts';

/** null if the relay can run here, else why it is skipped. */
export function unavailable(name: RelayName, hubEntry = DEFAULT_HUB_ENTRY): string | null {
  if (isOurHub(name) && !existsSync(path.resolve(REPO_ROOT, hubEntry)))
    return `${hubEntry} not found (the hub is not written yet), skipped`;
  if (name === 'ncat' && !hasCommand('ncat')) return 'ncat not installed, skipped';
  if (name === 'cluster' && natsServerCommand() === undefined)
    return 'nats-server not installed (apt-get install nats-server): the cluster is skipped';
  return null;
}

function commandFor(
  name: SingleRelayName,
  host: string,
  port: number,
  hubArgs: string[],
  cpuProfDir: string | null,
  hubEntry: string,
): string[] {
  const node = process.execPath;
  switch (name) {
    case 'ours':
    case 'ours-nohistory':
    case 'ours-ws':
      return [
        node,
        ...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : []),
        ...(/\.m?js$/.test(hubEntry) ? [] : ['--import', 'tsx']),
        hubEntry,
        '--host',
        host,
        '--port',
        String(port),
        HUB_UNLIMITED_FLAG,
        ...hubArgs,
        ...(name === 'ours-nohistory' ? HUB_NO_HISTORY_ARGS : []),
        // The web listener beside the TCP one (a free port, as --port 0 gives), on the same host.
        ...(name === 'ours-ws' ? ['--web-host', host] : []),
      ];
    case 'batching':
      return [node, ...entry('src/bench/relays/batchingRelay.ts'), '--host', host, '--port', String(port)];
    case 'plain':
      return [node, ...entry('src/bench/relays/plainRelay.ts'), '--host', host, '--port', String(port)];
    case 'ws':
      return [node, ...entry('src/bench/relays/wsRelay.ts'), '--host', host, '--port', String(port)];
    case 'ncat':
      // --max-conns: ncat's default is 100 connections
      return ['ncat', '--broker', '--listen', '--max-conns', '20000', host, String(port)];
  }
}

/** A port that was free a moment ago (for programs that cannot report an ephemeral port). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const a = srv.address();
      const p = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(p));
    });
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const LISTENING = /event=listening\b.*?\bport=(\d+)/;

/** The port of the hub's web listener, from its `event=web-listening url=http://host:port/` line. */
export function webListeningPort(line: string): number | null {
  const m = /\bevent=web-listening\b.*?\burl=\S*:(\d+)\//.exec(line);
  return m?.[1] ? Number(m[1]) : null;
}

/** Parses the port from a logfmt line with `event=listening` and `port=<n>`; null otherwise. */
export function listeningPort(line: string): number | null {
  const m = LISTENING.exec(line) ?? /\bport=(\d+)\b.*?\bevent=listening\b/.exec(line);
  return m?.[1] ? Number(m[1]) : null;
}

const running = new Set<RelayHandle>();
const children = new Set<ChildProcess>();
// whatever way this process ends, the relays it started end with it
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Stops every relay this process started and has not stopped yet (for signal handlers). */
export async function stopAllRelays(): Promise<void> {
  await Promise.all([...running].map((h) => h.stop()));
}

/**
 * Output lines worth showing beside a run's figures: a hub's warnings and errors and what its
 * cluster edge says about NATS (down, retrying, full, consumer errors), and nats-server's
 * warnings and errors.
 */
const NOTABLE =
  /\blevel=(warn|error)\b|\bevent=cluster-(?!joined\b)|\breason=slow-consumer\b|\[(WRN|ERR|FTL)\]/;

/** One child process of a relay, running and ready. */
export interface Launched {
  pid: number | undefined;
  port: number;
  stderrTail: () => string;
  /** lines of its output that say something went wrong (NOTABLE), the first 20, then taken */
  takeNotable: () => string[];
  exited: () => boolean;
  /** SIGTERM, then SIGKILL after 2 s; resolves once it has exited */
  stop: () => Promise<void>;
}

/**
 * Spawns `argv` (pinned to `cpu` with taskset where possible) and waits until it is ready: until a
 * line of its output gives `portOf` a port, or, with `fixedPort`, until that port accepts a
 * connection. Stops it and throws, with its last output, if it is not ready within `timeoutMs`.
 */
export async function launch(
  label: string,
  argv: string[],
  o: {
    cpu: number | null;
    portOf?: (line: string) => number | null;
    fixedPort?: number;
    host?: string;
    timeoutMs?: number;
  },
): Promise<Launched> {
  if (o.cpu !== null && hasCommand('taskset')) argv = ['taskset', '-c', String(o.cpu), ...argv];
  const [cmd, ...args] = argv;
  const child: ChildProcess = spawn(cmd!, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  children.add(child);
  const tail: string[] = [];
  let notable: string[] = [];
  let exited = false;
  let port: number | null = null;
  let onPort: ((p: number) => void) | null = null;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      children.delete(child);
      resolve();
    });
    child.once('error', (err) => {
      tail.push(String(err));
      exited = true;
      resolve();
    });
  });
  const scan = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      if (NOTABLE.test(line) && notable.length < 20) notable.push(line);
      if (tail.length < 400) tail.push(line);
      else {
        tail.shift();
        tail.push(line);
      }
      if (port === null && o.portOf) {
        const p = o.portOf(line);
        if (p !== null) {
          port = p;
          onPort?.(p);
        }
      }
    }
  };
  child.stdout?.on('data', scan);
  child.stderr?.on('data', scan);

  const launched: Launched = {
    pid: child.pid,
    port: 0,
    stderrTail: () => tail.slice(-8).join('\n'),
    takeNotable: () => {
      const lines = notable;
      notable = [];
      return lines;
    },
    exited: () => exited,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exitPromise;
      clearTimeout(killer);
    },
  };

  const timeoutMs = o.timeoutMs ?? 20_000;
  const t0 = Date.now();
  if (o.fixedPort !== undefined) {
    while (!exited && Date.now() - t0 < timeoutMs) {
      if (await canConnect(o.host ?? '127.0.0.1', o.fixedPort)) {
        port = o.fixedPort;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } else if (port === null) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        onPort = () => resolve();
      }),
      exitPromise,
      new Promise((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
  }
  if (port === null) {
    await launched.stop();
    throw new Error(
      `${label} did not report a listening port within ${timeoutMs} ms` +
        (exited ? ' (it exited)' : '') +
        (tail.length ? `; its last output:\n${tail.slice(-8).join('\n')}` : ''),
    );
  }
  launched.port = port;
  return launched;
}

/**
 * A relay handle over processes that are already running (the clients' ports; the first part is
 * the one whose pid stands for the relay), registered so that stopAllRelays stops it.
 */
export function relayHandle(
  name: RelayName,
  o: { host: string; ports: number[]; pinnedCpu: number | null },
  parts: { label: string; process: Launched }[],
  stopAll: () => Promise<void>,
): RelayHandle {
  const handle: RelayHandle = {
    name,
    host: o.host,
    port: o.ports[0] ?? 0,
    ports: o.ports,
    pid: parts[0]?.process.pid,
    parts: parts.map((p) => ({ label: p.label, pid: p.process.pid })),
    pinnedCpu: o.pinnedCpu,
    stderrTail: () => parts.map((p) => p.process.stderrTail()).join('\n'),
    takeNotable: () => parts.flatMap((p) => p.process.takeNotable().map((line) => `${p.label}: ${line}`)),
    exited: () => parts.some((p) => p.process.exited()),
    stop: async () => {
      running.delete(handle);
      await stopAll();
    },
  };
  running.add(handle);
  return handle;
}

export async function startRelay(name: SingleRelayName, o: StartOptions): Promise<RelayHandle> {
  const host = o.host ?? '127.0.0.1';
  const fixedPort = name === 'ncat' ? await freePort(host) : undefined;
  const argv = commandFor(
    name,
    host,
    fixedPort ?? 0,
    o.hubArgs ?? [],
    o.cpuProfDir ?? null,
    o.hubEntry ?? DEFAULT_HUB_ENTRY,
  );
  const cpu = o.cpu !== null && hasCommand('taskset') ? o.cpu : null;
  const child = await launch(RELAY_LABELS[name], argv, {
    cpu,
    host,
    fixedPort,
    portOf: name === 'ours-ws' ? webListeningPort : listeningPort,
    timeoutMs: o.timeoutMs,
  });
  const part = isOurHub(name) ? 'hub' : 'relay';
  return relayHandle(
    name,
    { host, ports: [child.port], pinnedCpu: cpu },
    [{ label: part, process: child }],
    child.stop,
  );
}

/** A hub someone else started (`--target HOST:PORT`). */
export function targetRelay(host: string, port: number, pid: number | undefined): RelayHandle {
  return {
    name: 'target',
    host,
    port,
    ports: [port],
    pid,
    parts: [{ label: 'hub', pid }],
    pinnedCpu: null,
    stderrTail: () => '',
    takeNotable: () => [],
    exited: () => false,
    stop: async () => {},
  };
}
