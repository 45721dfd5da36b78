/**
 * Messages between {@link WorkerBodySender} and `worker-body.worker.ts` (types only, so both
 * sides check against one definition). Plain data on purpose: only `name` and `message` of an
 * Error survive postMessage, so failures travel as an outcome the page turns into its own errors.
 */

/** Page → worker: send one part body. The Blob is a `file.slice()`; cloning it passes a reference, not the bytes. */
export interface BodyWorkerSend {
  kind: 'send';
  id: number;
  /** Absolute: a worker would resolve a relative URL against its own script, not the page. */
  url: string;
  method: 'PUT' | 'POST';
  headers: Record<string, string>;
  body: Blob;
}

/** Page → worker: abort the request `id` (its AbortSignal fired). */
export interface BodyWorkerAbort {
  kind: 'abort';
  id: number;
}

/** Worker → page, once after it starts: whether it can send at all (XHR exists in this worker). */
export interface BodyWorkerReady {
  kind: 'ready';
  xhr: boolean;
}

/** Worker → page: upload progress of request `id`, at most every `BODY_WORKER_PROGRESS_MS`. */
export interface BodyWorkerProgress {
  kind: 'progress';
  id: number;
  loaded: number;
}

/** Worker → page: request `id` is over. Every HTTP status is a `response`; only a failed connection is `network`. */
export interface BodyWorkerDone {
  kind: 'done';
  id: number;
  outcome:
    | {
      type: 'response';
      status: number;
      /** The response headers the page may read (CORS-exposed), lower-case names. */
      headers: Record<string, string>;
      text: string;
    }
    | { type: 'network' }
    | { type: 'aborted' }
    /** open() or setRequestHeader() threw (a URL or header XHR refuses): the page rethrows it, as its own XHR would. */
    | { type: 'thrown'; name: string; message: string };
}

/** The whole protocol: what the page posts and what the worker answers. */
export interface WorkerBodyProtocol {
  command: BodyWorkerSend | BodyWorkerAbort;
  reply: BodyWorkerReady | BodyWorkerProgress | BodyWorkerDone;
}

/**
 * Shortest gap between two progress messages of one request (ms). The engine throttles its
 * own progress events to 200 ms; half that keeps each of its ticks fresh while posting a
 * tenth of what XHR fires.
 */
export const BODY_WORKER_PROGRESS_MS = 100;
