import { loadOnce } from '../core/load-once.js';
import type { UploadResult } from '../core/index.js';
import type { UploadRecord } from './upload-record.js';
import type { UploadStore } from './upload-store.js';

/** Options of {@link lazyUploadStore}. */
export interface LazyUploadStoreOptions {
  /**
   * A cheap look before loading anything: false when the store surely holds no record, so
   * `list()` (the engine's restore on page load) answers `[]` without loading the store.
   */
  mayHoldRecords?: () => Promise<boolean>;
}

type FinishedMark = { key: string; result: UploadResult; expiresAt: number };

/**
 * An UploadStore whose implementation (src/persistence and idb) loads on the first call
 * that needs it, so a page that only shows the element pays nothing for it (issue 7 item 9).
 * Until it has loaded, `durable` is unknown (undefined): nothing has failed yet.
 *
 * @example
 * const store = lazyUploadStore(async () => (await import('./upload-store-chunk.js')).createStore(), { mayHoldRecords });
 */
export function lazyUploadStore(load: () => Promise<UploadStore>, options: LazyUploadStoreOptions = {}): UploadStore {
  // Store calls are best effort (the engine catches them); a failed load is tried again on the next call.
  const real = loadOnce(load, 'The upload store could not be loaded');
  const store = (): Promise<UploadStore> => real.get();
  return {
    get durable(): boolean | undefined {
      return real.value?.durable;
    },
    put: async (record: UploadRecord) => (await store()).put(record),
    delete: async (id: string) => (await store()).delete(id),
    list: async () => {
      if (!real.started && options.mayHoldRecords !== undefined && !(await options.mayHoldRecords().catch(() => true))) return [];
      return (await store()).list();
    },
    clear: async () => {
      const loaded = await store();
      if (loaded.clear !== undefined) await loaded.clear();
      else for (const record of await loaded.list()) await loaded.delete(record.id);
    },
    markFinished: async (mark: FinishedMark) => (await store()).markFinished?.(mark),
    finished: async (key: string) => (await store()).finished?.(key),
  };
}
