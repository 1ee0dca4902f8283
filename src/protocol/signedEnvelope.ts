import { createHash } from 'node:crypto';
import type { FernetKey } from '../crypto/fernetKey.ts';
import type { Signer, SyncSigner } from '../crypto/identity.ts';
import type { Envelope } from './envelope.ts';

/**
 * Checks an Ed25519 signature over `message` by `publicKey` (32 raw bytes). Node's is sync. Web
 * Crypto's is async: a browser client would await it in an order-keeping stage before the client
 * actor and pass the actor a verifier that looks the answers up (docs/protocol.md).
 */
export type Verifier = (publicKey: Buffer, message: Buffer, signature: Buffer) => boolean;

/** The first bytes of every signed message: what it is, so that it means nothing elsewhere. */
const CONTEXT = Buffer.from('fernet-chat signed envelope v2\n', 'ascii');
const ROOM_CONTEXT = Buffer.from('fernet-chat room\n', 'ascii');

/**
 * How far the envelope's `at` may be from its token's own time. A sender sets both from one
 * clock at once; a signed envelope put into a newer token (lifted from another time) is not.
 */
export const MAX_SEALED_SKEW_SECONDS = 60;

/**
 * The room a signature is bound to: SHA-256 of a label and the chat key's 32 bytes. Anyone with
 * the key can compute it, nobody without; it names the key without being it, and an envelope
 * signed for one room does not verify in another.
 */
export function roomOf(key: FernetKey): Buffer {
  return createHash('sha256').update(ROOM_CONTEXT).update(key.signingKey).update(key.encryptionKey).digest();
}

/**
 * The exact bytes signed (docs/protocol.md, "Signed envelopes"): the context, the room, then
 * each field as a 4-byte big-endian length and its UTF-8, in a fixed order, absent fields as
 * empty. Length prefixes make the split between fields unambiguous; no JSON canonical form needed.
 */
export function signedBytes(room: Buffer, envelope: Envelope): Buffer {
  const fields = [
    envelope.kind,
    envelope.from,
    envelope.text,
    envelope.id,
    envelope.at,
    envelope.peer === undefined ? '' : String(envelope.peer),
    envelope.here === true ? 'true' : '',
    envelope.was ?? '',
    envelope.action === true ? 'true' : '',
  ];
  const parts: Buffer[] = [CONTEXT, room];
  for (const field of fields) {
    const bytes = Buffer.from(field, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}

/**
 * A v1 envelope made v2: the signer's key and its signature over the room and the fields. At
 * once from a signer that answers at once (Node's), as a promise from one on Web Crypto.
 */
export function signEnvelope(envelope: Envelope, room: Buffer, signer: SyncSigner): Envelope;
export function signEnvelope(envelope: Envelope, room: Buffer, signer: Signer): Envelope | Promise<Envelope>;
export function signEnvelope(envelope: Envelope, room: Buffer, signer: Signer): Envelope | Promise<Envelope> {
  const { key: _key, sig: _sig, ...fields } = envelope;
  const unsigned: Envelope = { ...fields, v: 2 };
  const signed = (sig: Buffer): Envelope => ({
    ...unsigned,
    key: signer.publicKey.toString('base64url'),
    sig: sig.toString('base64url'),
  });
  const sig = signer.sign(signedBytes(room, unsigned));
  return sig instanceof Promise ? sig.then(signed) : signed(sig);
}

/** What a signature says about an envelope. */
export type Signature =
  | { readonly ok: true; readonly key: Buffer }
  | { readonly ok: false; readonly code: 'unsigned' }
  | { readonly ok: false; readonly code: 'bad-signature' | 'lifted'; readonly why: string };

/**
 * Checks a v2 envelope's signature for this room, and that it was sealed when its token was
 * (`issuedAt`, the token's Unix time). A v1 envelope is `unsigned`.
 */
export function checkSignature(
  envelope: Envelope,
  room: Buffer,
  issuedAt: number,
  verify: Verifier,
): Signature {
  if (envelope.v !== 2 || envelope.key === undefined || envelope.sig === undefined)
    return { ok: false, code: 'unsigned' };
  const key = Buffer.from(envelope.key, 'base64url');
  const signature = Buffer.from(envelope.sig, 'base64url');
  if (!verify(key, signedBytes(room, envelope), signature))
    return {
      ok: false,
      code: 'bad-signature',
      why: 'its signature does not match (tampered with, or signed for another room)',
    };
  const skew = Math.abs(Date.parse(envelope.at) / 1000 - issuedAt);
  if (!(skew <= MAX_SEALED_SKEW_SECONDS))
    return {
      ok: false,
      code: 'lifted',
      why: `it was signed at ${envelope.at} but sent ${Math.round(skew)} s from then (an old message sent again)`,
    };
  return { ok: true, key };
}
