import type { UploadResult } from '../core/index.js';

/** What every stored record carries: its key and the time after which it is of no use. */
export interface StoredRecord {
  readonly id: string;
  /** ms since epoch; `list()` drops (and deletes) records past it. */
  readonly expiresAt: number;
}

/**
 * A finished upload, kept for a short while after its record is deleted, so that another
 * tab that waited for the same file (Web Locks) can finish with this result instead of
 * uploading the file again.
 */
export interface FinishedMark {
  /** Names the file: the engine uses its scope and fingerprint. */
  readonly key: string;
  readonly result: UploadResult;
  /** ms since epoch. */
  readonly expiresAt: number;
}

/** Why a store keeps records in memory only (they will not survive a reload). */
export type RecordStoreProblem =
  /** IndexedDB is missing or refuses to open (private mode, storage disabled, sandboxed frame). */
  | 'unavailable'
  /** The origin's storage quota is exhausted. */
  | 'quota'
  /** A newer version of the page upgraded the database; this page's schema is outdated. */
  | 'superseded';

/**
 * Where records of uploads in flight are kept between page loads (Uppy golden-retriever's
 * idea, with tus-js-client's null-object fallback). Every write replaces one whole record
 * in one transaction, so a record is never half written. Calls never throw for storage
 * trouble: a store that cannot persist keeps records in memory and says so in `durable`.
 */
export interface RecordStore<T extends StoredRecord> {
  /** False once records only live in memory (see `problem`). */
  readonly durable: boolean;
  /** Why the store is not durable, when it is not. */
  readonly problem: RecordStoreProblem | undefined;
  /** Insert or replace the record with `record.id`. */
  put(record: T): Promise<void>;
  delete(id: string): Promise<void>;
  /** Every unexpired, well-formed record; expired and corrupt ones are deleted on the way. */
  list(): Promise<T[]>;
  /** Delete every record and finished mark. */
  clear(): Promise<void>;
  markFinished(mark: FinishedMark): Promise<void>;
  /** The unexpired finished mark with this key, if any. */
  finished(key: string): Promise<FinishedMark | undefined>;
  /** Let go of the database (the next call opens it again). */
  close(): void;
}
