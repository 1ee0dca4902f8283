import { type WebKeyPair, WebSigner } from '../crypto/webSigner.ts';
import { request, withStore } from './pageDatabase.ts';

/**
 * The page's identity, kept in IndexedDB so that this browser signs with the same key on every
 * visit (a new key each time would warn everyone that the name signs with a new key). IndexedDB
 * keeps CryptoKey objects as they are: the private key stays non-extractable there too.
 */
const SELF = 'self';

/** What signs for this page (none where the browser cannot), and a line to say what is amiss. */
export interface PageIdentity {
  readonly signer?: WebSigner;
  readonly notice?: string;
}

/** Without IndexedDB (some private windows), one key for the visit: leave and join keep it. */
let forThisVisit: WebSigner | undefined;

/** The identity kept in this browser, if there is one; nothing is made. */
export async function keptIdentity(): Promise<WebSigner | undefined> {
  try {
    const pair = await withStore('identity', 'readonly', (store) =>
      request<WebKeyPair | undefined>(store.get(SELF)),
    );
    return pair === undefined ? forThisVisit : await WebSigner.of(pair);
  } catch {
    return forThisVisit;
  }
}

/** The kept identity, or a new one, kept from now on (for this visit only without IndexedDB). */
export async function identityForJoin(): Promise<PageIdentity> {
  const kept = await keptIdentity();
  if (kept !== undefined) return { signer: kept };
  let made: WebSigner;
  try {
    made = await WebSigner.generate();
  } catch {
    // Browsers before Ed25519 in Web Crypto (Firefox 129, Safari 17, Chrome 137) still chat.
    return {
      notice:
        '! this browser cannot make a signing key (no Ed25519 in its Web Crypto), so your lines go out unsigned and the others see them marked ~',
    };
  }
  try {
    // Another tab may have made one meanwhile: then that one is kept, and used here too.
    const pair = await withStore('identity', 'readwrite', async (store) => {
      const there = await request<WebKeyPair | undefined>(store.get(SELF));
      if (there !== undefined) return there;
      await request(store.put(made.pair, SELF));
      return made.pair;
    });
    return { signer: pair === made.pair ? made : await WebSigner.of(pair) };
  } catch {
    forThisVisit = made;
    return {
      signer: made,
      notice:
        '! this browser cannot keep your identity (no IndexedDB here), so you sign with a new key on each visit',
    };
  }
}

/** Forgets the kept identity: the next join makes a new one. */
export async function forgetIdentity(): Promise<void> {
  forThisVisit = undefined;
  try {
    await withStore('identity', 'readwrite', (store) => request(store.delete(SELF)));
  } catch {
    // No IndexedDB: nothing was kept beyond this visit's key, forgotten above.
  }
}
