export * from './record-store.js';
export * from './memory-record-store.js';
export * from './idb-record-store.js';
