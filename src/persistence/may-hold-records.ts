/** Default database name (one per origin, shared by every uploader on the site). */
export const RECORD_DB_NAME = 'cloud-chunk-uploader';

/** Give up on the look after this long (ms) and let the real store decide. */
const LOOK_TIMEOUT_MS = 2000;

/**
 * A cheap look, in raw IndexedDB without `idb`, at whether the record database may hold
 * upload records: false only when the database does not exist or its `uploads` store is
 * empty. Everything else (no IndexedDB or no `databases()`, an error, an older schema, a slow
 * open) answers true, so the real store opens and reports the problem as it always does. It
 * only opens a database `databases()` lists, and aborts the upgrade should it have vanished.
 *
 * It lets the element skip loading the store on page load when there is nothing to restore
 * (issue 7 item 9).
 *
 * @example
 * if (await mayHoldRecords()) records = await store.list();
 */
export async function mayHoldRecords(name: string = RECORD_DB_NAME): Promise<boolean> {
  const factory = globalThis.indexedDB as IDBFactory | undefined;
  // Without databases() an open could create the database (WebKit keeps one whose upgrade was
  // aborted, at a version that would skip the store's first migration): let the store decide.
  if (factory === undefined || typeof factory.databases !== 'function') return true;
  try {
    if (!(await factory.databases()).some((db) => db.name === name)) return false;
  } catch {
    return true;
  }
  return new Promise<boolean>((resolve) => {
    let settled = false;
    const settle = (answer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const timer = setTimeout(() => settle(true), LOOK_TIMEOUT_MS);
    let request: IDBOpenDBRequest;
    try {
      // No version: opens whatever version exists, and only creates (upgrades) when there is none.
      request = factory.open(name);
    } catch {
      settle(true);
      return;
    }
    let absent = false;
    request.onupgradeneeded = () => {
      // The database does not exist; aborting the upgrade leaves it that way.
      absent = true;
      request.transaction?.abort();
    };
    request.onerror = (event) => {
      event.preventDefault();
      settle(!absent);
    };
    request.onblocked = () => settle(true);
    request.onsuccess = () => {
      const db = request.result;
      if (settled || !db.objectStoreNames.contains('uploads')) {
        db.close();
        settle(true);
        return;
      }
      try {
        const count = db.transaction('uploads', 'readonly').objectStore('uploads').count();
        count.onsuccess = () => settle(count.result > 0);
        count.onerror = (event) => {
          event.preventDefault();
          settle(true);
        };
      } catch {
        settle(true);
      } finally {
        // Closing waits for the count's transaction; it never holds up another page's upgrade.
        db.close();
      }
    };
  });
}
