// Named re-exports, not `export *`: bundlers then leave the IndexedDB store out of a page that
// only loads it on first use (issue 7 item 9).
export type { FinishedMark, RecordStore, RecordStoreProblem, StoredRecord } from './record-store.js';
export { MemoryRecordStore, type MemoryRecordStoreOptions } from './memory-record-store.js';
export { IdbRecordStore, RECORD_DB_OPEN_TIMEOUT_MS, RECORD_DB_VERSION, type IdbRecordStoreOptions } from './idb-record-store.js';
export { RECORD_DB_NAME, mayHoldRecords } from './may-hold-records.js';
