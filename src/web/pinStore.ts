import type { Pin } from '../actors/pinnedNames.ts';
import { parsePinnedNames, withPin } from '../actors/pinnedNamesText.ts';
import { request, withStore } from './pageDatabase.ts';

/**
 * The names this browser has pinned, per chat key (named by its fingerprint), as the terminal
 * keeps them beside its key file and in the same text: a name that comes back with another key
 * is warned about on a later visit too, not only within one. Where there is no IndexedDB, names
 * stay pinned for the visit (the client actor holds them).
 */
export async function keptPins(room: string): Promise<Pin[]> {
  try {
    const text = await withStore('pins', 'readonly', (store) => request<unknown>(store.get(room)));
    return typeof text === 'string' ? [...parsePinnedNames(text).pins] : [];
  } catch {
    return [];
  }
}

/** Keeps one pin: its name's line replaced, or a new one. */
export async function keepPin(room: string, pin: Pin): Promise<void> {
  try {
    await withStore('pins', 'readwrite', async (store) => {
      const there = await request<unknown>(store.get(room));
      await request(store.put(withPin(typeof there === 'string' ? there : '', pin), room));
    });
  } catch {
    // No IndexedDB: pinned for this visit only.
  }
}
