// Main-thread entry of src/hashing. Nothing here may import hash-wasm: only
// hash.worker.ts does, so the wasm never loads in the window.
export { HashPool, HASH_POOL_IDLE_TIMEOUT_MS, HASH_POOL_MAX_WORKERS, HASH_SLICE_BYTES, type HashPoolOptions } from './hash-pool.js';
export { SHA1_BLOCK_BYTES, SHA1_STATE_BYTES, cosDatasha, sha1StateOffset, sha1StateWords } from './sha1-state.js';
export { bytesToBase64, encodeChecksum, type IndependentChecksumKind } from './encode-checksum.js';
export type { HashHandle, HashService, Sha1Checkpoint } from '../core/hash-service.js';
