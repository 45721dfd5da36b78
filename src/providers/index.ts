export * from './registry.js';
export * from './feishu.js';
export * from './session-api.js';
export * from './send-body.js';
