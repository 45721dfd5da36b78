export * from './registry.js';
export * from './feishu.js';
export * from './pds.js';
export * from './cos-legacy.js';
export * from './cos-legacy-slice-error.js';
export * from './cos-legacy-uploadparts.js';
export * from './session-api.js';
export * from './send-body.js';
