import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions } from 'node:tls';
import { type AdmissionOptions, admissionGate } from '../actors/admissionGate.ts';
import { AdmitFileError, readAdmitFile } from '../crypto/admitList.ts';
import { readTlsFiles, tlsKeyWarning } from './tlsFiles.ts';
import { limitRawConnections } from './rawConnectionLimits.ts';
import { dropFailedHandshakes } from './tlsHandshakeErrors.ts';
import { EMPTY, interval, map, merge, mergeMap, startWith, Subject, tap } from 'rxjs';
import { AddressBuckets } from '../actors/addressBuckets.ts';
import { Backpressure } from '../actors/backpressure.ts';
import { FlushScheduler } from '../actors/flushScheduler.ts';
import { type HistoryOptions, historyOptionsOf } from '../actors/historyOptions.ts';
import { hubActor } from '../actors/hubActor.ts';
import type { HubEffect, HubEvent, LogRecord, PeerId } from '../streams/hubEvent.ts';
import { InputBudget } from '../actors/inputBudget.ts';
import { RosterMembers } from '../actors/rosterMembers.ts';
import { PauseReason, PeerActor, type PeerOptions } from '../actors/peerActor.ts';
import { effectiveLimits, type HubConfig, webOriginsOf } from '../config/hubConfig.ts';
import { summariseRepeats } from '../streams/summariseRepeats.ts';
import { HubStartError, listenError } from './hubStartError.ts';
import { logEffectRepeats } from './logRepeats.ts';
import { openHubRecorder } from '../recording/hubRecorder.ts';
import { recordedHubOf } from '../recording/recordedHub.ts';
import { withRecorder } from '../recording/withRecorder.ts';
import { serverConnections } from '../streams/serverConnections.ts';
import { readPage } from './webPage.ts';
import { ClusterError } from '../cluster/clusterError.ts';
import type { ClusterRoom } from '../cluster/clusterRoom.ts';
import { clusterServersOf } from '../config/hubConfig.ts';
import { notice } from '../protocol/notice.ts';
import { startWebServer, WEB_LIMITS, type WebServer } from './webServer.ts';

export interface RunningHub {
  readonly address: AddressInfo;
  /**
   * The web client's address (`http://127.0.0.1:10102/`, https with TLS), unless --no-web or
   * chunk framing.
   */
  readonly webUrl?: string;
  /** Rejects if the hub fails inside (a bug): it has then dropped everyone and stopped listening. */
  readonly failed: Promise<never>;
  /** Stops accepting, says `#bye <reason>` to everyone, waits for them to go (up to the grace period). */
  stop(reason?: string): Promise<void>;
  /** Drops every connection at once. */
  abort(): void;
}

/**
 * The hub's edges around its actor: a TCP server whose connections become peer actors, their
 * events merged into the hub actor, and the actor's effects applied to the peers.
 */
export async function startHub(settings: HubConfig, log: (record: LogRecord) => void): Promise<RunningHub> {
  const config = effectiveLimits(settings);
  // Files first: a bad certificate or admit file stops the start before anything listens.
  const tls =
    config.tlsCert !== undefined && config.tlsKey !== undefined
      ? readTlsFiles(config.tlsCert, config.tlsKey)
      : undefined;
  const admission = admissionOf(config);
  // The room's cluster before listening: a clustered hub that cannot reach NATS does not start.
  const cluster = await clusterOf(config, log);
  // Sockets keep Node's default high-water mark: it also bounds what a paused socket reads ahead
  // (OutboundQueue counts backed-up writes by its own mark, WRITE_HIGH_WATER_BYTES).
  // Half-open: a client's FIN does not end our side until flood control has let its last
  // frames through (PeerActor ends it).
  const server = tls === undefined ? createServer({ noDelay: true, allowHalfOpen: true }) : tlsServer(tls);
  try {
    await listen(server, config);
  } catch (error) {
    await cluster?.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  log({
    event: 'listening',
    host: address.address,
    port: address.port,
    framing: config.framing,
    ...(tls === undefined ? {} : { tls: 'on' }),
    ...(admission === undefined
      ? {}
      : { admit: config.admit!, keys: admission.keys, name: admission.options.hubName }),
  });
  if (config.unlimited) log({ event: 'unlimited', detail: 'flood control and connection limits are off' });
  const keyWarning = config.tlsKey === undefined ? undefined : tlsKeyWarning(config.tlsKey);
  if (keyWarning !== undefined) log({ event: 'warning', detail: keyWarning });

  const lineFraming = config.framing === 'line';
  /** What the edges log (refused connections, accept failures): counted like the actor's logs. */
  const edgeLogs = new Subject<LogRecord>();
  let web: WebServer | undefined;
  try {
    web =
      lineFraming && config.web
        ? await webServerOf(config, address.port, log, (record) => edgeLogs.next(record), tls)
        : undefined;
  } catch (error) {
    server.close();
    await cluster?.close();
    throw error;
  }
  const keepalive =
    lineFraming && config.idleSeconds > 0
      ? { idleMs: config.idleSeconds * 1000, pongTimeoutMs: config.pongTimeoutSeconds * 1000 }
      : undefined;
  // Line framing only: the seed's clients cannot ask for history (docs/protocol.md).
  const history = lineFraming ? historyOf(config, cluster?.epoch) : undefined;
  const ticks = tickMsOf(
    keepalive,
    history !== undefined && history.limits.maxAgeMs > 0,
    admission?.options.timeoutMs,
  );
  const closeListeners = () => {
    server.close();
    web?.close();
  };
  const leaveCluster = () => void cluster?.close();
  const recording =
    config.record === undefined
      ? undefined
      : openHubRecorder(config.record, recordedHubOf(config, keepalive, history?.epoch), log);
  if (recording?.ok === false) {
    closeListeners();
    throw new HubStartError(recording.error.code, recording.error.message);
  }
  const recorder = recording?.recorder;
  const scheduler = new FlushScheduler();
  const peers = new Map<PeerId, PeerActor>();
  /** Connections per address key (an IPv4 address, or an IPv6 /64). */
  const perAddress = new Map<string, number>();
  const control = new Subject<HubEvent>();
  const backpressure = new Backpressure<PeerActor>(peers);
  const rosterPeers = new RosterMembers(peers);
  // Clustered, peer ids are unique in the room: this hub's number in the high digits.
  let nextId = cluster?.firstPeerId ?? 1;
  let onEmpty: (() => void) | undefined;
  /** Once stopping, closing peers get the whole grace period to take their queues, not the linger. */
  let closingLingerMs: number | undefined;

  const admit = (peer: PeerActor): string | undefined => {
    if (peers.size >= config.maxConnections) return 'hub-full';
    if ((perAddress.get(peer.addressKey) ?? 0) >= config.maxConnectionsPerAddress)
      return 'too-many-connections';
    return undefined;
  };
  const forget = (peer: PeerActor) => {
    peers.delete(peer.id);
    backpressure.forget(peer);
    const left = (perAddress.get(peer.addressKey) ?? 1) - 1;
    if (left > 0) perAddress.set(peer.addressKey, left);
    else perAddress.delete(peer.addressKey);
    if (peers.size === 0) onEmpty?.();
  };

  const peerOptions: PeerOptions = {
    ...config,
    notices: lineFraming,
    scheduler,
    addressBuckets:
      config.floodRatePerAddress > 0
        ? new AddressBuckets(config.floodRatePerAddress, config.floodBurstPerAddress)
        : undefined,
    inputBudget: new InputBudget<PeerActor>(config.maxInputBytes),
    backpressure,
    onGone: forget,
  };
  // A client that fails its TLS handshake (plain TCP to a TLS hub, a CA it does not trust, no
  // handshake within its timeout) never becomes a peer: one line, counted per address like
  // refused connections, and dropped.
  dropFailedHandshakes(server, (record) => edgeLogs.next(record));
  if (tls !== undefined) limitRawConnections(server, config, (record) => edgeLogs.next(record));
  const connections = serverConnections(
    server,
    (error: NodeJS.ErrnoException) =>
      edgeLogs.next({ event: 'accept-error', code: error.code ?? 'error', detail: error.message }),
    tls === undefined ? 'connection' : 'secureConnection',
  ).pipe(map((socket) => new PeerActor(nextId++, socket, peerOptions)));
  // Browsers are peers like any other: the same admission, limits, queues and actor.
  const webConnections = (web?.connections ?? EMPTY).pipe(
    map((transport) => new PeerActor(nextId++, transport, peerOptions)),
  );

  const events = merge(
    control,
    ticks === undefined
      ? []
      : // A tick at once: frames relayed before the first interval are stamped with the hub's
        // clock, not 0 (which a short --history-seconds would forget at the first tick).
        interval(ticks).pipe(
          startWith(0),
          map((): HubEvent => ({ type: 'tick', now: performance.now() })),
        ),
    // After the first tick, so that the backlog it starts with is stamped with the hub's clock.
    cluster?.events ?? EMPTY,
    merge(connections, webConnections).pipe(
      mergeMap((peer) => {
        const refusal = admit(peer);
        if (refusal !== undefined) {
          edgeLogs.next({ event: 'refused', reason: refusal, remote: peer.addressKey, online: peers.size });
          peer.close(refusal);
          return [];
        }
        peers.set(peer.id, peer);
        perAddress.set(peer.addressKey, (perAddress.get(peer.addressKey) ?? 0) + 1);
        if (backpressure.active) peer.pauseReading(PauseReason.Backpressure, true);
        return peer.events;
      }),
    ),
  );

  const apply = (effect: HubEffect): void => {
    switch (effect.type) {
      case 'deliver': {
        const { data, to } = effect;
        to.forEachMember(rosterPeers.of(to.roster), (peer) => peer.send(data));
        return;
      }
      case 'notice':
        peers.get(effect.peer)?.notice(effect.text);
        return;
      case 'close':
        peers.get(effect.peer)?.close(effect.reason, closingLingerMs);
        return;
      case 'log':
        log(effect.record);
        return;
      case 'publish': {
        const refused = cluster?.publish(effect.peer, effect.run) ?? 0;
        if (refused > 0)
          peers
            .get(effect.peer)
            ?.notice(
              notice.error(
                'cluster-unavailable',
                `the room's cluster has not taken this hub's last ${config.clusterMaxUnackedBytes} bytes; ${refused} line(s) refused, send them again later`,
              ),
            );
        return;
      }
      case 'presence':
        cluster?.presence(effect);
        return;
    }
  };
  // The recording is taken at the room, behind the gate: it holds the members, and replays
  // without the admission keys (an outsider turned away is in the log only).
  const actor = admissionGate(
    admission?.options,
    withRecorder(
      recorder,
      hubActor({
        notices: lineFraming,
        keepalive,
        presenceLimit: config.presenceLimit,
        history,
        cluster: cluster !== undefined,
      }),
    ),
  );
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {}); // a caller that does not watch it still has the log line
  const effects = merge(
    events.pipe(actor),
    edgeLogs.pipe(map((record): HubEffect => ({ type: 'log', record }))),
  );
  // What an outsider can repeat at will is counted, not logged line by line.
  const subscription = effects.pipe(summariseRepeats(logEffectRepeats), tap(apply)).subscribe({
    // A hub that cannot relay must not look alive: drop everyone, stop listening, and say so.
    error: (error: unknown) => {
      log({ event: 'internal-error', detail: String(error) });
      abort();
      fail(error);
    },
  });

  let stopping: Promise<void> | undefined;
  const abort = () => {
    for (const peer of peers.values()) peer.destroy();
    subscription.unsubscribe();
    closeListeners();
    leaveCluster();
  };
  const stop = (reason = 'shutdown') => {
    stopping ??= new Promise<void>((resolve) => {
      closeListeners();
      // Past the grace period, so that the deadline below, not each peer's own timer, ends it.
      closingLingerMs = config.shutdownGraceMs + 1_000;
      control.next({ type: 'shutdown', reason });
      const deadline = setTimeout(() => {
        log({ event: 'shutdown-timeout', remaining: peers.size });
        abort();
        resolve();
      }, config.shutdownGraceMs);
      onEmpty = () => {
        clearTimeout(deadline);
        subscription.unsubscribe();
        void (cluster?.close() ?? Promise.resolve()).then(resolve, resolve);
      };
      if (peers.size === 0) onEmpty();
    });
    return stopping;
  };
  const webUrl = web === undefined ? {} : { webUrl: web.url };
  if (recorder === undefined) return { address, ...webUrl, failed, stop, abort };
  return {
    address,
    ...webUrl,
    failed,
    stop: (reason) => stop(reason).then(() => recorder.close()),
    abort,
  };
}

/**
 * Keepalive and the admission timeout are judged a few times per their shortest period, and
 * never more than every 50 ms; history's age limit once a second is plenty. Undefined: nothing
 * needs the time.
 */
function tickMsOf(
  keepalive: { idleMs: number; pongTimeoutMs: number } | undefined,
  historyAges: boolean,
  admitTimeoutMs?: number,
): number | undefined {
  const periods = [
    ...(keepalive === undefined ? [] : [keepalive.idleMs, keepalive.pongTimeoutMs]),
    ...(admitTimeoutMs === undefined ? [] : [admitTimeoutMs]),
  ];
  if (periods.length > 0) return Math.max(50, Math.min(5_000, Math.min(...periods) / 4));
  return historyAges ? 1_000 : undefined;
}

/** How long a client may take over its TLS handshake: connections still in it hold a socket. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

function tlsServer(options: SecureContextOptions): Server {
  return createTlsServer({
    ...options,
    noDelay: true,
    allowHalfOpen: true,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
    minVersion: 'TLSv1.2',
  });
}

/** The admission gate's settings, with --admit; the admit file is read (and checked) here. */
function admissionOf(config: HubConfig): { options: AdmissionOptions; keys: number } | undefined {
  if (config.admit === undefined || config.hubName === undefined) return undefined;
  let admit: ReturnType<typeof readAdmitFile>;
  try {
    admit = readAdmitFile(config.admit);
  } catch (error) {
    if (error instanceof AdmitFileError) throw new HubStartError('admit-file', error.message);
    throw error;
  }
  return {
    keys: admit.size,
    options: {
      admit,
      hubName: config.hubName,
      timeoutMs: config.admitTimeoutSeconds * 1000,
      nonce: () => randomBytes(32).toString('base64url'),
    },
  };
}

/**
 * The history settings of the hub actor. Alone, a new epoch each start: a client that resumes
 * with another one learns that the hub has restarted and what it had is gone. Clustered, the
 * room's stream names the epoch: every hub of the room has the same history.
 */
function historyOf(config: HubConfig, clusterEpoch: string | undefined): HistoryOptions {
  return historyOptionsOf(
    { frames: config.historyFrames, seconds: config.historySeconds, bytes: config.historyBytes },
    clusterEpoch ?? randomBytes(8).toString('base64url'),
    config.maxQueueBytes,
  );
}

/** With --cluster: the room joined, its recent frames read; or a start error saying why not. */
async function clusterOf(
  config: HubConfig,
  log: (record: LogRecord) => void,
): Promise<ClusterRoom | undefined> {
  if (config.cluster === undefined) return undefined;
  // Loaded only with --cluster: a lone hub does not load the NATS client at all.
  const { joinCluster } = await import('../cluster/clusterRoom.ts');
  try {
    return await joinCluster(
      {
        servers: clusterServersOf(config.cluster) ?? [],
        room: config.room,
        limits: { frames: config.historyFrames, seconds: config.historySeconds, bytes: config.historyBytes },
        maxUnackedBytes: config.clusterMaxUnackedBytes,
        maxFrameBytes: config.maxFrameBytes,
        replicas: config.clusterReplicas,
      },
      log,
    );
  } catch (error) {
    if (error instanceof ClusterError) throw new HubStartError('cluster', error.message);
    throw error;
  }
}

function listen(server: Server, config: HubConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, config.host, config.port));
    server.once('error', onError);
    server.listen({ host: config.host, port: config.port, backlog: config.backlog }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * The web listener: on its own port (--port + 1 by default, a free one beside a free TCP port),
 * its frames limited as the TCP port's are, with TLS when the TCP port has it. A page that is
 * not built is said once; the hub still relays for TCP and WebSocket clients.
 */
async function webServerOf(
  config: HubConfig,
  tcpPort: number,
  log: (record: LogRecord) => void,
  /** For what an outsider can repeat (refusals, failed TLS handshakes): counted, not line by line. */
  edgeLog: (record: LogRecord) => void,
  tls: SecureContextOptions | undefined,
): Promise<WebServer> {
  const page = readPage();
  if (page === undefined) log({ event: 'web-unbuilt', detail: 'dist/web is missing: run npm run build' });
  const web = await startWebServer({
    host: config.webHost,
    port: config.webPort ?? (config.port === 0 ? 0 : tcpPort + 1),
    maxFrameBytes: config.maxFrameBytes,
    extraOrigins: webOriginsOf(config.webOrigins) ?? [],
    ...(config.unlimited ? { maxPendingPerAddress: WEB_LIMITS.maxPendingConnections } : {}),
    ...(page === undefined ? {} : { page }),
    // The same certificate as the TCP port's: one name, one certificate, https and wss.
    ...(tls === undefined ? {} : { tls }),
    log: edgeLog,
  });
  log({ event: 'web-listening', url: web.url });
  return web;
}
