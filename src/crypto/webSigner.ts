import type { webcrypto } from 'node:crypto';
import type { Signer } from './identity.ts';

type CryptoKey = webcrypto.CryptoKey;

/** The two halves of a Web Crypto Ed25519 identity, as IndexedDB keeps them (web/identityStore.ts). */
export interface WebKeyPair {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

/**
 * The page's identity: an Ed25519 key pair in Web Crypto, its private key non-extractable, so
 * that no script on the page (nor anything that reads IndexedDB) can copy it out; it can only
 * sign. Signing is a promise, which the client actor awaits (clientActor.ts, `signing`).
 */
export class WebSigner implements Signer {
  private constructor(
    readonly publicKey: Buffer,
    readonly pair: WebKeyPair,
  ) {}

  /** A new key pair; its private key can never leave Web Crypto. */
  static async generate(): Promise<WebSigner> {
    // Node's typings do not know Ed25519 makes a pair; browsers and Node 20 do.
    const pair = (await globalThis.crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
      'sign',
      'verify',
    ])) as WebKeyPair;
    return WebSigner.of(pair);
  }

  /** A key pair made before (kept in IndexedDB): its public key read out as the raw 32 bytes. */
  static async of(pair: WebKeyPair): Promise<WebSigner> {
    // A public key is always extractable, whatever the private key is.
    const raw = await globalThis.crypto.subtle.exportKey('raw', pair.publicKey);
    return new WebSigner(Buffer.from(raw), pair);
  }

  async sign(message: Buffer): Promise<Buffer> {
    const signature = await globalThis.crypto.subtle.sign(
      'Ed25519',
      this.pair.privateKey,
      new Uint8Array(message),
    );
    return Buffer.from(signature);
  }
}
