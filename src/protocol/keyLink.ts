/**
 * A link to the web client that carries a key in its `#fragment`, which browsers never send to
 * the server (PrivateBin, Excalidraw): `http://127.0.0.1:10102/#key=<44 characters>`. The page
 * reads it, removes it from the address bar, and keeps the key in memory only.
 */
const KEY_PARAMETER = 'key';

export function keyLink(pageUrl: string, key: string): string {
  const url = new URL(pageUrl);
  url.hash = `${KEY_PARAMETER}=${key}`;
  return url.toString();
}

/** The key text in a location's fragment (`#key=...`), or undefined. */
export function keyOfFragment(hash: string): string | undefined {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  const value = new URLSearchParams(fragment).get(KEY_PARAMETER);
  // URLSearchParams reads '+' as a space; base64url keys have none, but say what was sent.
  return value === null || value === '' ? undefined : value.replace(/ /g, '+');
}
