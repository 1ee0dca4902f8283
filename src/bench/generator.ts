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
 * Send path: paced (pacedSending.ts) or max rate (maxRateSending.ts). A sender whose socket has
 * more than 256 KiB unsent is skipped (the hub is pushing back) and that is counted, so
 * backpressure is told apart from a slow generator.
 *
 * A run's parts: runPlan.ts (its fixed facts), the sender, runWatch.ts (progress, abort, drain),
 * resourceMeter.ts (CPU and memory) and runReport.ts (the result).
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { RunAccounting } from './accounting.ts';
import { type ConnectStats, connectClients, type Settle } from './connectClients.ts';
import { type Client, type ClientSocket, newClient, WsClientSocket } from './loadClient.ts';
import { MaxRateSender } from './maxRateSending.ts';
import { PacedSender, unsentLines } from './pacedSending.ts';
import { ResourceMeter } from './resourceMeter.ts';
import { planRun } from './runPlan.ts';
import { runResult } from './runReport.ts';
import type { LineCounters, RunOptions, RunResult } from './runTypes.ts';
import { type RunEnd, watchRun } from './runWatch.ts';
import type { LineSender, SendContext } from './sendContext.ts';
import { emptyParsed, LF, type ParsedToken, PROBE_SENDER, TokenCodec } from './token.ts';

const HASH = 0x23;
const TWO_24 = 0x1000000;
const READ_BUF = 64 * 1024;

export interface SessionOptions {
  host: string;
  port: number;
  /**
   * The hubs of a cluster, one port each: client i connects to ports[i % ports.length] (instead
   * of `port`), so clients and senders are spread evenly over the hubs.
   */
  ports?: readonly number[];
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

export interface BarrierStats {
  live: number;
  ready: number;
  seconds: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class LoadSession implements LineCounters {
  readonly codec: TokenCodec;
  readonly clients: Client[] = [];
  readonly opts: SessionOptions;
  private readonly epochMs = performance.now();
  private readonly tokenChars: number;
  private readonly lineBytes: number;
  private readonly readBuf = Buffer.allocUnsafe(READ_BUF);
  private readonly parsed: ParsedToken = emptyParsed();
  private runId = 0;
  private accounting: RunAccounting | null = null;
  /** the running run's sender, told by the receive path when a window moved */
  private sender: LineSender | null = null;
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
    const limits = {
      clients: this.opts.clients,
      concurrency: Math.max(1, this.opts.connectConcurrency ?? 100),
      rate: this.opts.connectRate ?? 0,
      timeoutS: this.opts.connectTimeoutS ?? 30,
    };
    const open = (index: number, settle: Settle) =>
      this.opts.transport === 'websocket'
        ? this.openWebSocketClient(index, settle)
        : this.openClient(index, settle);
    // what has not connected by the end will not take part: do not leave it half-open
    const dropUnconnected = () => {
      for (const client of this.clients) {
        if (!client.live && client.socket) {
          client.socket.destroy();
          client.socket = null;
        }
      }
    };
    return connectClients(limits, open, dropUnconnected);
  }

  /** The port client `index` connects to: round-robin over the hubs of a cluster. */
  portOf(index: number): number {
    const ports = this.opts.ports;
    return ports && ports.length > 0 ? ports[index % ports.length]! : this.opts.port;
  }

  private openClient(index: number, settle: Settle): void {
    const client = newClient(index);
    this.clients[index] = client;
    let settled = false;
    const socket = net.connect({
      host: this.opts.host,
      port: this.portOf(index),
      noDelay: true,
      onread: {
        buffer: this.readBuf,
        callback: (nread: number, buf: Uint8Array) => {
          if (nread > 0) this.onRead(client, nread, buf as Buffer);
          return true;
        },
      },
    });
    client.socket = socket;
    socket.on('connect', () => {
      client.live = true;
      this.liveCount++;
      settled = true;
      settle(true);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!settled) {
        settled = true;
        settle(false, err);
      } else if (!this.firstError) this.firstError = `client ${index}: ${err.code ?? err.message}`;
    });
    socket.on('close', () => {
      this.lost(client);
      if (!settled) {
        settled = true;
        settle(false, new Error('closed before connecting'));
      }
    });
  }

  /** A client whose connection closed, over TCP or WebSocket: no longer counted as live or ready. */
  private lost(client: Client): void {
    if (!client.live) return;
    client.live = false;
    this.liveCount--;
    if (client.ready) {
      client.ready = false;
      this.readyCount--;
    }
    this.disconnects++;
    if (!this.firstError) this.firstError = `client ${client.index}: hub closed the connection`;
  }

  /**
   * A client over WebSocket (`ws`, as the hub's tests use it): each message it gets is read as
   * one line, and each line it writes goes as one text message, so the receive and send paths
   * are the TCP ones.
   */
  private openWebSocketClient(index: number, settle: Settle): void {
    const client = newClient(index);
    this.clients[index] = client;
    let settled = false;
    const ws = new WebSocket(`ws://${this.opts.host}:${this.portOf(index)}/ws`, { perMessageDeflate: false });
    client.socket = new WsClientSocket(ws) as unknown as ClientSocket;
    ws.on('open', () => {
      client.live = true;
      this.liveCount++;
      settled = true;
      settle(true);
    });
    ws.on('message', (data: Buffer) => {
      if (data.length >= READ_BUF) return void this.malformed++;
      data.copy(this.readBuf, 0);
      this.readBuf[data.length] = LF;
      this.onRead(client, data.length + 1, this.readBuf);
    });
    ws.on('error', (err: Error) => {
      if (!settled) {
        settled = true;
        settle(false, err);
      } else if (!this.firstError) this.firstError = `client ${index}: ${err.message}`;
    });
    ws.on('close', () => {
      this.lost(client);
      if (!settled) {
        settled = true;
        settle(false, new Error('closed before connecting'));
      }
    });
  }

  // ------------------------------------------------------------------ receive path

  private onRead(client: Client, nread: number, buf: Buffer): void {
    const now = this.now();
    // sentinel: indexOf cannot run into stale bytes of an earlier read (a hit at nread = no LF)
    if (nread < buf.length) buf[nread] = LF;
    let pos = 0;
    if (client.skipping || client.carryLen > 0) {
      const nl = buf.indexOf(LF, 0);
      if (nl < 0 || nl >= nread) {
        this.appendCarry(client, buf, 0, nread);
        return;
      }
      if (!client.skipping) this.appendCarry(client, buf, 0, nl);
      if (client.skipping) {
        client.skipping = false;
        this.malformed++;
      } else if (client.carry) this.onLine(client, client.carry, 0, client.carryLen, now);
      client.carryLen = 0;
      pos = nl + 1;
    }
    const tokenChars = this.tokenChars;
    const codec = this.codec;
    const parsed = this.parsed;
    while (pos < nread) {
      const end = pos + tokenChars;
      if (end < nread && buf[end] === LF && codec.parse(buf, pos, parsed)) {
        this.onToken(client, parsed, now);
        pos = end + 1;
        continue;
      }
      const nl = buf.indexOf(LF, pos);
      if (nl < 0 || nl >= nread) {
        this.appendCarry(client, buf, pos, nread);
        break;
      }
      this.onLine(client, buf, pos, nl, now);
      pos = nl + 1;
    }
    this.sender?.onWindowMoved();
  }

  private appendCarry(client: Client, buf: Buffer, start: number, end: number): void {
    if (client.skipping) return;
    const len = end - start;
    if (client.carry === null) client.carry = Buffer.allocUnsafe(Math.max(4096, 2 * this.lineBytes));
    if (client.carryLen + len > client.carry.length) {
      client.skipping = true; // an overlong line: discard it up to its LF
      client.carryLen = 0;
      return;
    }
    buf.copy(client.carry, client.carryLen, start, end);
    client.carryLen += len;
  }

  private onLine(client: Client, buf: Buffer, start: number, end: number, now: number): void {
    const len = end - start;
    if (len === 0) return;
    if (buf[start] === HASH) this.notices++;
    else if (len === this.tokenChars && this.codec.parse(buf, start, this.parsed))
      this.onToken(client, this.parsed, now);
    else this.malformed++;
  }

  private onToken(client: Client, token: ParsedToken, now: number): void {
    if (token.run !== this.runId) {
      this.foreign++;
      return;
    }
    if (token.sender === PROBE_SENDER) {
      if (Math.floor(token.seq / TWO_24) === client.index) this.echoed++;
      else if (!client.ready && client.live) {
        client.ready = true;
        this.readyCount++;
      }
      return;
    }
    const accounting = this.accounting;
    if (accounting === null) this.foreign++;
    else accounting.onDelivery(client.index, token.sender, token.seq, token.tact, token.tsched, now);
  }

  // ------------------------------------------------------------------ barrier

  /** Two clients send probe lines every 200 ms until every live client has received one. */
  async barrier(timeoutS = 10): Promise<BarrierStats> {
    this.runId = (this.runId + 1) & 0xffffff;
    this.accounting = null;
    const startMs = performance.now();
    let round = 0;
    while (this.readyCount < this.liveCount && performance.now() - startMs < timeoutS * 1000) {
      let sent = 0;
      for (const client of this.clients) {
        if (sent >= 2) break;
        if (!client?.live || !client.socket) continue;
        const sentAt = this.now();
        const seq = client.index * TWO_24 + (round & 0xffffff);
        client.socket.write(this.codec.line(this.runId, PROBE_SENDER, seq, sentAt, sentAt));
        sent++;
      }
      round++;
      if (sent < 2) break; // nobody to relay to
      const until = performance.now() + 200;
      while (performance.now() < until && this.readyCount < this.liveCount) await sleep(10);
    }
    return { live: this.liveCount, ready: this.readyCount, seconds: (performance.now() - startMs) / 1000 };
  }

  // ------------------------------------------------------------------ run

  /** One run: warm-up, measured window and drain, with a run id of its own. */
  async run(options: RunOptions): Promise<RunResult> {
    this.runId = (this.runId + 1) & 0xffffff;
    const plan = planRun(options, this.clients, this.liveCount, this.now());
    const accounting = new RunAccounting({
      clients: this.clients.length,
      senders: plan.senders,
      measStart: plan.measStartNs,
      measEnd: plan.measEndNs,
      ready: plan.ready,
      window: plan.window,
      windowTimeoutNs: (options.windowTimeoutS ?? 2) * 1e9,
    });
    this.accounting = accounting;
    const countersBefore = this.counters();
    const meter = new ResourceMeter(
      options.relayParts ?? (options.hubPid !== undefined ? [{ label: 'hub', pid: options.hubPid }] : []),
    );
    const sendContext: SendContext = {
      clients: this.clients,
      codec: this.codec,
      runId: this.runId,
      lineBytes: this.lineBytes,
      accounting,
      now: () => this.now(),
      onBlocked: () => void this.blocked++,
    };
    let sending = true;
    const stopSending = () => {
      if (!sending) return;
      sending = false;
      meter.sendingStopped();
      sender.stop();
    };
    const sender: LineSender = plan.paced
      ? new PacedSender(sendContext, plan, options.tickMs ?? 1, stopSending)
      : new MaxRateSender(sendContext);
    this.sender = sender;
    let end: RunEnd;
    try {
      sender.start();
      end = await watchRun({
        plan,
        options,
        accounting,
        meter,
        now: () => this.now(),
        liveCount: () => this.liveCount,
        stopSending,
      });
    } finally {
      stopSending();
      this.sender = null;
      this.accounting = null;
    }
    const endNs = this.now();
    meter.runEnded();
    const unsent =
      plan.paced && end.aborted === null ? unsentLines(plan, accounting.seqNext, this.clients) : 0;
    return runResult({
      runId: this.runId,
      clients: this.clients.length,
      lineBytes: this.lineBytes,
      plan,
      options,
      accounting,
      end,
      endNs,
      unsent,
      // the generator's share ends with its sending; the hub's takes in the drain
      usage: meter.usage(
        (Math.min(endNs, plan.measEndNs) - plan.startNs) / 1e9,
        (endNs - plan.startNs) / 1e9,
      ),
      countersBefore,
      countersAfter: this.counters(),
    });
  }

  private counters(): LineCounters {
    const { notices, malformed, foreign, echoed, disconnects, blocked, firstError } = this;
    return { notices, malformed, foreign, echoed, disconnects, blocked, firstError };
  }

  /** Closes every client and waits (briefly) until their sockets are closed. */
  async close(): Promise<void> {
    this.sender?.stop();
    const closing: Promise<void>[] = [];
    for (const client of this.clients) {
      const socket = client?.socket;
      if (!socket || socket.destroyed) continue;
      closing.push(new Promise((resolve) => socket.once('close', () => resolve())));
      socket.destroy();
    }
    await Promise.race([Promise.all(closing), sleep(2000)]);
  }
}
