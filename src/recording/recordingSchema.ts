import { z } from 'zod';
import { framingSchema } from '../config/hubConfig.ts';
import { describeShapeProblem, tokenShapeProblem } from '../protocol/tokenShape.ts';

/**
 * A hub recording (issue 4, SPEC §8): JSON lines, a header first, then one record per event the
 * hub actor handled, in the order it handled them. `t` is milliseconds since the header's
 * `startedAt` (on a monotonic clock, to the microsecond); `peer` is the hub's connection id.
 * Frames are the token text exactly as received, one record per frame: ciphertext only. Lines
 * the hub refused are not kept, only why (`reject`), since they may be plaintext.
 */
export const RECORDING_FORMAT = 'fernet-chat-recording';
export const RECORDING_VERSION = 1;

const t = z.number().finite().nonnegative().describe('milliseconds since startedAt');
const peer = z.number().int().nonnegative().describe("the hub's connection id");
const word = z.string().min(1).max(200);

/** The hub settings that change what the hub actor and the peers do. */
export const recordedHubSchema = z.looseObject({
  framing: framingSchema,
  notices: z.boolean(),
  keepalive: z
    .strictObject({ idleMs: z.number().positive(), pongTimeoutMs: z.number().positive() })
    .nullable(),
  maxFrameBytes: z.number().int().positive(),
  maxQueueBytes: z.number().int().positive(),
  maxConnections: z.number().int().positive(),
  maxConnectionsPerAddress: z.number().int().positive(),
  floodRate: z.number().nonnegative(),
  floodBurst: z.number().int().positive(),
  /** Recordings made before this setting existed announced every join. */
  presenceLimit: z.number().int().nonnegative().optional(),
});

export const headerRecordSchema = z.strictObject({
  type: z.literal('header'),
  format: z.literal(RECORDING_FORMAT),
  version: z.number().int().positive(),
  startedAt: z.iso.datetime(),
  hub: recordedHubSchema,
});

/** A frame as the hub relayed it: a Fernet token's text, without its LF. */
const tokenText = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    const problem = tokenShapeProblem(Buffer.from(text, 'latin1'));
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: describeShapeProblem(problem) });
  });

export const eventRecordSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('join'), t, peer, remote: z.string().max(200) }),
  z.strictObject({ type: z.literal('frame'), t, peer, data: tokenText }),
  /** The hub refused a line: why, never what the line said. */
  z.strictObject({ type: z.literal('reject'), t, peer, code: word, detail: z.string().max(500) }),
  z.strictObject({ type: z.literal('ping'), t, peer }),
  z.strictObject({ type: z.literal('pong'), t, peer }),
  z.strictObject({ type: z.literal('leave'), t, peer, reason: word }),
  z.strictObject({ type: z.literal('shutdown'), t, reason: word }),
  /** The hub actor's clock, for keepalive. */
  z.strictObject({ type: z.literal('tick'), t }),
  /** A notice the hub sent that says something went wrong (`#error …`), kept for bug reports. */
  z.strictObject({ type: z.literal('notice'), t, peer, text: z.string().startsWith('#').max(1000) }),
  /** The recorder could not keep up and lost `count` records before this one. */
  z.strictObject({ type: z.literal('dropped'), t, count: z.number().int().positive() }),
]);

export type HeaderRecord = z.infer<typeof headerRecordSchema>;
export type RecordedHub = z.infer<typeof recordedHubSchema>;
export type EventRecord = z.infer<typeof eventRecordSchema>;
export type EventRecordType = EventRecord['type'];
export const EVENT_RECORD_TYPES: readonly EventRecordType[] = eventRecordSchema.options.map(
  (option) => option.shape.type.value,
);
