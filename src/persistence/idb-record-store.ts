import type { DBSchema, IDBPDatabase } from 'idb';
import { MemoryRecordStore } from './memory-record-store.js';
import { RECORD_DB_NAME } from './may-hold-records.js';
import type { FinishedMark, RecordStore, RecordStoreProblem, StoredRecord } from './record-store.js';

/**
 * Give up on a database that does not open within this long (ms), e.g. because a tab still
 * running an older version of the page keeps it open and never lets the upgrade through.
 */
export const RECORD_DB_OPEN_TIMEOUT_MS = 5000;

interface RecordDb extends DBSchema {
  /** Upload records by id. Values are `unknown` until checked: storage outlives code versions. */
  uploads: { key: string; value: unknown; indexes: { expiresAt: number } };
  /** Finished marks by key. */
  finished: { key: string; value: FinishedMark; indexes: { expiresAt: number } };
}

/**
 * Schema steps, applied in order from the version a browser has to the newest (Uppy
 * golden-retriever's versioned upgrades). Never edit a released step; add one.
 */
const MIGRATIONS: readonly ((db: IDBPDatabase<RecordDb>) => void)[] = [
  // 0 → 1: upload records.
  (db) => db.createObjectStore('uploads', { keyPath: 'id' }).createIndex('expiresAt', 'expiresAt'),
  // 1 → 2: finished marks, for tabs that waited on the same file.
  (db) => db.createObjectStore('finished', { keyPath: 'key' }).createIndex('expiresAt', 'expiresAt'),
];

/** The schema version this code writes. */
export const RECORD_DB_VERSION = MIGRATIONS.length;

/** Options of {@link IdbRecordStore}. */
export interface IdbRecordStoreOptions<T extends StoredRecord> {
  /** Database name; default {@link RECORD_DB_NAME}. */
  name?: string;
  /**
   * Whether a stored value is a usable record. Values that fail are corrupt (or from an
   * incompatible version) and are deleted by `list()`. Default: has a string `id` and a
   * finite `expiresAt`.
   */
  isValid?: (value: unknown) => value is T;
  /** Clock (ms since epoch), injectable for tests. */
  now?: () => number;
  /** Default {@link RECORD_DB_OPEN_TIMEOUT_MS}. */
  openTimeoutMs?: number;
}

function isStoredRecord<T extends StoredRecord>(value: unknown): value is T {
  if (typeof value !== 'object' || value === null) return false;
  const { id, expiresAt } = value as { id?: unknown; expiresAt?: unknown };
  return typeof id === 'string' && typeof expiresAt === 'number' && Number.isFinite(expiresAt);
}

function errorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Records in IndexedDB (through `idb`), one object store keyed by record id.
 *
 * - Each `put` replaces one whole record in its own transaction: a reader sees the old
 *   record or the new one, never a mix.
 * - Calls run one after another in call order, so a `delete` issued after a `put` wins.
 * - On `versionchange` (a newer page wants to upgrade) the connection closes at once;
 *   the next call opens it again.
 * - IndexedDB missing, refusing to open, blocked, or out of quota: the store falls back to
 *   a {@link MemoryRecordStore} for the rest of the page's life and `durable` turns false,
 *   so uploads go on and the page can say that resuming after a reload is unavailable.
 *
 * @example
 * const store = new IdbRecordStore<UploadRecord>({ isValid: isUploadRecord });
 * const engine = new UploadEngine({ provider, hasher, target, store });
 * await engine.restore();
 */
export class IdbRecordStore<T extends StoredRecord> implements RecordStore<T> {
  readonly #name: string;
  readonly #isValid: (value: unknown) => value is T;
  readonly #now: () => number;
  readonly #openTimeoutMs: number;
  #db: Promise<IDBPDatabase<RecordDb> | undefined> | undefined;
  #memory: MemoryRecordStore<T> | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: IdbRecordStoreOptions<T> = {}) {
    this.#name = options.name ?? RECORD_DB_NAME;
    this.#isValid = options.isValid ?? isStoredRecord;
    this.#now = options.now ?? Date.now;
    this.#openTimeoutMs = options.openTimeoutMs ?? RECORD_DB_OPEN_TIMEOUT_MS;
  }

  get durable(): boolean {
    return this.#memory === undefined;
  }

  get problem(): RecordStoreProblem | undefined {
    return this.#memory?.problem;
  }

  put(record: T): Promise<void> {
    return this.#run(
      async (db) => {
        try {
          const tx = db.transaction('uploads', 'readwrite');
          await Promise.all([tx.store.put(record), tx.done]);
        } catch (error) {
          if (errorName(error) !== 'QuotaExceededError') throw error;
          this.#fallBack('quota');
          // The stored copy is now older than the upload; drop it rather than resume from it
          // after a reload (deleting frees space, so it usually works even when full).
          await db.delete('uploads', record.id).catch(() => undefined);
          await this.#memory?.put(record);
        }
      },
      (memory) => memory.put(record),
    );
  }

  delete(id: string): Promise<void> {
    return this.#run((db) => db.delete('uploads', id), (memory) => memory.delete(id));
  }

  list(): Promise<T[]> {
    return this.#run(
      async (db) => {
        const now = this.#now();
        const kept: T[] = [];
        const tx = db.transaction(['uploads', 'finished'], 'readwrite');
        const uploads = tx.objectStore('uploads');
        for (let cursor = await uploads.openCursor(); cursor; cursor = await cursor.continue()) {
          const value: unknown = cursor.value;
          if (this.#isValid(value) && value.expiresAt > now) kept.push(value);
          else await cursor.delete();
        }
        const finished = tx.objectStore('finished').index('expiresAt');
        for (let cursor = await finished.openCursor(IDBKeyRange.upperBound(now)); cursor; cursor = await cursor.continue()) {
          await cursor.delete();
        }
        await tx.done;
        return kept;
      },
      (memory) => memory.list(),
    );
  }

  clear(): Promise<void> {
    return this.#run(
      async (db) => {
        const tx = db.transaction(['uploads', 'finished'], 'readwrite');
        await Promise.all([tx.objectStore('uploads').clear(), tx.objectStore('finished').clear(), tx.done]);
      },
      (memory) => memory.clear(),
    );
  }

  markFinished(mark: FinishedMark): Promise<void> {
    return this.#run(
      async (db) => {
        await db.put('finished', mark);
      },
      (memory) => memory.markFinished(mark),
    );
  }

  finished(key: string): Promise<FinishedMark | undefined> {
    return this.#run(
      async (db) => {
        const mark = await db.get('finished', key);
        return mark !== undefined && mark.expiresAt > this.#now() ? mark : undefined;
      },
      (memory) => memory.finished(key),
    );
  }

  close(): void {
    const db = this.#db;
    this.#db = undefined;
    void db?.then((open) => open?.close());
  }

  /** Run `op` after every earlier call, on the database or, when there is none, in memory. */
  #run<R>(op: (db: IDBPDatabase<RecordDb>) => Promise<R>, inMemory: (memory: MemoryRecordStore<T>) => Promise<R>): Promise<R> {
    const next = this.#tail.then(async () => {
      let db = await this.#database();
      if (db === undefined) return inMemory(this.#memoryStore());
      try {
        return await op(db);
      } catch (error) {
        // The connection went away under us (closed on versionchange, or by the browser): open again once.
        if (errorName(error) !== 'InvalidStateError') throw error;
        this.#db = undefined;
        db = await this.#database();
        return db === undefined ? inMemory(this.#memoryStore()) : op(db);
      }
    });
    this.#tail = next.catch(() => undefined);
    return next;
  }

  #memoryStore(): MemoryRecordStore<T> {
    this.#memory ??= new MemoryRecordStore<T>({ problem: 'unavailable', now: this.#now });
    return this.#memory;
  }

  #fallBack(problem: RecordStoreProblem): void {
    this.#memory ??= new MemoryRecordStore<T>({ problem, now: this.#now });
  }

  #database(): Promise<IDBPDatabase<RecordDb> | undefined> {
    if (this.#memory !== undefined) return Promise.resolve(undefined);
    this.#db ??= this.#open().catch((error: unknown) => {
      this.#fallBack(errorName(error) === 'VersionError' ? 'superseded' : 'unavailable');
      return undefined;
    });
    return this.#db;
  }

  async #open(): Promise<IDBPDatabase<RecordDb>> {
    if (typeof globalThis.indexedDB === 'undefined') throw new DOMException('IndexedDB is not available here', 'NotSupportedError');
    let opened: IDBPDatabase<RecordDb> | undefined;
    let timedOut = false;
    // idb patches IndexedDB's prototypes when its module runs, so bundlers keep it wherever it is
    // imported statically; loaded here, it costs a page nothing until a store opens (issue 7 item 9).
    const { openDB } = await import('idb');
    const opening = openDB<RecordDb>(this.#name, RECORD_DB_VERSION, {
      upgrade: (db, oldVersion) => {
        for (let step = oldVersion; step < MIGRATIONS.length; step += 1) MIGRATIONS[step]?.(db);
      },
      // A newer version of the page wants to upgrade: never block it (golden-retriever closes too).
      blocking: () => {
        opened?.close();
        this.#db = undefined;
      },
      terminated: () => {
        this.#db = undefined;
      },
    }).then((db) => {
      opened = db;
      if (timedOut) db.close();
      return db;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new DOMException(`IndexedDB did not open within ${String(this.#openTimeoutMs)} ms`, 'TimeoutError'));
      }, this.#openTimeoutMs);
    });
    try {
      return await Promise.race([opening, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
