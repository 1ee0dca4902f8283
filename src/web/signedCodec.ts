import { from } from 'rxjs';
import { type ClientCodec, type PromisedRing, promisedCodec } from '../actors/clientCodec.ts';
import type { WebSignatures } from '../crypto/webSignatures.ts';
import { envelopeSchema } from '../protocol/envelope.ts';
import { roomOf, signedBytes } from '../protocol/signedEnvelope.ts';

/**
 * The page's codec: Web Crypto Fernet, and each signed envelope's signature checked (on Web
 * Crypto, a promise) before the actor sees it, so that the actor's synchronous check
 * (`signatures.verify`) has its answer ready.
 */
export function signedCodec(ring: PromisedRing, signatures: WebSignatures): ClientCodec {
  const codec = promisedCodec(ring);
  return {
    ...codec,
    open: (frame, times) =>
      from(
        ring.open(frame, times).then(async (opened) => {
          const envelope = signedEnvelopeIn(opened.plaintext);
          if (envelope !== undefined)
            await signatures.prepare(
              Buffer.from(envelope.key, 'base64url'),
              signedBytes(roomOf(opened.key), envelope.whole),
              Buffer.from(envelope.sig, 'base64url'),
            );
          return opened;
        }),
      ),
  };
}

function signedEnvelopeIn(plaintext: Buffer) {
  let json: unknown;
  try {
    json = JSON.parse(plaintext.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { key, sig } = parsed.data;
  return parsed.data.v === 2 && key !== undefined && sig !== undefined
    ? { key, sig, whole: parsed.data }
    : undefined;
}
