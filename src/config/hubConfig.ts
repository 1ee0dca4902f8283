import { z } from 'zod';
import { HUB_NAME_PATTERN } from '../protocol/admission.ts';
import { QUEUE_HARD_LIMIT_FACTOR } from './queueLimits.ts';

/** The hub's limits, each a named default, chosen on purpose (see the README's limits table). */
export const HUB_DEFAULTS = {
  host: '127.0.0.1',
  port: 10101,
  /** Bytes before the LF; a Fernet token of 64 KiB carries about 48 KB of text. */
  maxFrameBytes: 64 * 1024,
  /** Per client, like Centrifugo's and InspIRCd's sendq; past it the client is behind. */
  maxQueueBytes: 1024 * 1024,
  maxConnections: 10_000,
  /** Per remote address; enough for the local benchmarks' 1,000 clients. */
  maxConnectionsPerAddress: 1_000,
  /** Frames per second per client before its reads are paused (token bucket); 0 = off. */
  floodRate: 50,
  floodBurst: 200,
  /**
   * Per remote address (an IPv4 address or an IPv6 /64), shared by its connections: opening more
   * connections buys no more frames. Ten people behind one NAT, each at the per-client limit.
   */
  floodRatePerAddress: 500,
  floodBurstPerAddress: 2_000,
  /**
   * Input held in all for unfinished frames and reads that flood control holds back. Each client
   * holds at most a frame and a read (about 128 KiB), but 10,000 of them would be 1.25 GiB.
   */
  maxInputBytes: 64 * 1024 * 1024,
  /** Past this many online, joins and leaves are no longer announced to everyone (N² notices). */
  presenceLimit: 1_000,
  /** ngIRCd's defaults: `#ping` after 120 s of silence, `#bye idle` 20 s later. */
  idleSeconds: 120,
  pongTimeoutSeconds: 20,
  backlog: 1024,
  shutdownGraceMs: 5_000,
  /**
   * The room's history (docs/protocol.md): the last 500 frames, none older than an hour, 16 MiB
   * at most. An hour stays well under the clients' default TTL of 24 h, past which they would
   * refuse what the hub sends them as too old.
   */
  historyFrames: 500,
  historySeconds: 3_600,
  historyBytes: 16 * 1024 * 1024,
  /** Seconds a connection gets to answer the admission challenge (a client answers in milliseconds). */
  admitTimeoutSeconds: 5,
  /** The web page and its WebSocket: on, on loopback like the TCP port, at --port + 1. */
  web: true,
  webHost: '127.0.0.1',
  /** The room a clustered hub serves (docs/protocol.md, "Cluster"). */
  room: 'lobby',
  /**
   * What a clustered hub holds of its clients' frames that NATS has not acknowledged yet (it is
   * away): 8 MiB, some 20,000 short lines, or a minute of a busy room. Past it, new frames are
   * refused with `#error cluster-unavailable`.
   */
  clusterMaxUnackedBytes: 8 * 1024 * 1024,
  /**
   * Copies JetStream keeps of the streams the hub makes: 1 keeps a room on one NATS server, which
   * the room then cannot do without; 3 on three servers lets the room outlive any one of them.
   */
  clusterReplicas: 1,
} as const;

/** A room's name: it is part of NATS subjects and of a JetStream stream's name. */
export const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The NATS servers of --cluster, or undefined if one is not a nats://host:port URL. */
export function clusterServersOf(text: string): string[] | undefined {
  const servers = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (servers.length === 0) return undefined;
  for (const server of servers) {
    if (!URL.canParse(server)) return undefined;
    const url = new URL(server);
    if (url.protocol !== 'nats:' || url.hostname === '' || url.pathname.replace(/^\/$/, '') !== '')
      return undefined;
  }
  return servers;
}

/** Clients refuse tokens older than their TTL, 24 h by default: history older is no use to them. */
export const MAX_HISTORY_SECONDS = 86_400;

/** What `--unlimited` lifts, for benchmarks: the protections against a hostile or runaway client. */
export const UNLIMITED = {
  floodRate: 0,
  floodRatePerAddress: 0,
  maxConnectionsPerAddress: 1_000_000,
  maxConnections: 1_000_000,
} as const;

export const framingSchema = z.enum(['line', 'chunk']);
const port = z.number().int().min(0).max(65535);
const count = z.number().int().min(1);

export const hubConfigSchema = z
  .strictObject({
    host: z.string().min(1).default(HUB_DEFAULTS.host).describe('address to listen on'),
    port: port.default(HUB_DEFAULTS.port).describe('TCP port to listen on (0 picks a free one)'),
    framing: framingSchema
      .default('line')
      .describe("'line': LF-ended frames with notices; 'chunk': the seed's one-read-one-message, no notices"),
    maxFrameBytes: z
      .number()
      .int()
      .min(128)
      .max(16 * 1024 * 1024)
      .default(HUB_DEFAULTS.maxFrameBytes)
      .describe('longest frame accepted, in bytes before the LF (longer: #error frame-too-large)'),
    maxQueueBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(HUB_DEFAULTS.maxQueueBytes)
      .describe(
        `bytes that may wait for one client before it counts as falling behind (the hub may pause for it); at ${QUEUE_HARD_LIMIT_FACTOR} times this it is dropped as a slow consumer`,
      ),
    maxConnections: count
      .default(HUB_DEFAULTS.maxConnections)
      .describe('most clients at once (more: #bye hub-full)'),
    maxConnectionsPerAddress: count
      .default(HUB_DEFAULTS.maxConnectionsPerAddress)
      .describe('most clients at once from one remote address (IPv6: from one /64)'),
    floodRate: z
      .number()
      .min(0)
      .default(HUB_DEFAULTS.floodRate)
      .describe(
        'frames per second a client may send before the hub stops reading from it for a while; refused lines count too (0: flood control off)',
      ),
    floodBurst: count
      .default(HUB_DEFAULTS.floodBurst)
      .describe('frames a client may send at once before flood control'),
    floodRatePerAddress: z
      .number()
      .min(0)
      .default(HUB_DEFAULTS.floodRatePerAddress)
      .describe(
        'frames per second all clients from one address (IPv6: one /64) may send together before the hub stops reading from them (0: off; off too with --flood-rate 0)',
      ),
    floodBurstPerAddress: count
      .default(HUB_DEFAULTS.floodBurstPerAddress)
      .describe('frames all clients from one address may send at once before flood control'),
    maxInputBytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(HUB_DEFAULTS.maxInputBytes)
      .describe(
        'bytes held in all for unfinished frames and reads held back by flood control; past it the client holding the most is dropped (#bye input-limit)',
      ),
    presenceLimit: z
      .number()
      .int()
      .min(0)
      .default(HUB_DEFAULTS.presenceLimit)
      .describe('announce #joined/#left to everyone while at most this many are online'),
    idleSeconds: z
      .number()
      .min(0)
      .default(HUB_DEFAULTS.idleSeconds)
      .describe('send #ping to a client silent this long (0: no keepalive; never in chunk framing)'),
    pongTimeoutSeconds: z
      .number()
      .positive()
      .default(HUB_DEFAULTS.pongTimeoutSeconds)
      .describe('close a pinged client (#bye idle) that stays silent this long'),
    backlog: count.default(HUB_DEFAULTS.backlog).describe('TCP accept backlog'),
    shutdownGraceMs: z
      .number()
      .int()
      .min(0)
      .default(HUB_DEFAULTS.shutdownGraceMs)
      .describe('on SIGINT, SIGTERM or SIGHUP, how long clients get to take what is queued for them'),
    historyFrames: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(HUB_DEFAULTS.historyFrames)
      .describe('data frames the hub keeps for late joiners and resumes (0: no history)'),
    historySeconds: z
      .number()
      // Its own words, as the check below has: with one check's message ours, zod's would show.
      .min(0, { message: 'must be 0 (no history) or more' })
      .lt(MAX_HISTORY_SECONDS, {
        message: `must be under ${MAX_HISTORY_SECONDS} (24 h): clients refuse messages older than their TTL, 24 h by default`,
      })
      .default(HUB_DEFAULTS.historySeconds)
      .describe('age in seconds past which kept frames are forgotten (0: no history)'),
    historyBytes: z
      .number()
      .int()
      .min(0)
      .default(HUB_DEFAULTS.historyBytes)
      .describe('bytes of frames the hub keeps in all (0: no history)'),
    web: z
      .boolean()
      .default(HUB_DEFAULTS.web)
      .describe('serve the web client: its page over HTTP and its WebSocket at /ws (--no-web: TCP only)'),
    webHost: z.string().min(1).default(HUB_DEFAULTS.webHost).describe('address the web client is served on'),
    webPort: port
      .optional()
      .describe('HTTP port of the web client (default: --port + 1; a free one with --port 0)'),
    webOrigins: z
      .string()
      .default('')
      .refine((text) => webOriginsOf(text) !== undefined, {
        message:
          'must be origins such as https://chat.example.org, comma-separated (scheme, host and port only)',
      })
      .describe(
        "origins besides the page's own (http://127.0.0.1:PORT, http://localhost:PORT) whose pages may open the WebSocket, comma-separated",
      ),
    unlimited: z
      .boolean()
      .default(false)
      .describe('for benchmarks: no flood control, no per-address or total connection limit'),
    record: z
      .string()
      .min(1)
      .optional()
      .describe('record every event to this new JSON-lines file (mode 0600) for fernet-chat-replay'),
    tlsCert: z
      .string()
      .min(1)
      .optional()
      .describe('TLS: this PEM certificate (chain), with --tls-key; clients then need --tls'),
    tlsKey: z.string().min(1).optional().describe('TLS: the PEM private key of --tls-cert'),
    admit: z
      .string()
      .min(1)
      .optional()
      .describe(
        'admit only clients holding a chat key whose public admission key is in this file (made by fernet-chat-keygen --admission KEYFILE; needs --hub-name)',
      ),
    hubName: z
      .string()
      .regex(HUB_NAME_PATTERN, { message: 'must be a host name or address, without spaces' })
      .optional()
      .describe(
        'with --admit: the name clients reach this hub by (their --host), to which their answers are bound',
      ),
    admitTimeoutSeconds: z
      .number()
      .positive()
      .max(60)
      .default(HUB_DEFAULTS.admitTimeoutSeconds)
      .describe('with --admit: seconds a connection gets to answer the challenge (#bye unauthorized after)'),
    cluster: z
      .string()
      .refine((text) => clusterServersOf(text) !== undefined, {
        message: 'must be NATS servers such as nats://127.0.0.1:4222, comma-separated',
      })
      .optional()
      .describe(
        'share the room with other hubs through these NATS servers (JetStream on), comma-separated; without it the hub is alone',
      ),
    room: z
      .string()
      .regex(ROOM_PATTERN, { message: 'must be 1 to 64 letters, digits, _ or -' })
      .default(HUB_DEFAULTS.room)
      .describe('with --cluster: the room this hub serves (one NATS serves many rooms)'),
    clusterMaxUnackedBytes: z
      .number()
      .int()
      .min(4096)
      .default(HUB_DEFAULTS.clusterMaxUnackedBytes)
      .describe(
        'with --cluster: bytes of frames held until NATS acknowledges them; past it new frames are refused (#error cluster-unavailable)',
      ),
    clusterReplicas: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(HUB_DEFAULTS.clusterReplicas)
      .describe(
        'with --cluster: copies JetStream keeps of the streams this hub makes, each on its own NATS server (1 to 5; 3 lets a room outlive one of three servers); a stream that exists keeps its own',
      ),
  })
  .refine((config) => config.maxQueueBytes >= 2 * (config.maxFrameBytes + 1), {
    // Otherwise one large frame would overflow every recipient's queue and drop them all.
    path: ['maxQueueBytes'],
    message:
      'must be at least twice --max-frame-bytes, so that one frame cannot make a client a slow consumer',
  })
  .refine((config) => (config.tlsCert === undefined) === (config.tlsKey === undefined), {
    path: ['tlsCert'],
    message: 'TLS needs both --tls-cert and --tls-key (the certificate and its private key)',
  })
  .refine((config) => config.admit === undefined || config.framing === 'line', {
    // The seed's clients know no notices, so they could never answer a challenge.
    path: ['admit'],
    message: "cannot be used with --framing chunk: the seed's clients cannot answer the admission challenge",
  })
  .refine((config) => config.cluster === undefined || config.framing === 'line', {
    path: ['cluster'],
    message: "cannot be used with --framing chunk: the seed's clients know no notices, history or resume",
  })
  .refine((config) => config.cluster === undefined || config.record === undefined, {
    path: ['record'],
    message: 'cannot be used with --cluster yet: a recording holds one hub, not a room across hubs',
  })
  .refine((config) => config.admit === undefined || config.hubName !== undefined, {
    path: ['admit'],
    message:
      'needs --hub-name, the name clients reach this hub by (what they give as --host): their answers are bound to it',
  });

export type HubConfig = z.infer<typeof hubConfigSchema>;

/**
 * The origins in --web-origins, as browsers write them in `Origin` (`https://host:port`, no path
 * or slash); undefined if one is not such an origin.
 */
export function webOriginsOf(text: string): string[] | undefined {
  const origins = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const origin of origins) {
    if (!URL.canParse(origin)) return undefined;
    const url = new URL(origin);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin) return undefined;
  }
  return origins;
}

/** The limits in force, once `--unlimited` is applied. */
export function effectiveLimits(config: HubConfig): HubConfig {
  return config.unlimited ? { ...config, ...UNLIMITED } : config;
}
