import type { webcrypto } from 'node:crypto';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './identity.ts';

type CryptoKey = webcrypto.CryptoKey;

/** Results and keys kept at most: a room has few signers, and a result is asked for once. */
const KEPT = 256;

/**
 * Ed25519 verification on Web Crypto for the client actor, whose check is synchronous
 * (`Verifier`, protocol/signedEnvelope.ts) where Web Crypto's is a promise: `prepare` checks a
 * signature before the actor sees its frame, and `verify` answers from what was prepared. A
 * signature never prepared does not verify, so nothing unchecked is ever shown as signed.
 */
export class WebSignatures {
  private readonly results = new Map<string, boolean>();
  private readonly keys = new Map<string, Promise<CryptoKey | undefined>>();

  /** Checks `signature` over `message` by `publicKey`, and keeps the result for `verify`. */
  async prepare(publicKey: Buffer, message: Buffer, signature: Buffer): Promise<void> {
    const id = resultId(publicKey, message, signature);
    if (this.results.has(id)) return;
    let ok = false;
    if (publicKey.length === PUBLIC_KEY_BYTES && signature.length === SIGNATURE_BYTES) {
      const key = await this.keyOf(publicKey);
      ok =
        key !== undefined &&
        (await globalThis.crypto.subtle.verify('Ed25519', key, own(signature), own(message)));
    }
    keep(this.results, id, ok);
  }

  /** The synchronous check the actor calls: the prepared result, or false. */
  readonly verify = (publicKey: Buffer, message: Buffer, signature: Buffer): boolean =>
    this.results.get(resultId(publicKey, message, signature)) === true;

  private keyOf(publicKey: Buffer): Promise<CryptoKey | undefined> {
    const id = publicKey.toString('base64url');
    let key = this.keys.get(id);
    if (key === undefined) {
      key = globalThis.crypto.subtle
        .importKey('raw', own(publicKey), { name: 'Ed25519' }, false, ['verify'])
        // Not a point on the curve: it never verifies.
        .catch(() => undefined);
      keep(this.keys, id, key);
    }
    return key;
  }
}

function resultId(publicKey: Buffer, message: Buffer, signature: Buffer): string {
  return `${publicKey.toString('base64url')} ${signature.toString('base64url')} ${message.toString('base64url')}`;
}

function keep<T>(map: Map<string, T>, id: string, value: T): void {
  if (map.size >= KEPT) map.delete(map.keys().next().value!);
  map.set(id, value);
}

/** A copy in an ArrayBuffer of its own, as Web Crypto's typings want. */
function own(bytes: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}
