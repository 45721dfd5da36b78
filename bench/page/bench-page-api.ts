/**
 * What the bench pages expose on `window` for the runner's `page.evaluate` calls (types only,
 * shared by the pages and the node side). Times are `performance.now()` milliseconds of the page.
 */
import type { PartChecksumKind, ProviderName, UploadCounters, UploadErrorData, UploadResult } from '../../src/core/index.js';

/** One request the page sent, from the XHR / fetch hooks. */
export interface NetEntry {
  kind: 'xhr' | 'fetch';
  /**
   * `worker`: an XHR sent by the element's body worker, logged from the page when the part is
   * handed to the worker (start) and when its answer arrives back (end); otherwise the page's own.
   */
  via?: 'worker';
  method: string;
  /** Origin-less path, query dropped (presigned signatures never reach the results), as `net()` returns it. */
  path: string;
  /** Body bytes (0 for none). */
  bytes: number;
  start: number;
  end: number | null;
  status: number | null;
}

/** How to set up `<cloud-chunk-uploader>` for one upload. */
export interface MountOptions {
  endpoint: string;
  provider: ProviderName;
  target: string;
  concurrency?: number;
  chunkSize?: number;
  /**
   * `main-thread`: the element's body worker is replaced by one that says it has no XHR, so its
   * WorkerBodySender falls back to XHR in the page (the baseline of the `sender` measurement).
   * Default `worker`, the product's path.
   */
  bodySender?: 'worker' | 'main-thread';
}

/** One upload through the element, start to finish. */
export interface ElementUploadOutcome {
  /** `parts-done`: every part acknowledged, `complete` not awaited (waitUpload's `untilPartsDone`). */
  status: 'done' | 'parts-done' | 'failed' | 'timeout';
  size: number;
  /** The element's file input fired `change` (the user's pick), or `upload-added` when that was not seen. */
  pickedAt: number;
  addedAt: number;
  /** First part body handed to XHR.send. */
  firstByteAt: number | null;
  /** The last part body request ended (all parts acknowledged, before `complete`). */
  partsDoneAt: number | null;
  doneAt: number;
  counters: UploadCounters | null;
  error: UploadErrorData | null;
  result: UploadResult | null;
  /** Parts in the session's plan (0 when no session was opened). */
  partCount: number;
  /** Start time of each part body request, in order. */
  partStarts: number[];
  /** Part body requests and their bytes. */
  partRequests: number;
  partBytes: number;
  /** Backend / storage calls without a body (sessions, part URLs, complete). */
  controlRequests: number;
}

/** A timed transfer or read. */
export interface Timed {
  ms: number;
  bytes: number;
  /** Anything the caller should see (status, workers used...). */
  detail: Record<string, number | string | null>;
}

/** Long tasks (PerformanceObserver `longtask`) since the last reset. */
export interface LongTaskSummary {
  count: number;
  longestMs: number;
  totalMs: number;
}

/** One long animation frame and the scripts that ran in it (the `long-animation-frame` entry). */
export interface LongFrame {
  start: number;
  duration: number;
  blockingMs: number;
  scripts: { invoker: string; sourceFunctionName: string; sourceURL: string; duration: number }[];
}

/** A hashing job over the picked file. */
export type HashVariant =
  /** Read with no hashing: `workers` 2 mirrors parallel part checksums, 1 the sequential SHA-1. */
  | { kind: 'read-only'; partSize: number; workers: number }
  | { kind: 'part'; checksum: PartChecksumKind; partSize: number }
  | { kind: 'sha1-stream'; partSize: number };

/** `window.ccuBench` on bench/page/index.html. */
export interface BenchPageApi {
  /** A plain `<input type=file id="bench-input">` for the baselines (the runner picks into it). */
  ensureInput(): void;
  /** Size of the file picked into `#bench-input`, or -1. */
  pickedSize(): number;
  /** A fresh `<cloud-chunk-uploader>` with these attributes (the previous one is removed). */
  mountElement(options: MountOptions): Promise<void>;
  /**
   * Wait for the mounted element's first upload to finish, or only until all its parts are
   * acknowledged (`untilPartsDone`: status `completing`), for measurements that do not need the
   * provider's complete (the emulator assembling gigabytes).
   */
  waitUpload(timeoutMs: number, untilPartsDone?: boolean): Promise<ElementUploadOutcome>;
  /** Part body bytes sent from this tab since the last reset, kept in sessionStorage across reloads. */
  tabPartBytes(): number;
  resetTabPartBytes(): void;
  /** Script attribution of long animation frames (≥ 50 ms) since the last resetLongTasks. */
  longFrames(): LongFrame[];
  /** Pick → first part body sent, for the mounted element so far (null before either). */
  firstByteDelay(): number | null;
  /** The mounted element's first upload, as a plain object (or null). */
  currentUpload(): Record<string, unknown> | null;
  /** One XHR with the picked file as the body. */
  rawSend(url: string, method: 'PUT' | 'POST', headers: Record<string, string>): Promise<Timed>;
  /** Hash (or only read) the picked file in workers: the product's HashPool, or the bench's read-only workers. */
  hash(variant: HashVariant): Promise<Timed>;
  /**
   * Design A: the HashPool reads a part to hash it, the main thread's XHR reads it again to send
   * it (`from` `page`); design D: the same, sent by the product's WorkerBodySender (`body-worker`).
   */
  twoReadUpload(sinkUrl: string, partSize: number, concurrency: number, from?: 'page' | 'body-worker'): Promise<Timed>;
  /**
   * A worker hashes each part and sends it with its own XHR: design B sends the bytes it read
   * (`bytes`), design C sends `file.slice()` (design A off the main thread).
   */
  workerUpload(sinkUrl: string, partSize: number, concurrency: number, workers: number, body: 'bytes' | 'slice'): Promise<Timed>;
  resetLongTasks(): void;
  longTasks(): LongTaskSummary;
  /** Whether the browser reports long tasks at all (a 60 ms busy loop is seen). */
  longTasksSupported(): Promise<boolean>;
  resetNet(): void;
  net(): NetEntry[];
  /** Provider names that have a browser client in this build. */
  providers(): string[];
}

/** `window.ccuUppy` on bench/page/uppy.html. */
export interface UppyPageApi {
  /** Upload the file picked into `#bench-input` with Uppy 6 + @uppy/aws-s3, signed by `signUrl`. */
  upload(signUrl: string, timeoutMs: number): Promise<Timed>;
}

declare global {
  interface Window {
    ccuBench: BenchPageApi;
    ccuUppy: UppyPageApi;
  }
}
