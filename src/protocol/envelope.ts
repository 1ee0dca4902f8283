import { z } from 'zod';

/** Most characters in a name; longer ones are refused on both ends. */
export const MAX_NAME_LENGTH = 32;

export const nameSchema = z
  .string()
  .trim()
  .min(1, 'a name needs at least one character')
  .max(MAX_NAME_LENGTH, `a name has at most ${MAX_NAME_LENGTH} characters`)
  // Control characters and bidi overrides could disguise a name on screen; emoji joiners are fine.
  .regex(/^[^\p{Cc}\u202a-\u202e\u2066-\u2069]+$/u, 'a name cannot contain control characters');

/**
 * What travels inside a token (SPEC §5). Unknown fields are ignored, for later versions.
 *
 * The optional fields are still version 1: a client that does not know them strips them and
 * shows the envelope as its kind says, so old and new clients chat together. They are optional
 * fields rather than new kinds because an old client refuses an unknown kind as malformed.
 *
 * - `peer`: the sender's own hub id, learnt from its `#hello`. The hub relays a token without
 *   saying whose it is and never sees a name; with `peer` a client links the ids of the hub's
 *   `#joined`/`#left` to names, so a lost connection shows as `* bob left without a goodbye`. It
 *   says nothing the hub does not know already (the hub knows who sent what).
 * - `here` (on a join): "I was already here", the answer to someone else's join, so that a
 *   newcomer learns who is online. Old clients show it as a join.
 * - `was` (on a join): the name the sender had before `/nick`. Old clients show a join.
 * - `action` (on a message): `/me`, shown as `* alice waves`. Old clients show `alice: waves`.
 *
 * Version 2 is version 1 signed (signedEnvelope.ts): `key`, the sender's Ed25519 public key, and
 * `sig`, its signature over the room and every other field. A version had to change because an
 * old client would show a forged `from` as readily as a signed one: v2 tells a new client that
 * a line without a signature is not to be taken at its word. Old clients refuse v2 as malformed.
 */
export const envelopeSchema = z
  .object({
    v: z.union([z.literal(1), z.literal(2)]),
    kind: z.enum(['message', 'join', 'leave']),
    from: nameSchema,
    text: z.string(),
    id: z.uuid(),
    at: z.iso.datetime(),
    peer: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    here: z.boolean().optional(),
    was: nameSchema.optional(),
    action: z.boolean().optional(),
    key: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/, 'a public key is 43 base64url characters')
      .optional(),
    sig: z
      .string()
      .regex(/^[A-Za-z0-9_-]{86}$/, 'a signature is 86 base64url characters')
      .optional(),
  })
  .superRefine((envelope, context) => {
    if (envelope.v !== 2) return;
    for (const field of ['key', 'sig'] as const)
      if (envelope[field] === undefined)
        context.addIssue({
          code: 'custom',
          path: [field],
          message: `a v2 envelope is signed: it needs ${field}`,
        });
  });

export type Envelope = z.infer<typeof envelopeSchema>;
export type EnvelopeKind = Envelope['kind'];
