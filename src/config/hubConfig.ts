import { z } from 'zod';

/** The hub's limits, each a named default (SPEC §4, issue: hold up under load). */
export const HUB_DEFAULTS = {
  host: '127.0.0.1',
  port: 10101,
  maxFrameBytes: 64 * 1024,
  maxQueueBytes: 1024 * 1024,
  maxConnections: 10_000,
  backlog: 1024,
  shutdownGraceMs: 5_000,
} as const;

export const framingSchema = z.enum(['line', 'chunk']);
const port = z.number().int().min(0).max(65535);

export const hubConfigSchema = z.strictObject({
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
    .describe('longest frame accepted, in bytes before the LF'),
  maxQueueBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .default(HUB_DEFAULTS.maxQueueBytes)
    .describe('bytes that may wait for one client before it is dropped as a slow consumer'),
  maxConnections: z
    .number()
    .int()
    .min(1)
    .default(HUB_DEFAULTS.maxConnections)
    .describe('most clients at once'),
  backlog: z.number().int().min(1).default(HUB_DEFAULTS.backlog).describe('TCP accept backlog'),
  shutdownGraceMs: z
    .number()
    .int()
    .min(0)
    .default(HUB_DEFAULTS.shutdownGraceMs)
    .describe('on SIGINT/SIGTERM, how long clients get to take what is queued for them'),
});

export type HubConfig = z.infer<typeof hubConfigSchema>;
