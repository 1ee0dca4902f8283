/**
 * The page's IndexedDB database: what this browser keeps across visits (its identity, the names
 * it has pinned). Version 1 had the identity only; opening it as 2 adds what is missing.
 */
const DATABASE = 'fernet-chat';
const VERSION = 2;
const STORES = ['identity', 'pins'] as const;
export type StoreName = (typeof STORES)[number];

/** Runs `work` in one transaction on `store`; resolves once that transaction has completed. */
export async function withStore<T>(
  store: StoreName,
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => Promise<T>,
): Promise<T> {
  const database = await openDatabase();
  try {
    const transaction = database.transaction(store, mode);
    const done = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    });
    // Together, so that a failed transaction is one error, not also an unhandled rejection.
    const [result] = await Promise.all([work(transaction.objectStore(store)), done]);
    return result;
  } finally {
    database.close();
  }
}

function openDatabase(): Promise<IDBDatabase> {
  // Throws where there is no IndexedDB at all; the callers treat that as "nothing kept".
  const opening = globalThis.indexedDB.open(DATABASE, VERSION);
  opening.onupgradeneeded = () => {
    for (const store of STORES)
      if (!opening.result.objectStoreNames.contains(store)) opening.result.createObjectStore(store);
  };
  return request(opening);
}

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}
