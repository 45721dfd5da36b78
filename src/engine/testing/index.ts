export * from './adler32.js';
export * from './fake-hash-service.js';
export * from './fake-provider-client.js';
export * from './engine-harness.js';
export * from './fake-upload-locks.js';
export * from './engine-fixture.js';
export * from './spec-pattern.js';
