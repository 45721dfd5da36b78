import { IdbRecordStore } from '../persistence/idb-record-store.js';
import { isUploadRecord } from './is-upload-record.js';
import type { UploadRecord } from './upload-record.js';
import type { UploadStore } from './upload-store.js';

/**
 * The element's store of upload records: IndexedDB, dropping values that are not upload
 * records. A module of its own so the element loads it (and idb) on first use, not on page
 * load (issue 7 item 9).
 *
 * @example
 * const store = lazyUploadStore(async () => (await import('./upload-record-store.js')).uploadRecordStore());
 */
export function uploadRecordStore(): UploadStore {
  return new IdbRecordStore<UploadRecord>({ isValid: isUploadRecord });
}
