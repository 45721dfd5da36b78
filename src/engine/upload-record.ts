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
import type { PersistentFileHandle } from './persistent-file-handle.js';

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
  /**
   * Who paused it: the engine auto-resumes only its own (offline) pauses. `reload`: restored
   * from a store after the page went away, waiting for its file.
   */
  pausedBy?: 'user' | 'offline' | 'reload';
  /** Records of one engine carry its `storeScope` (the element: its endpoint); only those are restored. */
  scope: string;
  /**
   * File key plus SHA-1 of head and tail samples (file-fingerprint.ts), once computed. Only
   * engines with a store fingerprint files; it names the file's Web Lock across tabs.
   */
  fingerprint?: string;
  /** ms since epoch after which the provider has dropped the upload, so the record is useless. */
  expiresAt: number;
  /**
   * The sequential whole-file SHA-1 so far (hash-wasm state as hex), saved as parts are
   * acknowledged when the session needs a SHA-1. Restored with `HashHandle.sha1Advance`.
   */
  sha1?: { offset: number; state: string };
  /** The furthest the sequential SHA-1 has ever reached, so re-hashed bytes are counted truthfully. */
  sha1Covered?: number;
  /**
   * A handle that can reopen the file after a reload without re-picking (File System Access
   * API). The one field that is not JSON: it is structured-cloned into IndexedDB as it is.
   */
  fileHandle?: PersistentFileHandle;
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
