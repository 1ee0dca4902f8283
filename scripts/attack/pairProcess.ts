/**
 * The healthy pair, as a child process of the suite so that the attacker's traffic in the suite's
 * own event loop does not show up as the pair's latency. Two raw TCP clients each send a
 * valid-shape token every ~50 ms carrying a sequence number and its send time (src/bench/token.ts
 * lays them out), and read each other's: latency, loss and duplicates. `#` notices are ignored
 * (a `#ping` is answered, and with `secure` a `#challenge`, as a member does); any other line is
 * counted as foreign (what the attackers got relayed).
 *
 * Driven over the IPC channel (see pair.ts): start → ready, stats → stats, stop → result.
 */
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { emptyParsed, TokenCodec } from '../../src/bench/token.ts';
import { answerChallenge } from '../../src/crypto/answerChallenge.ts';
import { KeyRing } from '../../src/crypto/keyRing.ts';
import { HUB_NAME } from './secure.ts';

export interface PairStart {
  type: 'start';
  host: string;
  port: number;
  /** Approximate line size of the pair's tokens, in bytes. */
  size: number;
  intervalMs: number;
  /** A hub with TLS and --admit: trust this CA (PEM), and answer its challenge with this chat key. */
  secure?: { ca: string; chatKey: string };
}

export interface PairStats {
  type: 'stats';
  /** Lines that were not notices and not the partner's tokens, at the first client. */
  foreign: number;
}

export interface PairResult {
  type: 'result';
  sent: number;
  received: number;
  lost: number;
  duplicates: number;
  p50: number;
  p99: number;
  max: number;
  foreign: number;
  /** Why a pair client's connection ended before the stop, if it did. */
  closed: string[];
}

const RUN = Math.floor(Math.random() * 0xffffff);
const epoch = performance.now();
const nowNs = () => (performance.now() - epoch) * 1e6;

class PairClient {
  readonly socket: Socket;
  welcomed = false;
  seq = 0;
  received = 0;
  duplicates = 0;
  foreign = 0;
  closedEarly: string | undefined;
  stopping = false;
  readonly seen: Uint8Array[] = [];
  readonly latenciesMs: number[] = [];
  private carry: Buffer | undefined;
  private readonly parsed = emptyParsed();
  private readonly ring: KeyRing | undefined;

  constructor(
    readonly index: number,
    private readonly codec: TokenCodec,
    start: PairStart,
    onWelcome: () => void,
  ) {
    this.ring = start.secure && KeyRing.parse(start.secure.chatKey);
    this.socket = start.secure
      ? connectTls({ host: start.host, port: start.port, ca: start.secure.ca })
      : connect({ host: start.host, port: start.port });
    this.socket.setNoDelay(true);
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!this.stopping) this.closedEarly ??= error.code ?? error.message;
    });
    this.socket.on('close', () => {
      if (!this.stopping) this.closedEarly ??= 'closed by the hub';
    });
    this.socket.on('data', (chunk: Buffer) => {
      let data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
      let at = 0;
      for (let lf = data.indexOf(10, at); lf >= 0; lf = data.indexOf(10, at)) {
        this.line(data, at, lf, onWelcome);
        at = lf + 1;
      }
      data = data.subarray(at);
      this.carry = data.length > 0 ? Buffer.from(data) : undefined;
    });
  }

  private line(data: Buffer, at: number, end: number, onWelcome: () => void): void {
    if (data[at] === 0x23) {
      const text = data.toString('latin1', at, Math.min(end, at + 200));
      if (text.startsWith('#hello ')) {
        this.welcomed = true;
        onWelcome();
      } else if (text.startsWith('#ping')) this.socket.write('#pong\n');
      else if (text.startsWith('#bye')) this.closedEarly ??= text;
      else if (text.startsWith('#challenge ') && this.ring) {
        const reply = answerChallenge(this.ring, text, HUB_NAME);
        if (reply.ok) this.socket.write(`${reply.line}\n`);
        else this.closedEarly ??= reply.message;
      }
      return;
    }
    const p = this.parsed;
    if (end - at !== this.codec.layout.tokenChars || !this.codec.parse(data, at, p) || p.run !== RUN) {
      this.foreign++;
      return;
    }
    const seen = (this.seen[p.sender] ??= new Uint8Array(1 << 16));
    if (p.seq >= seen.length || seen[p.seq]) {
      this.duplicates++;
      return;
    }
    seen[p.seq] = 1;
    this.received++;
    this.latenciesMs.push((nowNs() - p.tact) / 1e6);
  }

  send(): void {
    if (this.socket.destroyed || this.closedEarly !== undefined || this.seq >= 1 << 16) return;
    const t = nowNs();
    this.socket.write(this.codec.line(RUN, this.index, this.seq++, t, t));
  }

  /** The partner's frames this one has (sender index `from`). */
  got(from: number): number {
    let n = 0;
    for (const b of this.seen[from] ?? []) n += b;
    return n;
  }
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

let clients: PairClient[] = [];
let ticker: NodeJS.Timeout | undefined;
const send = (message: unknown) => process.send!(message);

process.on('message', (message: { type: string } & Partial<PairStart>) => {
  if (message.type === 'start') {
    const start = message as PairStart;
    const codec = new TokenCodec({ size: start.size, seed: 7 });
    let welcomed = 0;
    const onWelcome = () => {
      if (++welcomed === 2) {
        ticker = setInterval(() => clients.forEach((c) => c.send()), start.intervalMs);
        send({ type: 'ready' });
      }
    };
    clients = [0, 1].map((i) => new PairClient(i, codec, start, onWelcome));
  } else if (message.type === 'stats') {
    send({ type: 'stats', foreign: clients[0]?.foreign ?? 0 } satisfies PairStats);
  } else if (message.type === 'stop') {
    clearInterval(ticker);
    void finish();
  }
});

async function finish(): Promise<void> {
  const [a, b] = clients as [PairClient, PairClient];
  const deadline = performance.now() + 3_000;
  while (performance.now() < deadline && (a.got(1) < b.seq || b.got(0) < a.seq))
    await new Promise((resolve) => setTimeout(resolve, 50));
  for (const c of clients) {
    c.stopping = true;
    c.socket.destroy();
  }
  const latencies = [...a.latenciesMs, ...b.latenciesMs].sort((x, y) => x - y);
  const result: PairResult = {
    type: 'result',
    sent: a.seq + b.seq,
    received: a.received + b.received,
    lost: b.seq - a.got(1) + (a.seq - b.got(0)),
    duplicates: a.duplicates + b.duplicates,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? Number.NaN,
    foreign: a.foreign,
    closed: clients.flatMap((c) => (c.closedEarly ? [`pair client ${c.index}: ${c.closedEarly}`] : [])),
  };
  send(result);
  process.disconnect();
}

process.on('disconnect', () => process.exit(0));
