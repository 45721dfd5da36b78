import type {
  PartChecksumKind,
  PartReceipt,
  ProviderName,
  UploadCounters,
  UploadErrorData,
  UploadHistoryEntry,
  UploadResult,
  UploadSession,
  UploadStatus,
} from '../core/index.js';

/**
 * Everything the engine knows about one upload that must survive a reload, as plain
 * data (JSON and structured-clone safe). Runtime-only state (requests in flight, timers,
 * hash handles, the File itself) lives beside it, never in it, so an IndexedDB store
 * (issue 4) can persist this record as it is.
 */
export interface UploadRecord {
  id: string;
  name: string;
  size: number;
  type: string;
  /** ms since epoch, from File.lastModified. */
  lastModified: number;
  /** Provider that holds (or will hold) the session. */
  provider: ProviderName;
  /** Target, part size and options as they were when the file was added. */
  target: string;
  chunkSize?: number;
  providerOptions?: Record<string, string | number | boolean>;
  status: UploadStatus;
  /** Who paused it: the engine auto-resumes only its own (offline) pauses. */
  pausedBy?: 'user' | 'offline';
  /** The open session, including its ticket (the client refreshes the ticket in place). */
  session?: UploadSession;
  /** Parts the current session acknowledged, by index. */
  receipts: Record<number, PartReceipt>;
  /** Part checksums already computed, by index, valid for `checksumPlan` (reused across sessions). */
  checksums: Record<number, string>;
  checksumPlan?: { kind: PartChecksumKind; partSize: number };
  /** Parts handed to the network at least once, by index (to count re-sent bytes). */
  sentParts: Record<number, true>;
  counters: UploadCounters;
  history: UploadHistoryEntry[];
  error?: UploadErrorData;
  result?: UploadResult;
  /** ms since epoch. */
  createdAt: number;
  updatedAt: number;
}
