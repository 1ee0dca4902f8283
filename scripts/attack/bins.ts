/**
 * Finding 8, the bins other than the hub's relay path, each with measures of its own:
 *  - replay-5000-joins: `replay.js` on a recording of 5,000 joins (built here with the recording
 *    schema, the fixture's tokens and key): its time and peak RSS;
 *  - fifo-key: the client given a FIFO as its key file must exit non-zero within 5 s;
 *  - sighup: SIGHUP to the hub with a raw client connected: the client gets `#bye shutdown` and the
 *    hub exits 0;
 *  - hostile-hub: a node:net server sends 20,000 bad lines to the client: the lines it prints. Its
 *    warnings (`! unreadable message: …`) go to stderr, so stdout and stderr are both counted.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProc } from '../../src/bench/procstat.ts';
import {
  EVENT_RECORD_TYPES,
  type EventRecord,
  type HeaderRecord,
  headerRecordSchema,
} from '../../src/recording/recordingSchema.ts';
import { FIFO_KEY_EXIT_SECONDS, HOSTILE_HUB_CLIENT_LINES, REPLAY_RSS_MIB, REPLAY_SECONDS } from './budget.ts';
import { MIB, ROOT, type Row, sleep } from './common.ts';
import { Hub } from './hubProcess.ts';

const FIXTURE = `${ROOT}fixtures/sessions/joins-and-leaves`;
const JOINS = 5_000;

interface BinAttack {
  name: string;
  what: string;
  run(scale: number): Promise<Row>;
}

/** A scratch directory that is removed whatever happens. */
async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'fernet-chat-attack-'));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The fixture's throw-away key, copied with mode 0600 as the client requires. */
function keyFileIn(dir: string): string {
  const path = join(dir, 'chat.key');
  copyFileSync(`${FIXTURE}.key`, path);
  chmodSync(path, 0o600);
  return path;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exited(child, 5_000);
}

function errorRow(name: string, error: unknown): Row {
  return { name, result: 'FAIL', note: `error: ${error instanceof Error ? error.message : String(error)}` };
}

/** A recording of 5,000 joins, then the fixture's frames, then 5,000 leaves, as the hub writes it. */
function writeJoinsRecording(path: string): void {
  const [headerLine, ...rest] = readFileSync(`${FIXTURE}.jsonl`, 'utf8').trim().split('\n');
  const fixtureHeader = headerRecordSchema.parse(JSON.parse(headerLine!));
  // As today's hub would record it: the presence limit is in the header.
  const header: HeaderRecord = { ...fixtureHeader, hub: { ...fixtureHeader.hub, presenceLimit: 1000 } };
  const frames = rest
    .map((text) => JSON.parse(text) as EventRecord)
    .filter((r): r is Extract<EventRecord, { type: 'frame' }> => r.type === 'frame');
  const lines: string[] = [JSON.stringify(header)];
  let t = 1;
  for (let peer = 1; peer <= JOINS; peer++, t += 0.5) {
    const remote = `127.0.${Math.floor(peer / 250)}.${(peer % 250) + 1}:${40_000 + (peer % 20_000)}`;
    lines.push(JSON.stringify({ type: 'join', t, peer, remote } satisfies EventRecord));
  }
  for (const [i, frame] of frames.entries())
    lines.push(JSON.stringify({ type: 'frame', t: (t += 1), peer: (i % 3) + 1, data: frame.data }));
  for (let peer = 1; peer <= JOINS; peer++, t += 0.5)
    lines.push(JSON.stringify({ type: 'leave', t, peer, reason: 'quit' } satisfies EventRecord));
  if (!EVENT_RECORD_TYPES.includes('join')) throw new Error('the recording schema has no join record');
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}

const replayJoins: BinAttack = {
  name: 'replay-5000-joins',
  what: `replay.js on a recording of ${JOINS} joins: time and peak RSS`,
  run: (scale) =>
    withTempDir(async (dir) => {
      const name = 'replay-5000-joins';
      const recording = join(dir, 'joins.jsonl');
      writeJoinsRecording(recording);
      const limitS = Math.max(REPLAY_SECONDS + 5, (REPLAY_SECONDS + 5) * Math.min(1, scale));
      const child = spawn(
        process.execPath,
        [`${ROOT}dist/bin/replay.js`, recording, '--key', keyFileIn(dir)],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      try {
        let outBytes = 0;
        let outLines = 0;
        child.stdout!.on('data', (chunk: Buffer) => {
          outBytes += chunk.length;
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) outLines++;
        });
        let stderr = '';
        child.stderr!.setEncoding('utf8').on('data', (text: string) => {
          stderr = (stderr + text).slice(-2000);
        });
        let peak = 0;
        const sampler = setInterval(() => {
          const proc = readProc(child.pid!);
          if (proc) peak = Math.max(peak, proc.hwmBytes, proc.rssBytes);
        }, 100);
        const started = performance.now();
        const done = await exited(child, limitS * 1000).finally(() => clearInterval(sampler));
        const seconds = (performance.now() - started) / 1000;
        const failures: string[] = [];
        if (!done) failures.push(`still running after ${limitS} s, killed`);
        else if (child.exitCode !== 0)
          failures.push(
            `exit ${child.exitCode ?? child.signalCode}: ${stderr.trim().split('\n').slice(-2).join(' | ')}`,
          );
        if (seconds > REPLAY_SECONDS) failures.push(`took over ${REPLAY_SECONDS} s`);
        if (peak / MIB > REPLAY_RSS_MIB) failures.push(`peak RSS over ${REPLAY_RSS_MIB} MiB`);
        return {
          name,
          rssPeakMiB: peak / MIB,
          result: failures.length === 0 ? 'PASS' : 'FAIL',
          note: [
            ...failures,
            `replay process: ${seconds.toFixed(1)} s, ${outLines} lines (${(outBytes / MIB).toFixed(1)} MiB) of output`,
          ].join('; '),
        };
      } catch (error) {
        return errorRow(name, error);
      } finally {
        await killAndWait(child);
      }
    }),
};

const fifoKey: BinAttack = {
  name: 'fifo-key',
  what: 'client.js --key-file FIFO must exit non-zero within 5 s',
  run: () =>
    withTempDir(async (dir) => {
      const name = 'fifo-key';
      const fifo = join(dir, 'chat.key');
      execFileSync('mkfifo', ['-m', '600', fifo]);
      const args = [
        '--key-file',
        fifo,
        '--name',
        'x',
        '--host',
        '127.0.0.1',
        '--port',
        '9',
        '--no-reconnect',
      ];
      const child = spawn(process.execPath, [`${ROOT}dist/bin/client.js`, ...args], {
        stdio: ['pipe', 'ignore', 'pipe'], // stdin stays open: the client must not wait for it
      });
      try {
        let stderr = '';
        child.stderr!.setEncoding('utf8').on('data', (text: string) => {
          stderr = (stderr + text).slice(-1000);
        });
        const started = performance.now();
        const done = await exited(child, FIFO_KEY_EXIT_SECONDS * 1000);
        const seconds = (performance.now() - started) / 1000;
        const ok = done && child.exitCode !== null && child.exitCode !== 0;
        return {
          name,
          result: ok ? 'PASS' : 'FAIL',
          note: done
            ? `exit ${child.exitCode ?? child.signalCode} after ${seconds.toFixed(1)} s: ${stderr.trim().split('\n')[0] ?? ''}`
            : `still running after ${FIFO_KEY_EXIT_SECONDS} s (blocked on the FIFO), killed`,
        };
      } catch (error) {
        return errorRow(name, error);
      } finally {
        child.stdin!.destroy();
        await killAndWait(child);
      }
    }),
};

const sighup: BinAttack = {
  name: 'sighup',
  what: 'SIGHUP to the hub: its client gets #bye shutdown, the hub exits 0',
  async run() {
    const name = 'sighup';
    let hub: Hub | undefined;
    let socket: Socket | undefined;
    try {
      hub = await Hub.start();
      const { createConnection } = await import('node:net');
      const client = createConnection({ host: '127.0.0.1', port: hub.port });
      socket = client;
      let received = '';
      client.setEncoding('latin1').on('data', (text: string) => {
        received = (received + text).slice(-4096);
      });
      client.on('error', () => {});
      const waitFor = async (test: () => boolean, ms: number) => {
        const until = performance.now() + ms;
        while (!test() && performance.now() < until) await sleep(20);
        return test();
      };
      if (!(await waitFor(() => received.includes('#hello'), 5_000))) throw new Error('no #hello');
      hub.child.kill('SIGHUP');
      const bye = await waitFor(() => /^#bye shutdown$/m.test(received), 8_000);
      const done = await Promise.race([hub.exited.then(() => true), sleep(8_000).then(() => false)]);
      const failures: string[] = [];
      if (!bye) failures.push('the client got no #bye shutdown');
      if (!done) failures.push('the hub did not exit within 8 s');
      else if (hub.exitCode !== 0) failures.push(`the hub exited ${hub.exitSignal ?? hub.exitCode}`);
      return {
        name,
        result: failures.length === 0 ? 'PASS' : 'FAIL',
        note: failures.join('; ') || 'client got #bye shutdown; hub exited 0',
      };
    } catch (error) {
      return errorRow(name, error);
    } finally {
      socket?.destroy();
      await hub?.stop();
    }
  },
};

const hostileHub: BinAttack = {
  name: 'hostile-hub',
  what: 'a server sends the client 20,000 bad lines: lines the client prints',
  run: () =>
    withTempDir(async (dir) => {
      const name = 'hostile-hub';
      const BAD_LINES = 20_000;
      const peers = new Set<Socket>();
      let sentAll = false;
      const server = createServer((peer) => {
        peers.add(peer);
        peer.on('error', () => {});
        peer.resume();
        const lines = Array.from({ length: BAD_LINES }, (_, i) =>
          i % 3 === 0 ? `not a token ${i}\n` : i % 3 === 1 ? `gAAAA${'!'.repeat(i % 50)}\n` : '\0\x01\xff\n',
        ).join('');
        peer.write(Buffer.from(lines, 'latin1'), () => {
          sentAll = true;
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      const args = [
        '--key-file',
        keyFileIn(dir),
        '--name',
        'x',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--no-reconnect',
      ];
      const child = spawn(process.execPath, [`${ROOT}dist/bin/client.js`, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'], // stdin stays open: the client keeps running
      });
      try {
        const lines = { stdout: 0, stderr: 0 };
        let lastOutput = performance.now();
        for (const stream of ['stdout', 'stderr'] as const)
          child[stream]!.on('data', (chunk: Buffer) => {
            lastOutput = performance.now();
            for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines[stream]++;
          });
        // Until everything was sent and the client has been quiet for 1 s, at most 15 s.
        const until = performance.now() + 15_000;
        while (performance.now() < until && !(sentAll && performance.now() - lastOutput > 1_000))
          await sleep(100);
        const failures: string[] = [];
        if (!sentAll) failures.push('the client did not read all the lines');
        const printed = lines.stdout + lines.stderr;
        if (printed > HOSTILE_HUB_CLIENT_LINES)
          failures.push(`printed ${printed} lines > ${HOSTILE_HUB_CLIENT_LINES}`);
        return {
          name,
          result: failures.length === 0 ? 'PASS' : 'FAIL',
          note: [
            ...failures,
            `${lines.stdout} stdout + ${lines.stderr} stderr lines for ${BAD_LINES} bad lines`,
          ].join('; '),
        };
      } catch (error) {
        return errorRow(name, error);
      } finally {
        child.stdin!.destroy();
        await killAndWait(child);
        for (const peer of peers) peer.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    }),
};

export const binAttacks: BinAttack[] = [replayJoins, fifoKey, sighup, hostileHub];
