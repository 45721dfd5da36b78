export * from './provider-name.js';
export * from './upload-error.js';
export * from './protocol.js';
export * from './upload-snapshot.js';
export * from './provider-client.js';
export * from './hash-service.js';
