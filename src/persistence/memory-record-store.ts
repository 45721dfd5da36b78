import type { FinishedMark, RecordStore, RecordStoreProblem, StoredRecord } from './record-store.js';

/** Options of {@link MemoryRecordStore}. */
export interface MemoryRecordStoreOptions {
  /** Reported as `problem` (e.g. why a durable store fell back to this one). */
  problem?: RecordStoreProblem;
  /** Clock (ms since epoch), injectable for tests. */
  now?: () => number;
}

/**
 * Records in memory only: the null-object store (tus-js-client's idea for private mode).
 * Uploads work as usual; nothing survives a reload. Values are structured clones, so a
 * caller changing its object later never changes what is stored (as with IndexedDB).
 *
 * @example
 * const engine = new UploadEngine({ provider, hasher, target, store: new MemoryRecordStore() });
 */
export class MemoryRecordStore<T extends StoredRecord> implements RecordStore<T> {
  readonly durable = false;
  readonly problem: RecordStoreProblem | undefined;
  readonly #records = new Map<string, T>();
  readonly #finished = new Map<string, FinishedMark>();
  readonly #now: () => number;

  constructor(options: MemoryRecordStoreOptions = {}) {
    this.problem = options.problem;
    this.#now = options.now ?? Date.now;
  }

  put(record: T): Promise<void> {
    this.#records.set(record.id, structuredClone(record));
    return Promise.resolve();
  }

  delete(id: string): Promise<void> {
    this.#records.delete(id);
    return Promise.resolve();
  }

  list(): Promise<T[]> {
    const now = this.#now();
    for (const [id, record] of this.#records) if (!(record.expiresAt > now)) this.#records.delete(id);
    return Promise.resolve([...this.#records.values()].map((record) => structuredClone(record)));
  }

  clear(): Promise<void> {
    this.#records.clear();
    this.#finished.clear();
    return Promise.resolve();
  }

  markFinished(mark: FinishedMark): Promise<void> {
    this.#finished.set(mark.key, structuredClone(mark));
    return Promise.resolve();
  }

  finished(key: string): Promise<FinishedMark | undefined> {
    const mark = this.#finished.get(key);
    if (mark === undefined || !(mark.expiresAt > this.#now())) return Promise.resolve(undefined);
    return Promise.resolve(structuredClone(mark));
  }

  close(): void {}
}
