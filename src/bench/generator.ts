/**
 * The load generator: N real TCP clients on one event loop, the first S of them senders.
 *
 * A session connects once (`connect`), proves the hub relays to everybody (`barrier`: two clients
 * send probe lines until every client has received one), then does one or more runs (`run`): a
 * warm-up, a measured window and a drain. Each run has its own run id inside the tokens, so late
 * lines of an earlier run are counted as foreign, never as deliveries.
 *
 * Receive path: every socket reads into one shared Buffer (`onread`), which is scanned for LF with
 * indexOf; a data line is recognised by its fixed length and parsed at fixed offsets. No string is
 * made per line and no Buffer per read; only a line split across two reads is copied.
 *
 * Send path: paced (open loop) at R msg/s in total, each sender R/S per second staggered, due
 * lines written in one write per sender per tick; or max rate with at most `window` messages in
 * flight per sender. A sender whose socket has more than 256 KiB unsent is skipped (the hub is
 * pushing back) and that is counted, so backpressure is told apart from a slow generator.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import WebSocket from 'ws';
import { performance } from 'node:perf_hooks';
import { RunAccounting } from './accounting.ts';
import type { Histogram } from './histogram.ts';
import { readCpuTimes, readProc, resetPeakRss } from './procstat.ts';
import { emptyParsed, LF, type ParsedToken, PROBE_SENDER, TokenCodec } from './token.ts';

const HASH = 0x23;
const OUT_HIGH = 256 * 1024;
const BURST = 512;
const TWO_24 = 0x1000000;
const READ_BUF = 64 * 1024;

export interface SessionOptions {
  host: string;
  port: number;
  /** 'websocket': each client is a WebSocket to /ws, one message per line (default 'tcp') */
  transport?: 'tcp' | 'websocket';
  clients: number;
  /** approximate line length, LF included */
  size: number;
  /** connections in progress at once (default 100) */
  connectConcurrency?: number;
  /** connections started per second (default: no limit) */
  connectRate?: number;
  connectTimeoutS?: number;
  seed?: number;
}

export interface ConnectStats {
  attempted: number;
  connected: number;
  failed: number;
  seconds: number;
  perSecond: number;
  firstError: string;
}

export interface BarrierStats {
  live: number;
  ready: number;
  seconds: number;
}

export interface RunOptions {
  senders: number;
  /** total msg/s offered, paced; 0 = max rate with `window` in flight per sender */
  rate: number;
  window?: number;
  warmupS: number;
  durationS: number;
  drainMaxS?: number;
  drainIdleS?: number;
  windowTimeoutS?: number;
  /** pacing tick (default 1 ms) */
  tickMs?: number;
  /** the hub's pid, for its CPU and RSS (from /proc) */
  hubPid?: number;
  onProgress?: (p: Progress) => void;
  progressMs?: number;
  /** stops the run early (e.g. the hub exceeded a memory limit); returns the reason */
  abortCheck?: (p: Progress) => string | null;
}

export interface Progress {
  phase: 'warmup' | 'measure' | 'drain';
  elapsedS: number;
  sentPerS: number;
  deliveriesPerS: number;
  lost: number;
  hubCpuUtil: number | null;
  hubRssBytes: number | null;
  genCpuUtil: number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  count: number;
}

export interface RunResult {
  runId: number;
  clients: number;
  live: number;
  ready: number;
  senders: number;
  rate: number;
  window: number;
  lineBytes: number;
  warmupS: number;
  durationS: number;
  offeredMsgPerS: number | null;
  offeredDeliveriesPerS: number | null;
  sent: number;
  sentPerS: number;
  unsent: number;
  expected: number;
  received: number;
  lost: number;
  deliveriesPerS: number;
  duplicated: number;
  reordered: number;
  malformed: number;
  foreign: number;
  echoed: number;
  notices: number;
  windowTimeouts: number;
  /** receive time − actual send time, ms */
  latencyMs: LatencySummary;
  /** receive time − scheduled send time, ms (includes generator lateness and backpressure) */
  schedLatencyMs: LatencySummary;
  genLagP99Ms: number;
  genLagMaxMs: number;
  sendBlocked: number;
  disconnects: number;
  firstError: string;
  drainS: number;
  drainTimeout: boolean;
  aborted: string | null;
  gen: { cpuS: number; cpuUtil: number; elu: number; bottleneck: string | null };
  hub: { cpuS: number; cpuUtil: number; peakRssBytes: number; rssBytes: number; peakIsExact: boolean } | null;
  /**
   * What else the machine did during the run, in CPUs: `other` is user+system time of every
   * process but the hub and this generator (other work on the machine makes figures unreliable),
   * `irq` is interrupt time (loopback TCP), `steal` what the hypervisor took.
   */
  machine: { other: number; irq: number; steal: number; noisy: boolean } | null;
}

/** What the generator needs of a client's connection: a TCP socket, or a WebSocket's adapter. */
type ClientSocket = Pick<
  net.Socket,
  'write' | 'destroy' | 'writableLength' | 'destroyed' | 'on' | 'off' | 'once'
>;

/**
 * A WebSocket client as a ClientSocket: each LF-ended line written goes as one text message.
 * `close` is the WebSocket's; there is no `drain` (the pump's 5 ms timer covers a full buffer).
 */
class WsClientSocket extends EventEmitter {
  constructor(private readonly ws: WebSocket) {
    super();
    ws.on('close', () => this.emit('close'));
  }

  write(data: Buffer): boolean {
    let start = 0;
    for (let end = data.indexOf(LF); end !== -1; end = data.indexOf(LF, start)) {
      this.ws.send(data.subarray(start, end), { binary: false });
      start = end + 1;
    }
    return true;
  }

  destroy(): this {
    this.ws.terminate();
    return this;
  }

  get writableLength(): number {
    return this.ws.bufferedAmount;
  }

  get destroyed(): boolean {
    return this.ws.readyState === WebSocket.CLOSED;
  }
}

interface Client {
  i: number;
  socket: ClientSocket | null;
  live: boolean;
  ready: boolean;
  carry: Buffer | null;
  carryLen: number;
  skipping: boolean;
}

function summary(h: Histogram): LatencySummary {
  const ms = (v: number) => (Number.isNaN(v) ? Number.NaN : v / 1e6);
  return {
    p50: ms(h.percentile(0.5)),
    p90: ms(h.percentile(0.9)),
    p99: ms(h.percentile(0.99)),
    max: h.count ? h.max / 1e6 : Number.NaN,
    count: h.count,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class LoadSession {
  readonly codec: TokenCodec;
  readonly clients: Client[] = [];
  readonly opts: SessionOptions;
  private readonly epochMs = performance.now();
  private readonly tokenChars: number;
  private readonly lineBytes: number;
  private readonly readBuf = Buffer.allocUnsafe(READ_BUF);
  private readonly parsed: ParsedToken = emptyParsed();
  private runId = 0;
  private acct: RunAccounting | null = null;
  private maxMode = false;
  private pumpScheduled = false;
  private sending = false;
  private readyCount = 0;
  private liveCount = 0;

  // line-level counters over the whole session; runs report their deltas
  notices = 0;
  malformed = 0;
  foreign = 0;
  echoed = 0;
  disconnects = 0;
  blocked = 0;
  firstError = '';

  constructor(opts: SessionOptions) {
    this.opts = opts;
    this.codec = new TokenCodec({ size: opts.size, seed: opts.seed ?? (Math.random() * 2 ** 32) >>> 0 });
    this.tokenChars = this.codec.layout.tokenChars;
    this.lineBytes = this.codec.layout.lineBytes;
  }

  /** whole ns on the generator's monotonic clock (whole, so that what a token carries is exact) */
  now(): number {
    return Math.floor((performance.now() - this.epochMs) * 1e6);
  }

  get live(): number {
    return this.liveCount;
  }

  get ready(): number {
    return this.readyCount;
  }

  // ------------------------------------------------------------------ connect

  connect(): Promise<ConnectStats> {
    const n = this.opts.clients;
    const concurrency = Math.max(1, this.opts.connectConcurrency ?? 100);
    const rate = this.opts.connectRate ?? 0;
    const timeoutMs = (this.opts.connectTimeoutS ?? 30) * 1000 + (rate > 0 ? (n / rate) * 1000 : 0);
    const t0 = performance.now();
    let started = 0;
    let inProgress = 0;
    let connected = 0;
    let failed = 0;
    let firstError = '';
    return new Promise((resolve) => {
      let done = false;
      let timer: NodeJS.Timeout | null = null;
      const finish = () => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        clearTimeout(deadline);
        const seconds = (performance.now() - t0) / 1000;
        for (const c of this.clients) {
          if (!c.live && c.socket) {
            c.socket.destroy();
            c.socket = null;
          }
        }
        resolve({
          attempted: started,
          connected,
          failed,
          seconds,
          perSecond: seconds > 0 ? connected / seconds : 0,
          firstError,
        });
      };
      const deadline = setTimeout(() => {
        failed += n - connected - failed;
        if (!firstError) firstError = 'connect timeout';
        finish();
      }, timeoutMs);
      const settle = (ok: boolean, err?: Error) => {
        inProgress--;
        if (ok) connected++;
        else {
          failed++;
          if (!firstError && err)
            firstError = `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim();
        }
        if (connected + failed >= n) finish();
        else startMore();
      };
      const startMore = () => {
        if (done) return;
        const allowed = rate > 0 ? Math.min(n, Math.floor(((performance.now() - t0) / 1000) * rate) + 1) : n;
        while (inProgress < concurrency && started < allowed) {
          inProgress++;
          this.openClient(started++, settle);
        }
        if (rate > 0 && started < n && inProgress < concurrency && !timer) {
          timer = setTimeout(() => {
            timer = null;
            startMore();
          }, 1000 / rate);
        }
      };
      if (n <= 0) finish();
      else startMore();
    });
  }

  private openClient(i: number, settle: (ok: boolean, err?: Error) => void): void {
    if (this.opts.transport === 'websocket') return this.openWebSocketClient(i, settle);
    const c: Client = {
      i,
      socket: null,
      live: false,
      ready: false,
      carry: null,
      carryLen: 0,
      skipping: false,
    };
    this.clients[i] = c;
    let settled = false;
    const socket = net.connect({
      host: this.opts.host,
      port: this.opts.port,
      noDelay: true,
      onread: {
        buffer: this.readBuf,
        callback: (nread: number, buf: Uint8Array) => {
          if (nread > 0) this.onRead(c, nread, buf as Buffer);
          return true;
        },
      },
    });
    c.socket = socket;
    socket.on('connect', () => {
      c.live = true;
      this.liveCount++;
      settled = true;
      settle(true);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!settled) {
        settled = true;
        settle(false, err);
      } else if (!this.firstError) this.firstError = `client ${i}: ${err.code ?? err.message}`;
    });
    socket.on('close', () => {
      this.lost(c);
      if (!settled) {
        settled = true;
        settle(false, new Error('closed before connecting'));
      }
    });
  }

  /** A client whose connection closed, over TCP or WebSocket: no longer counted as live or ready. */
  private lost(c: Client): void {
    if (!c.live) return;
    c.live = false;
    this.liveCount--;
    if (c.ready) {
      c.ready = false;
      this.readyCount--;
    }
    this.disconnects++;
    if (!this.firstError) this.firstError = `client ${c.i}: hub closed the connection`;
  }

  /**
   * A client over WebSocket (`ws`, as the hub's tests use it): each message it gets is read as
   * one line, and each line it writes goes as one text message, so the receive and send paths
   * are the TCP ones.
   */
  private openWebSocketClient(i: number, settle: (ok: boolean, err?: Error) => void): void {
    const c: Client = {
      i,
      socket: null,
      live: false,
      ready: false,
      carry: null,
      carryLen: 0,
      skipping: false,
    };
    this.clients[i] = c;
    let settled = false;
    const ws = new WebSocket(`ws://${this.opts.host}:${this.opts.port}/ws`, { perMessageDeflate: false });
    c.socket = new WsClientSocket(ws) as unknown as ClientSocket;
    ws.on('open', () => {
      c.live = true;
      this.liveCount++;
      settled = true;
      settle(true);
    });
    ws.on('message', (data: Buffer) => {
      if (data.length >= READ_BUF) return void this.malformed++;
      data.copy(this.readBuf, 0);
      this.readBuf[data.length] = LF;
      this.onRead(c, data.length + 1, this.readBuf);
    });
    ws.on('error', (err: Error) => {
      if (!settled) {
        settled = true;
        settle(false, err);
      } else if (!this.firstError) this.firstError = `client ${i}: ${err.message}`;
    });
    ws.on('close', () => {
      this.lost(c);
      if (!settled) {
        settled = true;
        settle(false, new Error('closed before connecting'));
      }
    });
  }

  // ------------------------------------------------------------------ receive path

  private onRead(c: Client, n: number, buf: Buffer): void {
    const now = this.now();
    // sentinel: indexOf cannot run into stale bytes of an earlier read (a hit at n = no LF)
    if (n < buf.length) buf[n] = LF;
    let pos = 0;
    if (c.skipping || c.carryLen > 0) {
      const nl = buf.indexOf(LF, 0);
      if (nl < 0 || nl >= n) {
        this.appendCarry(c, buf, 0, n);
        return;
      }
      if (!c.skipping) this.appendCarry(c, buf, 0, nl);
      if (c.skipping) {
        c.skipping = false;
        this.malformed++;
      } else if (c.carry) this.onLine(c, c.carry, 0, c.carryLen, now);
      c.carryLen = 0;
      pos = nl + 1;
    }
    const tc = this.tokenChars;
    const codec = this.codec;
    const m = this.parsed;
    while (pos < n) {
      const end = pos + tc;
      if (end < n && buf[end] === LF && codec.parse(buf, pos, m)) {
        this.onToken(c, m, now);
        pos = end + 1;
        continue;
      }
      const nl = buf.indexOf(LF, pos);
      if (nl < 0 || nl >= n) {
        this.appendCarry(c, buf, pos, n);
        break;
      }
      this.onLine(c, buf, pos, nl, now);
      pos = nl + 1;
    }
    const a = this.acct;
    if (a !== null && this.maxMode && a.windowMoved && !this.pumpScheduled && this.sending) {
      this.pumpScheduled = true;
      setImmediate(this.pump);
    }
  }

  private appendCarry(c: Client, buf: Buffer, start: number, end: number): void {
    if (c.skipping) return;
    const len = end - start;
    if (c.carry === null) c.carry = Buffer.allocUnsafe(Math.max(4096, 2 * this.lineBytes));
    if (c.carryLen + len > c.carry.length) {
      c.skipping = true; // an overlong line: discard it up to its LF
      c.carryLen = 0;
      return;
    }
    buf.copy(c.carry, c.carryLen, start, end);
    c.carryLen += len;
  }

  private onLine(c: Client, b: Buffer, start: number, end: number, now: number): void {
    const len = end - start;
    if (len === 0) return;
    if (b[start] === HASH) this.notices++;
    else if (len === this.tokenChars && this.codec.parse(b, start, this.parsed))
      this.onToken(c, this.parsed, now);
    else this.malformed++;
  }

  private onToken(c: Client, m: ParsedToken, now: number): void {
    if (m.run !== this.runId) {
      this.foreign++;
      return;
    }
    if (m.sender === PROBE_SENDER) {
      if (Math.floor(m.seq / TWO_24) === c.i) this.echoed++;
      else if (!c.ready && c.live) {
        c.ready = true;
        this.readyCount++;
      }
      return;
    }
    const a = this.acct;
    if (a === null) this.foreign++;
    else a.onDelivery(c.i, m.sender, m.seq, m.tact, m.tsched, now);
  }

  // ------------------------------------------------------------------ barrier

  /** Two clients send probe lines every 200 ms until every live client has received one. */
  async barrier(timeoutS = 10): Promise<BarrierStats> {
    this.runId = (this.runId + 1) & 0xffffff;
    this.acct = null;
    const t0 = performance.now();
    let round = 0;
    while (this.readyCount < this.liveCount && performance.now() - t0 < timeoutS * 1000) {
      let sent = 0;
      for (const c of this.clients) {
        if (sent >= 2) break;
        if (!c?.live || !c.socket) continue;
        const t = this.now();
        c.socket.write(this.codec.line(this.runId, PROBE_SENDER, c.i * TWO_24 + (round & 0xffffff), t, t));
        sent++;
      }
      round++;
      if (sent < 2) break; // nobody to relay to
      const until = performance.now() + 200;
      while (performance.now() < until && this.readyCount < this.liveCount) await sleep(10);
    }
    return { live: this.liveCount, ready: this.readyCount, seconds: (performance.now() - t0) / 1000 };
  }

  // ------------------------------------------------------------------ run

  private pump = (): void => {
    this.pumpScheduled = false;
    const a = this.acct;
    if (a === null || !this.sending) return;
    const now = this.now();
    if (now >= a.measEnd) return;
    a.windowMoved = false;
    const L = this.lineBytes;
    for (let s = 0; s < a.senders; s++) {
      const c = this.clients[s];
      if (!c?.live || !c.socket) continue;
      a.advance(s, now);
      if (c.socket.writableLength >= OUT_HIGH) {
        this.blocked++;
        continue;
      }
      const count = Math.min(BURST, a.window - a.inFlight(s));
      if (count <= 0) continue;
      const out = Buffer.allocUnsafe(count * L);
      for (let k = 0; k < count; k++)
        this.codec.write(out, k * L, this.runId, s, a.onSend(s, now, now), now, now);
      c.socket.write(out);
    }
    if (a.windowMoved && !this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(this.pump);
    }
  };

  async run(o: RunOptions): Promise<RunResult> {
    const S = Math.max(1, Math.min(o.senders, this.clients.length));
    const window = o.rate > 0 ? 0 : Math.max(1, o.window ?? 1000);
    this.runId = (this.runId + 1) & 0xffffff;
    this.maxMode = o.rate <= 0;
    const n = this.clients.length;
    const ready = new Uint8Array(n);
    let readyN = 0;
    for (let i = 0; i < n; i++) {
      const c = this.clients[i];
      if (c?.live && c.ready) {
        ready[i] = 1;
        readyN++;
      }
    }
    const liveAtStart = this.liveCount;
    const t0 = this.now();
    const measStart = Math.floor(t0 + o.warmupS * 1e9);
    const measEnd = Math.floor(measStart + o.durationS * 1e9);
    const a = new RunAccounting({
      clients: n,
      senders: S,
      measStart,
      measEnd,
      ready,
      window,
      windowTimeoutNs: (o.windowTimeoutS ?? 2) * 1e9,
    });
    this.acct = a;
    const base = {
      notices: this.notices,
      malformed: this.malformed,
      foreign: this.foreign,
      echoed: this.echoed,
      disconnects: this.disconnects,
      blocked: this.blocked,
    };
    const firstErrorBefore = this.firstError;
    const hubPid = o.hubPid;
    const peakIsExact = hubPid !== undefined && resetPeakRss(hubPid);
    const hub0 = hubPid !== undefined ? readProc(hubPid) : null;
    let hubRssMax = hub0?.rssBytes ?? 0;
    const cpu0 = process.cpuUsage();
    const machine0 = readCpuTimes();
    const elu0 = performance.eventLoopUtilization();
    let cpuRun: NodeJS.CpuUsage | null = null;
    let eluRun: ReturnType<typeof performance.eventLoopUtilization> | null = null;

    // ---- sending
    const period = o.rate > 0 ? (1e9 * S) / o.rate : 0;
    const L = this.lineBytes;
    this.sending = true;
    const timers: NodeJS.Timeout[] = [];
    const stopSending = () => {
      if (!this.sending) return;
      this.sending = false;
      cpuRun = process.cpuUsage(cpu0);
      eluRun = performance.eventLoopUtilization(elu0);
      for (const t of timers) clearInterval(t);
    };
    if (o.rate > 0) {
      const tick = () => {
        const now = this.now();
        for (let s = 0; s < S; s++) {
          const c = this.clients[s];
          if (!c?.live || !c.socket) continue;
          if (c.socket.writableLength >= OUT_HIGH) {
            this.blocked++;
            continue;
          }
          const j = a.seqNext[s]!;
          const ph = s / S;
          let count = 0;
          while (count < BURST) {
            const ts = Math.floor(t0 + (j + count + ph) * period);
            if (ts > now || ts >= measEnd) break;
            count++;
          }
          if (count === 0) continue;
          const out = Buffer.allocUnsafe(count * L);
          for (let k = 0; k < count; k++) {
            const ts = Math.floor(t0 + (j + k + ph) * period);
            this.codec.write(out, k * L, this.runId, s, a.onSend(s, ts, now), now, ts);
          }
          c.socket.write(out);
        }
        if (now >= measEnd) stopSending();
      };
      timers.push(setInterval(tick, o.tickMs ?? 1));
      tick();
    } else {
      for (let s = 0; s < S; s++) this.clients[s]?.socket?.on('drain', this.schedulePump);
      timers.push(setInterval(this.schedulePump, 5));
      this.pump();
    }

    // ---- progress, end of run, drain
    const progressMs = o.progressMs ?? 250;
    let lastT = performance.now();
    let lastDeliv = 0;
    let lastSent = 0;
    let lastHub = hub0;
    let lastCpu = process.cpuUsage();
    let drainStart = 0;
    let drainTimeout = false;
    let aborted: string | null = null;
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        const nowMs = performance.now();
        const now = this.now();
        const dt = (nowMs - lastT) / 1000;
        if (nowMs - lastT >= progressMs) {
          const hub = hubPid !== undefined ? readProc(hubPid) : null;
          if (hub && hub.rssBytes > hubRssMax) hubRssMax = hub.rssBytes;
          const cpu = process.cpuUsage();
          const p: Progress = {
            phase: now < measStart ? 'warmup' : now < measEnd ? 'measure' : 'drain',
            elapsedS: (now - t0) / 1e9,
            sentPerS: (a.sentTotal - lastSent) / dt,
            deliveriesPerS: (a.deliveriesTotal - lastDeliv) / dt,
            lost: 0,
            hubCpuUtil: hub && lastHub ? (hub.cpuSeconds - lastHub.cpuSeconds) / dt : null,
            hubRssBytes: hub ? hub.rssBytes : null,
            genCpuUtil: (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1e6 / dt,
          };
          lastT = nowMs;
          lastDeliv = a.deliveriesTotal;
          lastSent = a.sentTotal;
          lastHub = hub;
          lastCpu = cpu;
          o.onProgress?.(p);
          const why = o.abortCheck?.(p) ?? null;
          if (why) {
            aborted = why;
            stopSending();
            clearInterval(check);
            resolve();
            return;
          }
        }
        if (now < measEnd) return;
        stopSending();
        if (drainStart === 0) drainStart = now;
        const idleFrom = Math.max(a.lastDeliveryAt, drainStart);
        let finished = a.receivedMeasured >= a.expectedTotal() || this.liveCount === 0;
        if (!finished && now - idleFrom > (o.drainIdleS ?? 1) * 1e9) finished = true;
        if (!finished && now - drainStart > (o.drainMaxS ?? 5) * 1e9) {
          finished = true;
          drainTimeout = true;
        }
        if (finished) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    stopSending();
    for (let s = 0; s < S; s++) this.clients[s]?.socket?.off('drain', this.schedulePump);
    const endNs = this.now();
    const hub1 = hubPid !== undefined ? readProc(hubPid) : null;
    const machine1 = readCpuTimes();
    const genAll = process.cpuUsage(cpu0);
    this.acct = null;

    // ---- report
    let unsent = 0;
    if (o.rate > 0 && aborted === null) {
      for (let s = 0; s < S; s++) {
        if (!this.clients[s]) continue;
        const x = (measEnd - t0) / period - s / S;
        const due = x > 0 ? Math.ceil(x) : 0;
        if (due > a.seqNext[s]!) unsent += due - a.seqNext[s]!;
      }
    }
    const tot = a.totals(o.durationS);
    const runWallS = (Math.min(endNs, measEnd) - t0) / 1e9;
    const cpu = cpuRun ?? process.cpuUsage(cpu0);
    const elu = eluRun ?? performance.eventLoopUtilization(elu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const cpuUtil = runWallS > 0 ? cpuS / runWallS : 0;
    const lagP99 = o.rate > 0 ? a.lag.percentile(0.99) / 1e6 : 0;
    const lagMax = o.rate > 0 && a.lag.count ? a.lag.max / 1e6 : 0;
    const sendBlocked = this.blocked - base.blocked;
    const reasons: string[] = [];
    if (cpuUtil >= 0.9 || elu.utilization >= 0.9)
      reasons.push(
        `generator saturated (cpu ${cpuUtil.toFixed(2)}, event loop ${elu.utilization.toFixed(2)})`,
      );
    if (o.rate > 0 && sendBlocked === 0 && (lagP99 > 10 || unsent > 0.01 * tot.sent))
      reasons.push(`generator fell behind schedule (lag p99 ${lagP99.toFixed(1)} ms, unsent ${unsent})`);
    const hubWall = (endNs - t0) / 1e9;
    const hub =
      hub0 && hub1
        ? {
            cpuS: hub1.cpuSeconds - hub0.cpuSeconds,
            cpuUtil: hubWall > 0 ? (hub1.cpuSeconds - hub0.cpuSeconds) / hubWall : 0,
            peakRssBytes: peakIsExact ? hub1.hwmBytes : Math.max(hubRssMax, hub1.rssBytes),
            rssBytes: hub1.rssBytes,
            peakIsExact,
          }
        : null;
    let machine: RunResult['machine'] = null;
    if (machine0 && machine1 && hubWall > 0) {
      const others =
        machine1.busy - machine0.busy - (genAll.user + genAll.system) / 1e6 - (hub ? hub.cpuS : 0);
      const other = Math.max(0, others / hubWall);
      machine = {
        other,
        irq: (machine1.irq - machine0.irq) / hubWall,
        steal: (machine1.steal - machine0.steal) / hubWall,
        noisy: (hub !== null && other > 0.15) || (machine1.steal - machine0.steal) / hubWall > 0.1,
      };
      if (machine.noisy && reasons.length > 0)
        reasons.push(
          `the machine was busy with other work (${machine.other.toFixed(2)} CPU, steal ${machine.steal.toFixed(2)})`,
        );
    }
    if (o.rate <= 0 && reasons.length === 0 && hub && cpuUtil >= 0.75 && cpuUtil > hub.cpuUtil)
      reasons.push(
        `at max rate the generator was busier than the relay (cpu ${cpuUtil.toFixed(2)} vs ${hub.cpuUtil.toFixed(2)})`,
      );
    if (reasons.length > 0 && hub && hub.cpuUtil >= 0.9)
      reasons.push(`the relay is saturated too (cpu ${hub.cpuUtil.toFixed(2)}): both are at their limit`);
    return {
      runId: this.runId,
      clients: n,
      live: liveAtStart,
      ready: readyN,
      senders: S,
      rate: o.rate,
      window,
      lineBytes: L,
      warmupS: o.warmupS,
      durationS: o.durationS,
      offeredMsgPerS: o.rate > 0 ? o.rate : null,
      offeredDeliveriesPerS: o.rate > 0 ? o.rate * Math.max(0, readyN - 1) : null,
      sent: tot.sent,
      sentPerS: tot.sent / o.durationS,
      unsent,
      expected: tot.expected,
      received: tot.received,
      lost: tot.lost,
      deliveriesPerS: tot.deliveriesPerS,
      duplicated: tot.duplicated,
      reordered: tot.reordered,
      malformed: this.malformed - base.malformed,
      foreign: this.foreign - base.foreign + tot.foreign,
      echoed: this.echoed - base.echoed + tot.echoed,
      notices: this.notices - base.notices,
      windowTimeouts: tot.windowTimeouts,
      latencyMs: summary(a.latency),
      schedLatencyMs: summary(a.schedLatency),
      genLagP99Ms: lagP99,
      genLagMaxMs: lagMax,
      sendBlocked,
      disconnects: this.disconnects - base.disconnects,
      firstError: this.firstError !== firstErrorBefore ? this.firstError : '',
      drainS: drainStart > 0 ? (endNs - drainStart) / 1e9 : 0,
      drainTimeout,
      aborted,
      gen: { cpuS, cpuUtil, elu: elu.utilization, bottleneck: reasons.length ? reasons.join('; ') : null },
      hub,
      machine,
    };
  }

  private schedulePump = (): void => {
    if (this.pumpScheduled || !this.sending) return;
    this.pumpScheduled = true;
    setImmediate(this.pump);
  };

  /** Closes every client and waits (briefly) until their sockets are closed. */
  async close(): Promise<void> {
    this.sending = false;
    const closing: Promise<void>[] = [];
    for (const c of this.clients) {
      const s = c?.socket;
      if (!s || s.destroyed) continue;
      closing.push(new Promise((r) => s.once('close', () => r())));
      s.destroy();
    }
    await Promise.race([Promise.all(closing), sleep(2000)]);
  }
}
