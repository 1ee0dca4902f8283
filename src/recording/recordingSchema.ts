import { z } from 'zod';
import { framingSchema } from '../config/hubConfig.ts';
import { parseHistoryRequest } from '../protocol/historyRequest.ts';
import { EPOCH_PATTERN } from '../protocol/notice.ts';
import { describeShapeProblem, tokenShapeProblem } from '../protocol/tokenShape.ts';

/**
 * A hub recording (issue 4, SPEC §8): JSON lines, a header first, then one record per event the
 * hub actor handled, in the order it handled them. `t` is milliseconds since the header's
 * `startedAt` (on a monotonic clock, to the microsecond); `peer` is the hub's connection id.
 * Frames are the token text exactly as received, one record per frame: ciphertext only. Lines
 * the hub refused are not kept, only why (`reject`), since they may be plaintext.
 */
export const RECORDING_FORMAT = 'fernet-chat-recording';
/**
 * Still 1: the format grows by additions (a record type, an optional header field), so every
 * recording made so far still parses; a replay older than an addition names the record it does
 * not know.
 */
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
  /**
   * The room's history as the hub kept it, and the epoch it gave this run, which its `#hello`s
   * carried and resumes named. Null: a hub without history (chunk framing). Absent: recorded
   * before hubs kept history; replayed as such.
   */
  history: z
    .strictObject({
      frames: z.number().int().nonnegative(),
      seconds: z.number().nonnegative(),
      bytes: z.number().int().nonnegative(),
      epoch: z.string().regex(EPOCH_PATTERN),
    })
    .nullable()
    .optional(),
});

export const headerRecordSchema = z.strictObject({
  type: z.literal('header'),
  format: z.literal(RECORDING_FORMAT),
  version: z.number().int().positive(),
  startedAt: z.iso.datetime(),
  hub: recordedHubSchema,
});

/** `#history N` or `#resume EPOCH DIGEST|-`, as the client sent it and the hub understood it. */
const historyRequestText = z
  .string()
  .max(200)
  .superRefine((text, ctx) => {
    const parsed = parseHistoryRequest(text);
    if (parsed === undefined || parsed.kind === 'bad')
      ctx.addIssue({
        code: 'custom',
        message: `not a history request${parsed === undefined ? '' : ` (${parsed.detail})`}`,
      });
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
  /**
   * A request for history or a resume. The answer's frames are not repeated: they are `frame`
   * records already, and the replay's hub actor finds them again; its `#history-end` notice
   * says what the answer held.
   */
  z.strictObject({ type: z.literal('recall'), t, peer, request: historyRequestText }),
  z.strictObject({ type: z.literal('leave'), t, peer, reason: word }),
  z.strictObject({ type: z.literal('shutdown'), t, reason: word }),
  /** The hub actor's clock, for keepalive. */
  z.strictObject({ type: z.literal('tick'), t }),
  /**
   * A notice the hub sent that says something went wrong (`#error …`), kept for bug reports, or
   * how a history answer ended (`#history-end …`): a replay checks that it still ends so.
   */
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
