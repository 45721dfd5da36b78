export * from './upload-engine.js';
export * from './upload-engine-events.js';
export * from './transition.js';
export * from './upload-record.js';
export * from './upload-store.js';
export * from './connectivity.js';
