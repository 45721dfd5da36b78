import type { UploadErrorData } from './upload-error.js';
import type { UploadResult } from './protocol.js';

/** Life of one upload. Driven by the engine's pure `transition(state, event)`. */
export type UploadStatus =
  | 'queued'
  | 'preparing'
  | 'uploading'
  | 'paused'
  | 'completing'
  | 'done'
  | 'failed'
  | 'cancelled';

/** Byte counters a test or a benchmark can read to prove what was (not) redone. */
export interface UploadCounters {
  /** Bytes of part bodies handed to the network, including retries and re-sends. */
  bytesSent: number;
  /** Bytes sent for parts that had been sent before (retry, resume, re-session). */
  bytesResent: number;
  /** Bytes read and hashed by the hash pool. */
  bytesHashed: number;
  /** Bytes hashed again although an earlier hash state already covered them. */
  bytesRehashed: number;
  /** Parts retried after a retryable failure. */
  retries: number;
  /** New sessions opened because the old one expired. */
  sessionRenewals: number;
}

/**
 * What an upload waits for outside the engine:
 * - `file`: restored after a reload; pick or drop the same file again to continue;
 * - `permission`: restored with a stored file handle; resuming asks the user's permission once;
 * - `other-tab`: another tab of this site is uploading the same file (Web Locks); this one
 *   takes over, or finishes with the other's result, when that tab lets go.
 */
export type UploadWait = 'file' | 'permission' | 'other-tab';

/** One line of an upload's history (shown for diagnosis, e.g. "session expired, restarted"). */
export interface UploadHistoryEntry {
  /** ms since epoch. */
  at: number;
  status: UploadStatus;
  note?: string;
}

/** A frozen, serialisable view of one upload. Events carry these. */
export interface UploadSnapshot {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly type: string;
  readonly status: UploadStatus;
  /** Bytes acknowledged by the provider. */
  readonly bytesUploaded: number;
  /** Acknowledged plus in flight (XHR upload progress); never above size. */
  readonly bytesTransferred: number;
  /** 0..1, from bytesTransferred. */
  readonly progress: number;
  /** Moving average, bytes per second. */
  readonly speed: number;
  /** Seconds left at the current speed, or null when unknown. */
  readonly eta: number | null;
  readonly partsDone: number;
  readonly partCount: number;
  /** When a retry is scheduled: ms since epoch at which it fires. */
  readonly retryAt?: number;
  /** Set while the upload cannot go on by itself (see UploadWait). */
  readonly waitingFor?: UploadWait;
  readonly error?: UploadErrorData;
  readonly result?: UploadResult;
  readonly counters: Readonly<UploadCounters>;
  readonly history: readonly UploadHistoryEntry[];
}
