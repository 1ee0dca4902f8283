import { z } from 'zod';

export const REPLAY_DEFAULTS = {
  speed: 1,
  /** As the client's: a fixture's tokens are judged at the time they were recorded. */
  ttlSeconds: 24 * 60 * 60,
} as const;

/** `HOST:PORT`, with an IPv6 address in brackets: `[::1]:10101`. */
export const hostPortSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:10101')
  .refine((text) => {
    const port = Number(text.slice(text.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535;
  }, 'the port must be 1 to 65535');

export const replayConfigSchema = z.strictObject({
  key: z
    .string()
    .min(1)
    .optional()
    .describe('key file to decrypt with (without one, tokens are shown by fingerprint)'),
  expect: z
    .string()
    .min(1)
    .optional()
    .describe('expected transcript: when the replay differs, print a diff and exit 1'),
  live: hostPortSchema
    .optional()
    .describe('play each recorded connection as a TCP client against the hub at HOST:PORT and check it'),
  speed: z
    .number()
    .min(0)
    .default(REPLAY_DEFAULTS.speed)
    .describe('with --live: recorded time divided by this (0: as fast as the hub answers, in order)'),
  ttlSeconds: z
    .number()
    .int()
    .min(0)
    .default(REPLAY_DEFAULTS.ttlSeconds)
    .describe('refuse messages older than this many seconds at the recorded time (0: any age)'),
});

export type ReplayConfig = z.infer<typeof replayConfigSchema>;

/** Splits a HOST:PORT that hostPortSchema accepted. */
export function splitHostPort(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  return { host: text.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(text.slice(colon + 1)) };
}
