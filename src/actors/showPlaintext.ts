import { envelopeSchema } from '../protocol/envelope.ts';
import type { EnvelopeField } from './clientOutput.ts';
import { displayText } from '../text/displayText.ts';
import type { Sender } from '../text/lineStyle.ts';

export type Shown =
  | { readonly type: 'show'; readonly line: string; readonly sender?: Sender }
  | { readonly type: 'warn'; readonly kind: `malformed:${EnvelopeField}`; readonly line: string };

/**
 * A decrypted message as a line for the screen: an envelope as `alice: hi` or `* alice joined`,
 * with its sender for a terminal's time and colour; plaintext that is not an envelope (the seed's clients send bare text) as from `?`.
 */
export function showPlaintext(plaintext: Buffer): Shown {
  const text = plaintext.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { type: 'show', line: `?: ${displayText(text)}` };
  }
  if (json === null || typeof json !== 'object' || !('v' in json)) {
    return { type: 'show', line: `?: ${displayText(text)}` };
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    const problem = envelope.error.issues[0];
    return {
      type: 'warn',
      kind: `malformed:${fieldOf(problem?.path[0])}`,
      line: `! malformed message: ${problem?.path.join('.') || 'envelope'}: ${problem?.message}`,
    };
  }
  const { kind, from, text: said, at } = envelope.data;
  const who = displayText(from);
  if (kind === 'join') return { type: 'show', line: `* ${who} joined`, sender: { name: who, start: 2, at } };
  if (kind === 'leave') return { type: 'show', line: `* ${who} left`, sender: { name: who, start: 2, at } };
  return { type: 'show', line: `${who}: ${displayText(said)}`, sender: { name: who, start: 0, at } };
}

/** Only the envelope's own fields name a kind: kinds must stay a small fixed set. */
function fieldOf(key: PropertyKey | undefined): EnvelopeField {
  return typeof key === 'string' && Object.hasOwn(envelopeSchema.shape, key)
    ? (key as EnvelopeField)
    : 'envelope';
}
