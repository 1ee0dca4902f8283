import { defer, from, type Observable, of } from 'rxjs';
import { fingerprint } from '../crypto/fingerprint.ts';
import type { FernetKey } from '../crypto/fernetKey.ts';
import type { OpenedToken } from '../crypto/fernetToken.ts';
import type { KeyRing } from '../crypto/keyRing.ts';

export interface OpenTimes {
  readonly ttlSeconds: number;
  readonly now: () => number;
}

/**
 * The client actor's Fernet, as streams: each seal or open is an observable of one value (or a
 * FernetError), so that one actor serves a synchronous codec (Node's crypto: the value comes at
 * once, and the terminal client behaves as it always did) and an asynchronous one (Web Crypto in
 * the page: the value comes later, and the actor keeps frames in order meanwhile).
 */
export interface ClientCodec {
  /** The primary key's fingerprint, for people to compare. */
  readonly fingerprint: string;
  /** The key that encrypts, which what we sign is bound to (protocol/signedEnvelope.ts). */
  readonly primary: FernetKey;
  /** The token for a plaintext, stamped `now` (unix seconds). */
  seal(plaintext: string, now: number): Observable<string>;
  open(frame: string, times: OpenTimes): Observable<OpenedToken>;
}

/** A KeyRing as a codec: every answer emitted at once, in the caller's turn. */
export function ringCodec(ring: KeyRing): ClientCodec {
  return {
    fingerprint: fingerprint(ring.primary),
    primary: ring.primary,
    seal: (plaintext, now) => defer(() => of(ring.encrypt(plaintext, { now }))),
    open: (frame, times) => defer(() => of(ring.open(frame, times))),
  };
}

/** What a codec built on promises offers (WebKeyRing). */
export interface PromisedRing {
  readonly fingerprint: string;
  readonly primary: FernetKey;
  encrypt(plaintext: string, options: { now: number }): Promise<string>;
  open(frame: string, times: OpenTimes): Promise<OpenedToken>;
}

/** A ring whose work is promised (Web Crypto) as a codec. */
export function promisedCodec(ring: PromisedRing): ClientCodec {
  return {
    fingerprint: ring.fingerprint,
    primary: ring.primary,
    seal: (plaintext, now) => defer(() => from(ring.encrypt(plaintext, { now }))),
    open: (frame, times) => defer(() => from(ring.open(frame, times))),
  };
}
