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
import { hasCommand } from './procstat.ts';

export type RelayName = 'ours' | 'ours-nohistory' | 'ours-ws' | 'batching' | 'plain' | 'ncat' | 'ws';
export const RELAY_NAMES: readonly RelayName[] = [
  'ours',
  'ours-nohistory',
  'ours-ws',
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

/** Whether the relay is our hub (with history or without). */
export function isOurHub(name: RelayName): boolean {
  return name === 'ours' || name === 'ours-nohistory' || name === 'ours-ws';
}

export interface RelayHandle {
  name: RelayName | 'target';
  host: string;
  port: number;
  pid: number | undefined;
  pinnedCpu: number | null;
  /** a few of the last lines the child wrote to stderr */
  stderrTail: () => string;
  exited: () => boolean;
  stop: () => Promise<void>;
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
  return null;
}

function commandFor(
  name: RelayName,
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

export async function startRelay(name: RelayName, o: StartOptions): Promise<RelayHandle> {
  const host = o.host ?? '127.0.0.1';
  const fixedPort = name === 'ncat' ? await freePort(host) : 0;
  let argv = commandFor(
    name,
    host,
    fixedPort,
    o.hubArgs ?? [],
    o.cpuProfDir ?? null,
    o.hubEntry ?? DEFAULT_HUB_ENTRY,
  );
  if (o.cpu !== null && hasCommand('taskset')) argv = ['taskset', '-c', String(o.cpu), ...argv];
  else o = { ...o, cpu: null };
  const [cmd, ...args] = argv;
  const child: ChildProcess = spawn(cmd!, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  children.add(child);
  const tail: string[] = [];
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
      if (tail.length < 400) tail.push(line);
      else {
        tail.shift();
        tail.push(line);
      }
      if (port === null) {
        const p = name === 'ours-ws' ? webListeningPort(line) : listeningPort(line);
        if (p !== null) {
          port = p;
          onPort?.(p);
        }
      }
    }
  };
  child.stdout?.on('data', scan);
  child.stderr?.on('data', scan);

  const handle: RelayHandle = {
    name,
    host,
    port: 0,
    pid: child.pid,
    pinnedCpu: o.cpu,
    stderrTail: () => tail.slice(-8).join('\n'),
    exited: () => exited,
    stop: async () => {
      running.delete(handle);
      if (exited) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exitPromise;
      clearTimeout(killer);
    },
  };

  running.add(handle);
  const timeoutMs = o.timeoutMs ?? 20_000;
  const t0 = Date.now();
  if (name === 'ncat') {
    while (!exited && Date.now() - t0 < timeoutMs) {
      if (await canConnect(host, fixedPort)) {
        port = fixedPort;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } else if (port === null) {
    await Promise.race([
      new Promise<void>((resolve) => {
        onPort = () => resolve();
      }),
      exitPromise,
      new Promise((r) => setTimeout(r, timeoutMs)),
    ]);
  }
  if (port === null) {
    await handle.stop();
    throw new Error(
      `${RELAY_LABELS[name]} did not report a listening port within ${timeoutMs} ms` +
        (exited ? ' (it exited)' : '') +
        (tail.length ? `; its last output:\n${tail.slice(-8).join('\n')}` : ''),
    );
  }
  handle.port = port;
  return handle;
}

/** A hub someone else started (`--target HOST:PORT`). */
export function targetRelay(host: string, port: number, pid: number | undefined): RelayHandle {
  return {
    name: 'target',
    host,
    port,
    pid,
    pinnedCpu: null,
    stderrTail: () => '',
    exited: () => false,
    stop: async () => {},
  };
}
