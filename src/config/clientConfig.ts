import { z } from 'zod';
import { HUB_NAME_PATTERN } from '../protocol/admission.ts';
import { nameSchema } from '../protocol/envelope.ts';
import { framingSchema } from './hubConfig.ts';

export const CLIENT_DEFAULTS = {
  host: 'localhost',
  port: 10101,
  keyFile: 'chat.key',
  ttlSeconds: 24 * 60 * 60,
  /** As the hub's (ngIRCd's defaults): `#ping` after 120 s without a frame, dropped 20 s later. */
  idleSeconds: 120,
  pongTimeoutSeconds: 20,
  /** Earlier messages asked for on the first connection (docs/protocol.md). */
  history: 50,
} as const;

/** As many frames as a hub can keep (its --history-frames): a hub sends at most what it has. */
const MAX_HISTORY = 1_000_000;

/**
 * The hubs of --hub (`host:port`, `[v6]:port`, or a host alone for --port), in order; undefined
 * if one is not such an address.
 */
export function hubListOf(text: string, defaultPort: number): { host: string; port: number }[] | undefined {
  const hubs: { host: string; port: number }[] = [];
  for (const entry of text.split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    const match =
      /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(entry) ?? /^([^\s:[\]]+)(?::(\d{1,5}))?$/.exec(entry);
    if (match === null) return undefined;
    const port = match[2] === undefined ? defaultPort : Number(match[2]);
    if (port < 1 || port > 65535) return undefined;
    hubs.push({ host: match[1]!, port });
  }
  return hubs.length === 0 ? undefined : hubs;
}

export const clientConfigSchema = z.strictObject({
  host: z.string().min(1).default(CLIENT_DEFAULTS.host).describe("the hub's host name or address"),
  port: z.number().int().min(1).max(65535).default(CLIENT_DEFAULTS.port).describe("the hub's TCP port"),
  hub: z
    .string()
    .refine((text) => hubListOf(text, CLIENT_DEFAULTS.port) !== undefined, {
      message:
        'must be hubs such as hub1.example.org:10101,hub2.example.org:10101 (host:port, comma-separated)',
    })
    .optional()
    .describe(
      'the hubs of a cluster, host:port, comma-separated, used in turn: when one goes away the client moves to the next and resumes (instead of --host and --port; a host alone takes --port)',
    ),
  keyFile: z
    .string()
    .min(1)
    .default(CLIENT_DEFAULTS.keyFile)
    .describe('key file (made by npm run keygen; mode 0600)'),
  identityFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      'your identity key, which signs what you send (default: identity.key beside the key file; made by npm run keygen -- --identity FILE, mode 0600)',
    ),
  pinnedNamesFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      'the names pinned to the keys they sign with, one per line (default: pinned-names beside the key file)',
    ),
  name: nameSchema.optional().describe('your name in the chat (asked for when missing on a terminal)'),
  framing: framingSchema.default('line').describe("'line', or 'chunk' to talk to the seed's Python server"),
  ttlSeconds: z
    .number()
    .int()
    .min(0)
    .default(CLIENT_DEFAULTS.ttlSeconds)
    .describe('refuse messages older than this many seconds (0: any age)'),
  idleSeconds: z
    .number()
    .min(0)
    .default(CLIENT_DEFAULTS.idleSeconds)
    .describe('send #ping to a hub silent this long (0: no keepalive; never in chunk framing)'),
  pongTimeoutSeconds: z
    .number()
    .positive()
    .default(CLIENT_DEFAULTS.pongTimeoutSeconds)
    .describe('drop the connection (and reconnect) when the hub stays silent this long after a #ping'),
  history: z
    .number()
    .int()
    .min(0)
    .max(MAX_HISTORY)
    .default(CLIENT_DEFAULTS.history)
    .describe(
      'on connecting, show up to this many earlier messages the hub kept, marked as earlier (0: none); reconnects resume where they left off either way',
    ),
  tls: z
    .boolean()
    .default(false)
    .describe(
      "connect with TLS, checking the hub's certificate and that it is for --host (on with --tls-ca)",
    ),
  tlsCa: z
    .string()
    .min(1)
    .optional()
    .describe("trust this PEM CA file for the hub's certificate (a self-signed hub); implies --tls"),
  hubName: z
    .string()
    .regex(HUB_NAME_PATTERN, { message: 'must be a host name or address, without spaces' })
    .optional()
    .describe("the hub's name as it gives it in its admission challenge (its --hub-name); default: --host"),
  reconnect: z
    .boolean()
    .default(true)
    .describe(
      'when the hub goes away, reconnect with backoff (0.5 s to 30 s) and send what was typed meanwhile',
    ),
});

export type ClientConfig = z.infer<typeof clientConfigSchema>;
