import { envelopeSchema } from '../protocol/envelope.ts';
import { displayText } from './displayText.ts';

export type Shown = { readonly type: 'show' | 'warn'; readonly line: string };

/**
 * A decrypted message as a line for the screen: an envelope as `alice: hi` or `* alice joined`;
 * plaintext that is not an envelope (the seed's clients send bare text) as from `?`.
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
      line: `! malformed message: ${problem?.path.join('.') || 'envelope'}: ${problem?.message}`,
    };
  }
  const { kind, from, text: said } = envelope.data;
  const who = displayText(from);
  if (kind === 'join') return { type: 'show', line: `* ${who} joined` };
  if (kind === 'leave') return { type: 'show', line: `* ${who} left` };
  return { type: 'show', line: `${who}: ${displayText(said)}` };
}
