import type { Sha1Checkpoint } from '../core/hash-service.js';
import type { IndependentChecksumKind } from './encode-checksum.js';

/**
 * How one job ended inside the worker. Errors travel as plain data because only `name`
 * and `message` of an Error survive postMessage; the pool rebuilds a clear error from it.
 * `bytes` counts what the job read and hashed, also when it was cancelled or failed, so
 * `HashHandle.bytesHashed` stays truthful.
 */
export type HashJobOutcome<T> =
  | { status: 'done'; value: T; bytes: number }
  | { status: 'cancelled'; bytes: number }
  | { status: 'failed'; name: string; message: string; bytes: number };

/** The sequential SHA-1 after an advance; `digest` when the caller asked to finish too. */
export interface Sha1AdvanceResult extends Sha1Checkpoint {
  /** Hex SHA-1 of the covered prefix, computed on a copy so the running state survives. */
  digest?: string;
}

/** Arguments of {@link HashWorkerApi.sha1Advance}. */
export interface Sha1AdvanceRequest {
  fileId: string;
  /** Advance to this byte offset. */
  end: number;
  /** A checkpoint the caller insists on (restored after a reload); loaded even if the worker is elsewhere. */
  from: Sha1Checkpoint | null;
  /**
   * The pool's best known checkpoint at or before `end`, used when the worker's own state
   * is missing or already past `end`. Without one the worker starts again from byte 0.
   */
  fallback: Sha1Checkpoint | null;
  /** Also return the digest of the prefix [0, end). */
  finish: boolean;
}

/**
 * The API a hash worker exposes through Comlink; `hash.worker.ts` implements it and
 * `hash-pool.ts` wraps it, so both sides check against this one type.
 * Job methods take a `jobId` that {@link HashWorkerApi.cancel} refers to.
 */
export interface HashWorkerApi {
  /** Set how many bytes each `Blob.slice().arrayBuffer()` read takes; called once after spawn. */
  configure(sliceBytes: number): void;
  /** Hand the worker a file once; a structured clone of a Blob is a reference, not a copy. */
  open(fileId: string, blob: Blob): void;
  /** Forget a file and its SHA-1 state. */
  close(fileId: string): void;
  /** Checksum of bytes [start, end), encoded for the provider (see `encodeChecksum`). */
  partChecksum(jobId: number, fileId: string, kind: IndependentChecksumKind, start: number, end: number): Promise<HashJobOutcome<string>>;
  /** Continue the file's sequential SHA-1 to `end`; the file's state stays on this worker. */
  sha1Advance(jobId: number, request: Sha1AdvanceRequest): Promise<HashJobOutcome<Sha1AdvanceResult>>;
  /** Stop a running job at its next slice boundary; it then ends as `cancelled`. */
  cancel(jobId: number): void;
}
