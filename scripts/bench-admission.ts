/**
 * What TLS and admission cost the hub: `npm run bench:admission [-- --connections N --readers N
 * --seconds S --rounds R]`. Not part of `npm test` (it measures time).
 *
 * - crypto: what one answer costs the client (derive and sign) and the hub (verify), in-process;
 * - set-up: connections opened one after another at a few at once, each from connect to `#hello`
 *   (answering the challenge where there is one), against a hub plain, with --admit, with TLS, and
 *   with both: connections per second and set-up time p50/p99;
 * - relay: one sender to a room of readers, plain TCP against TLS in the same run (rounds
 *   interleaved): the most deliveries per second the hub gives, and at a fixed rate the delivery
 *   latency p50/p99 and the hub's CPU time per delivery, which is the hub's own cost whatever the
 *   load generator (in this process, also doing TLS) can keep up with.
 *
 * Throwaway certificates are made with the openssl command in a temporary directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { parseArgs } from 'node:util';
import { admissionKeyOf } from '../src/crypto/admissionKey.ts';
import { AdmitList } from '../src/crypto/admitList.ts';
import { answerChallenge } from '../src/crypto/answerChallenge.ts';
import { FernetKey } from '../src/crypto/fernetKey.ts';
import { KeyRing } from '../src/crypto/keyRing.ts';
import { readProc } from '../src/bench/procstat.ts';
import { challengeLine, parseAnswer, signedMessage } from '../src/protocol/admission.ts';
import { makeTestCerts } from '../src/bench/testCerts.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '400' },
    readers: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '4' },
    rate: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '2' },
  },
});
const CONNECTIONS = Number(values.connections);
const READERS = Number(values.readers);
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const ROUNDS = Number(values.rounds);
const AT_ONCE = 10;
const HUB_NAME = '127.0.0.1';

const dir = mkdtempSync(join(tmpdir(), 'fernet-chat-bench-admission-'));
const certs = makeTestCerts(dir);
if (!certs.ok) {
  console.error(`bench-admission: ${certs.reason}`);
  process.exit(1);
}
const key = FernetKey.generate();
const ring = new KeyRing([key]);
const admitFile = join(dir, 'admit.keys');
writeFileSync(admitFile, `${admissionKeyOf(key).publicKey}\n`);

type Mode = { name: string; tls: boolean; admit: boolean };
const MODES: Mode[] = [
  { name: 'plain', tls: false, admit: false },
  { name: 'admit', tls: false, admit: true },
  { name: 'tls', tls: true, admit: false },
  { name: 'tls+admit', tls: true, admit: true },
];

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function startHub(mode: Mode): Promise<{ port: number; child: ChildProcess }> {
  const args = ['--import', 'tsx', 'src/bin/hub.ts', '--host', '127.0.0.1', '--port', '0', '--unlimited'];
  if (mode.tls)
    args.push(
      '--tls-cert',
      certs.ok ? certs.certs.hubCert : '',
      '--tls-key',
      certs.ok ? certs.certs.hubKey : '',
    );
  if (mode.admit) args.push('--admit', admitFile, '--hub-name', HUB_NAME);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const match = /event=listening .*port=(\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the hub exited (${code}): ${text}`)));
  });
  child.stderr!.resume();
  return { port, child };
}

function stopHub(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function open(port: number, tls: boolean): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tls
      ? connectTls({ host: '127.0.0.1', port, ca: certs.ok ? certs.certs.ca : '' })
      : connectTcp({ host: '127.0.0.1', port, noDelay: true });
    socket.once('error', reject);
    socket.once(tls ? 'secureConnect' : 'connect', () => resolve(socket));
  });
}

/** Reads lines off a socket, one callback per line. */
function onLines(socket: Socket, line: (text: string) => void): void {
  let carry = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    for (const part of parts) line(part);
  });
}

/** Connect, answer the challenge if there is one, and wait for `#hello`: resolves with the ms taken. */
async function setUp(port: number, mode: Mode): Promise<{ ms: number; socket: Socket }> {
  const start = performance.now();
  const socket = await open(port, mode.tls);
  await new Promise<void>((resolve, reject) => {
    socket.once('close', () => reject(new Error('closed before #hello')));
    onLines(socket, (text) => {
      if (text.startsWith('#challenge ')) {
        const reply = answerChallenge(ring, text, HUB_NAME);
        if (!reply.ok) return reject(new Error(reply.message));
        socket.write(`${reply.line}\n`);
      } else if (text.startsWith('#hello ')) resolve();
    });
  });
  return { ms: performance.now() - start, socket };
}

async function setUpBench(mode: Mode): Promise<{ rate: number; p50: number; p99: number; hubCpuMs: number }> {
  const { port, child } = await startHub(mode);
  const times: number[] = [];
  const cpuBefore = readProc(child.pid!)?.cpuSeconds ?? 0;
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      while (next < CONNECTIONS) {
        next++;
        const { ms, socket } = await setUp(port, mode);
        times.push(ms);
        socket.removeAllListeners('close');
        socket.destroy();
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const hubCpuMs = (((readProc(child.pid!)?.cpuSeconds ?? 0) - cpuBefore) * 1000) / CONNECTIONS;
  await stopHub(child);
  times.sort((a, b) => a - b);
  return { rate: CONNECTIONS / seconds, p50: quantile(times, 0.5), p99: quantile(times, 0.99), hubCpuMs };
}

/** A valid-shape token (0x80 first, 89 bytes) carrying a sequence number and its send time. */
function tokenOf(seq: number, sentAt: number): string {
  const bytes = Buffer.alloc(89);
  bytes[0] = 0x80;
  bytes.writeUInt32BE(seq, 9);
  bytes.writeDoubleBE(sentAt, 13);
  return bytes.toString('base64');
}
function timeOf(token: string): number {
  return Buffer.from(token, 'base64').readDoubleBE(13);
}

interface RelayResult {
  deliveriesPerSecond: number;
  p50: number;
  p99: number;
  hubCpuUsPerDelivery: number;
}

/** One sender, READERS readers; `rate` frames/s (0: as fast as the socket takes them) for SECONDS. */
async function relayBench(mode: Mode, rate: number): Promise<RelayResult> {
  const { port, child } = await startHub(mode);
  const readers = await Promise.all(Array.from({ length: READERS }, () => setUp(port, mode)));
  const { socket: sender } = await setUp(port, mode);
  sender.on('data', () => {});
  const latencies: number[] = [];
  let delivered = 0;
  let measuring = false;
  for (const { socket } of readers)
    onLines(socket, (text) => {
      if (!measuring || text.startsWith('#')) return;
      delivered++;
      if (rate > 0 && delivered % 10 === 0) latencies.push(performance.now() - timeOf(text));
    });
  const cpuBefore = readProc(child.pid!)?.cpuSeconds ?? 0;
  measuring = true;
  const start = performance.now();
  let seq = 0;
  await new Promise<void>((resolve) => {
    const end = start + SECONDS * 1000;
    // A sender the hub has stopped reading waits for a drain that may come late: the window ends anyway.
    setTimeout(resolve, SECONDS * 1000 + 50);
    if (rate > 0) {
      const perTick = Math.max(1, Math.round(rate / 100));
      const timer = setInterval(() => {
        if (performance.now() >= end) {
          clearInterval(timer);
          return resolve();
        }
        let lines = '';
        for (let i = 0; i < perTick; i++) lines += `${tokenOf(seq++, performance.now())}\n`;
        sender.write(lines);
      }, 10);
    } else {
      const pump = () => {
        if (performance.now() >= end) return resolve();
        let lines = '';
        for (let i = 0; i < 100; i++) lines += `${tokenOf(seq++, performance.now())}\n`;
        if (sender.write(lines)) setImmediate(pump);
        else sender.once('drain', pump);
      };
      pump();
    }
  });
  // What is still in flight when the sending ends is not counted: the rate is of the window.
  const seconds = (performance.now() - start) / 1000;
  const counted = delivered;
  measuring = false;
  const hubCpu = (readProc(child.pid!)?.cpuSeconds ?? 0) - cpuBefore;
  for (const { socket } of readers) socket.destroy();
  sender.destroy();
  await stopHub(child);
  latencies.sort((a, b) => a - b);
  return {
    deliveriesPerSecond: counted / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    hubCpuUsPerDelivery: (hubCpu * 1e6) / Math.max(1, counted),
  };
}

function cryptoBench(): { answerUs: number; verifyUs: number } {
  const nonce = Buffer.alloc(32, 7).toString('base64url');
  const line = challengeLine(nonce, HUB_NAME);
  const admit = AdmitList.parse(`${admissionKeyOf(key).publicKey}\n`, 'bench');
  const message = signedMessage(HUB_NAME, nonce);
  const n = 2000;
  let answer = '';
  let t = performance.now();
  for (let i = 0; i < n; i++) answer = (answerChallenge(ring, line, HUB_NAME) as { line: string }).line;
  const answerUs = ((performance.now() - t) * 1000) / n;
  const parsed = parseAnswer(answer);
  if (!parsed.ok) throw new Error(parsed.detail);
  t = performance.now();
  for (let i = 0; i < n; i++) if (!admit.check(parsed.pairs, message).ok) throw new Error('not admitted');
  const verifyUs = ((performance.now() - t) * 1000) / n;
  return { answerUs, verifyUs };
}

try {
  const crypto = cryptoBench();
  console.log(
    `crypto: an answer costs the client ${fmt(crypto.answerUs, 0)} µs (derive and sign), the hub ${fmt(crypto.verifyUs, 0)} µs (verify)`,
  );

  console.log(`\nset-up: ${CONNECTIONS} connections, ${AT_ONCE} at once, connect to #hello`);
  console.log('mode        conn/s   p50 ms   p99 ms   hub CPU ms/conn');
  const setUps = new Map<string, Awaited<ReturnType<typeof setUpBench>>>();
  for (const mode of MODES) {
    const r = await setUpBench(mode);
    setUps.set(mode.name, r);
    console.log(
      `${mode.name.padEnd(10)} ${fmt(r.rate, 0).padStart(7)} ${fmt(r.p50).padStart(8)} ${fmt(r.p99).padStart(8)} ${fmt(r.hubCpuMs, 3).padStart(10)}`,
    );
  }

  console.log(
    `\nrelay: 1 sender, ${READERS} readers, ${SECONDS} s a run, ${ROUNDS} rounds interleaved (best kept)`,
  );
  const relayModes = [MODES[0]!, MODES[2]!];
  const best = new Map<string, { max: RelayResult; fixed: RelayResult }>();
  for (let round = 0; round < ROUNDS; round++)
    for (const mode of relayModes) {
      const max = await relayBench(mode, 0);
      const fixed = await relayBench(mode, RATE);
      const prev = best.get(mode.name);
      best.set(mode.name, {
        max: prev && prev.max.deliveriesPerSecond > max.deliveriesPerSecond ? prev.max : max,
        fixed: prev && prev.fixed.p99 < fixed.p99 ? prev.fixed : fixed,
      });
    }
  console.log(
    `mode     max deliveries/s   hub µs/delivery   at ${RATE} frames/s: p50 ms   p99 ms   hub µs/delivery`,
  );
  for (const mode of relayModes) {
    const { max, fixed } = best.get(mode.name)!;
    console.log(
      `${mode.name.padEnd(8)} ${fmt(max.deliveriesPerSecond, 0).padStart(17)} ${fmt(max.hubCpuUsPerDelivery).padStart(17)} ${fmt(fixed.p50).padStart(25)} ${fmt(fixed.p99).padStart(8)} ${fmt(fixed.hubCpuUsPerDelivery).padStart(17)}`,
    );
  }
  const plain = best.get('plain')!;
  const tls = best.get('tls')!;
  console.log(
    `\nTLS / plain: max ${fmt(tls.max.deliveriesPerSecond / plain.max.deliveriesPerSecond)}x, hub CPU per delivery ${fmt(tls.max.hubCpuUsPerDelivery / plain.max.hubCpuUsPerDelivery)}x (max) and ${fmt(tls.fixed.hubCpuUsPerDelivery / plain.fixed.hubCpuUsPerDelivery)}x (fixed rate), room p99 ${fmt(tls.fixed.p99 / plain.fixed.p99)}x; set-up: admit ${fmt(setUps.get('plain')!.rate / setUps.get('admit')!.rate)}x, TLS ${fmt(setUps.get('plain')!.rate / setUps.get('tls')!.rate)}x, both ${fmt(setUps.get('plain')!.rate / setUps.get('tls+admit')!.rate)}x the time per connection`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
