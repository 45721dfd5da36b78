import type { PartChecksumKind } from './protocol.js';

/** SHA-1 progress over a file prefix, restorable after a reload (hash-wasm `save()` state). */
export interface Sha1Checkpoint {
  /** Bytes of the file the state covers (a multiple of 64 unless it is the whole file). */
  offset: number;
  /** Opaque hasher state; only valid for the same hash-wasm build. */
  state: Uint8Array;
}

/**
 * Hashing off the main thread. The engine depends on this interface; src/hashing
 * implements it with a Comlink worker pool running hash-wasm.
 */
export interface HashService {
  /** Hand a file to the pool once; the workers read their own slices of it. */
  open(file: Blob): HashHandle;
  /** Terminate idle workers now. */
  dispose(): void;
}

/** One file inside the hash pool. */
export interface HashHandle {
  /** The checksum of bytes [start, end) in the encoding the provider expects. */
  partChecksum(kind: PartChecksumKind, start: number, end: number, signal?: AbortSignal): Promise<string>;
  /**
   * Advance the sequential whole-file SHA-1 to `end`, starting from `from` (a checkpoint
   * restored from storage) or from where it stood. Returns the new checkpoint.
   */
  sha1Advance(end: number, from?: Sha1Checkpoint, signal?: AbortSignal): Promise<Sha1Checkpoint>;
  /** Finish the whole-file SHA-1 (hex, lowercase). Requires the state to cover the file. */
  sha1Digest(signal?: AbortSignal): Promise<string>;
  /** Bytes this handle has read and hashed so far (all algorithms). */
  readonly bytesHashed: number;
  /** Release the file from the workers. */
  close(): void;
}
