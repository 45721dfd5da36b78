import type { UploadResult } from '../core/index.js';
import type { UploadRecord } from './upload-record.js';

/**
 * Where upload records are kept between page loads. The engine calls `put` after every
 * acknowledged part and status change, and `delete` once an upload is done or cancelled.
 * src/persistence implements it over IndexedDB (`IdbRecordStore`), with an in-memory
 * fallback (`MemoryRecordStore`, tus-js-client's null-object storage, e.g. for private mode).
 * Calls are best effort: a failing store never fails an upload.
 */
export interface UploadStore {
  put(record: UploadRecord): Promise<void>;
  delete(id: string): Promise<void>;
  /** Unexpired records, for resuming after a reload (`UploadEngine.restore`). */
  list(): Promise<UploadRecord[]>;
  /** Delete every record (`UploadEngine.clearStoredUploads`). */
  clear?(): Promise<void>;
  /** False when records will not survive a reload (memory only: storage unavailable or full). */
  readonly durable?: boolean;
  /**
   * Remember for a while that the file named `key` was uploaded, so another tab waiting for
   * its lock finishes with this result instead of uploading it again.
   */
  markFinished?(mark: { key: string; result: UploadResult; expiresAt: number }): Promise<void>;
  /** The finished mark with this key, if one is still fresh. */
  finished?(key: string): Promise<{ key: string; result: UploadResult; expiresAt: number } | undefined>;
}
