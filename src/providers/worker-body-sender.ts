import { abortError } from '../core/abort-error.js';
import { sendBody, bodyNetworkError, type BodyRequest, type BodyResponse, type BodySender } from './send-body.js';
import type { BodyWorkerDone, WorkerBodyProtocol } from './worker-body-protocol.js';

/** Default time a sender with nothing in flight keeps its worker (ms), like the hash pool. */
export const BODY_WORKER_IDLE_TIMEOUT_MS = 10_000;

/** Where a {@link WorkerBodySender} sends part bodies from, once it has found out. */
export type BodyTransport = 'worker' | 'main-thread';

/** Options of {@link WorkerBodySender}. */
export interface WorkerBodySenderOptions {
  /**
   * Start the worker. The default form, `new Worker(new URL('./worker-body.worker.ts',
   * import.meta.url), { type: 'module' })`, is what Vite and the test runner recognise;
   * override it only when a bundler needs another form.
   */
  createWorker?: () => Worker;
  /** Sends when no worker can: Workers missing, the worker failing to load, or no XHR inside it. Default {@link sendBody}. */
  fallback?: BodySender;
  /** Terminate the worker after this long with nothing in flight (ms); default {@link BODY_WORKER_IDLE_TIMEOUT_MS}. */
  idleTimeoutMs?: number;
}

/** A request handed to the worker, until its `done` arrives or its signal aborts. */
interface Pending {
  onProgress: (loadedBytes: number) => void;
  settle: (outcome: BodyWorkerDone['outcome']) => void;
}

/** One started worker and what is in flight on it. */
interface Lane {
  worker: Worker;
  /** true once the worker says it has XHR; false when it cannot send (the sender then falls back for good). */
  ready: Promise<boolean>;
  pending: Map<number, Pending>;
}

function defaultWorker(): Worker {
  return new Worker(new URL('./worker-body.worker.ts', import.meta.url), { type: 'module' });
}

/** A worker resolves a relative URL against its own script; XHR in the page resolves it against the document. */
function absoluteUrl(url: string): string {
  const base = globalThis.document?.baseURI ?? globalThis.location?.href;
  try {
    return base === undefined ? url : new URL(url, base).href;
  } catch {
    // Left as is: the worker's open() throws on it, like the page's would.
    return url;
  }
}

/**
 * A {@link BodySender} that sends part bodies from a dedicated worker (issue 7, design C).
 * Each part goes over as its `file.slice()` (a reference, no bytes copied); the worker does
 * the XHR and posts back progress (at most every 100 ms) and the response, so the XHR
 * machinery and its continuations cost the main thread nothing per part. An abort posts the
 * request id to the worker. Same contract as {@link sendBody}: every HTTP status resolves, an
 * abort rejects with an `AbortError`, a failed connection with a retryable `network`
 * UploadError. Falls back to {@link sendBody} on the main thread where Workers or worker XHR
 * are missing ({@link WorkerBodySender.transport} says which ran). The worker starts on the
 * first part and stops after `idleTimeoutMs` with nothing in flight.
 *
 * @example
 * const sender = new WorkerBodySender();
 * const provider = createProviderClient('s3', { endpoint: '/upload', sendBody: sender.send });
 */
export class WorkerBodySender {
  readonly #createWorker: () => Worker;
  readonly #fallback: BodySender;
  readonly #idleTimeoutMs: number;
  #lane: Lane | null = null;
  #transport: BodyTransport | null = null;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #nextId = 0;

  constructor(options: WorkerBodySenderOptions = {}) {
    const { idleTimeoutMs = BODY_WORKER_IDLE_TIMEOUT_MS } = options;
    if (!(idleTimeoutMs >= 0)) throw new RangeError(`Idle timeout must be at least 0 ms, not ${idleTimeoutMs}`);
    this.#createWorker = options.createWorker ?? defaultWorker;
    this.#fallback = options.fallback ?? sendBody;
    this.#idleTimeoutMs = idleTimeoutMs;
  }

  /** The sender to pass as `sendBody` (bound: it can be handed around on its own). */
  readonly send: BodySender = (request, onProgress, signal) => this.#send(request, onProgress, signal);

  /** `worker` or `main-thread` once the first part has found out which can send; null before. */
  get transport(): BodyTransport | null {
    return this.#transport;
  }

  /** Stop the worker; requests in flight fail as `network` (retryable) and the next part starts a new one. */
  dispose(): void {
    this.#clearIdleTimer();
    if (this.#lane !== null) this.#stop(this.#lane);
  }

  async #send(request: BodyRequest, onProgress: (loadedBytes: number) => void, signal: AbortSignal): Promise<BodyResponse> {
    if (signal.aborted) throw abortError(signal);
    if (this.#transport === 'main-thread') return this.#fallback(request, onProgress, signal);
    const lane = this.#lane ?? this.#start();
    this.#clearIdleTimer();
    if (lane === null || !(await lane.ready)) {
      this.#transport = 'main-thread';
      return this.#fallback(request, onProgress, signal);
    }
    this.#transport = 'worker';
    if (signal.aborted) {
      this.#armIdleTimer();
      throw abortError(signal);
    }
    return this.#post(lane, request, onProgress, signal);
  }

  #post(lane: Lane, request: BodyRequest, onProgress: (loadedBytes: number) => void, signal: AbortSignal): Promise<BodyResponse> {
    return new Promise((resolve, reject) => {
      const id = ++this.#nextId;
      const onAbort = (): void => {
        if (!lane.pending.delete(id)) return;
        lane.worker.postMessage({ kind: 'abort', id } satisfies WorkerBodyProtocol['command']);
        this.#armIdleTimer();
        reject(abortError(signal));
      };
      lane.pending.set(id, {
        onProgress,
        settle: (outcome) => {
          signal.removeEventListener('abort', onAbort);
          this.#armIdleTimer();
          if (outcome.type === 'response') {
            const { status, headers, text } = outcome;
            resolve({ status, header: (name) => headers[name.toLowerCase()] ?? null, text });
          } else if (outcome.type === 'thrown') {
            reject(new DOMException(outcome.message, outcome.name));
          } else if (outcome.type === 'aborted') {
            reject(abortError(signal));
          } else {
            reject(bodyNetworkError());
          }
        },
      });
      signal.addEventListener('abort', onAbort, { once: true });
      const { url, method, headers, body } = request;
      lane.worker.postMessage({ kind: 'send', id, url: absoluteUrl(url), method, headers, body } satisfies WorkerBodyProtocol['command']);
    });
  }

  /** Start the worker, or null where Workers cannot start (the caller falls back). */
  #start(): Lane | null {
    let worker: Worker;
    try {
      if (typeof Worker !== 'function') return null;
      worker = this.#createWorker();
    } catch {
      return null;
    }
    let answered: (canSend: boolean) => void = () => undefined;
    const lane: Lane = { worker, ready: new Promise((resolve) => (answered = resolve)), pending: new Map() };
    worker.addEventListener('message', (event: MessageEvent<WorkerBodyProtocol['reply']>) => {
      const reply = event.data;
      if (reply.kind === 'ready') {
        answered(reply.xhr);
        if (!reply.xhr) this.#stop(lane);
        return;
      }
      const pending = lane.pending.get(reply.id);
      if (pending === undefined) return; // aborted here already
      if (reply.kind === 'progress') {
        pending.onProgress(reply.loaded);
        return;
      }
      lane.pending.delete(reply.id);
      pending.settle(reply.outcome);
    });
    // A worker that fails to load never says ready (fall back); one that dies mid-request never answers (fail it).
    const onCrash = (event: Event): void => {
      event.preventDefault();
      answered(false);
      this.#stop(lane);
    };
    worker.addEventListener('error', onCrash);
    worker.addEventListener('messageerror', onCrash);
    this.#lane = lane;
    return lane;
  }

  /** Terminate a lane's worker; what was in flight on it fails as retryable `network`. */
  #stop(lane: Lane): void {
    lane.worker.terminate();
    if (this.#lane === lane) this.#lane = null;
    const pending = [...lane.pending.values()];
    lane.pending.clear();
    for (const request of pending) request.settle({ type: 'network' });
  }

  #armIdleTimer(): void {
    const lane = this.#lane;
    if (this.#idleTimer !== null || lane === null || lane.pending.size > 0) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#lane === lane && lane.pending.size === 0) this.#stop(lane);
    }, this.#idleTimeoutMs);
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer === null) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }
}
