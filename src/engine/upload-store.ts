import type { UploadRecord } from './upload-record.js';

/**
 * Where upload records are kept between page loads. The engine calls `put` after every
 * acknowledged part and status change, and `delete` once an upload is done or cancelled.
 * Issue 4 implements it over IndexedDB; without a store the engine keeps records in memory
 * only (tus-js-client's null-object storage, e.g. for private mode). Calls are best effort:
 * a failing store never fails an upload.
 */
export interface UploadStore {
  put(record: UploadRecord): Promise<void>;
  delete(id: string): Promise<void>;
  /** Unfinished records, for resuming after a reload (used by issue 4). */
  list(): Promise<UploadRecord[]>;
}
