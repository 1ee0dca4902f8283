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

/** What travels inside a token (SPEC §5). Unknown fields are ignored, for later versions. */
export const envelopeSchema = z.object({
  v: z.literal(1),
  kind: z.enum(['message', 'join', 'leave']),
  from: nameSchema,
  text: z.string(),
  id: z.uuid(),
  at: z.iso.datetime(),
});

export type Envelope = z.infer<typeof envelopeSchema>;
export type EnvelopeKind = Envelope['kind'];
