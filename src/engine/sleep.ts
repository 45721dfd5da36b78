// upload-engine.ts imports these from here; they live in src/core so every floor shares one copy.
export { abortError } from '../core/abort-error.js';
export { sleep } from '../core/sleep.js';
export { untilAborted } from '../core/until-aborted.js';
