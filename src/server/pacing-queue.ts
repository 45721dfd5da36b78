import { HttpError } from './http-error.js';

/** Options of one pacing queue. */
export interface PacingQueueOptions {
  /** Calls allowed per second, e.g. Feishu's 5 QPS per upload endpoint. */
  ratePerSecond: number;
  /** A caller that would wait longer than this gets 429 at once instead (ms). */
  maxWaitMs: number;
  /**
   * Extra gap added to every spacing (ms), so jitter between our start and the provider's
   * arrival clock cannot squeeze one call too many into a one-second window. Default 0.
   */
  marginMs?: number;
  /** Monotonic clock (ms); injectable for tests. Default `performance.now`. */
  now?: () => number;
  /** Timer; injectable for tests. Default `setTimeout`. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Paces calls to one provider endpoint app-wide (in this process): starts are spaced at least
 * `1000 / ratePerSecond` ms apart, first come first served, so no one-second window ever holds
 * more than `ratePerSecond` starts. That is stricter than a bursty token bucket on purpose:
 * Feishu counts 5 QPS per endpoint for the whole app (cloud-apis.md §1.8) and a burst of 5
 * followed by a refill could put 10 calls in one second.
 *
 * Also refuses a second call for the same key (upload id) while one is in flight, because
 * Feishu's files API "does not support concurrent calls" on one upload (§1.4).
 *
 * Implementation: virtual scheduling (GCRA). Each caller reserves the next free start time;
 * reserving is synchronous, so callers queue in arrival order with no array to scan.
 *
 * @example
 * const pacer = new PacingQueue({ ratePerSecond: 5, maxWaitMs: 2000 });
 * const release = await pacer.acquire(uploadId, request.signal);
 * try { await callUploadPart(); } finally { release(); }
 */
export class PacingQueue {
  #intervalMs: number;
  #maxWaitMs: number;
  #now: () => number;
  #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Earliest start time of the next caller (monotonic ms). */
  #nextStart = -Infinity;
  #inFlight = new Set<string>();

  constructor(options: PacingQueueOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('PacingQueue: ratePerSecond must be > 0');
    this.#intervalMs = 1000 / options.ratePerSecond + (options.marginMs ?? 0);
    this.#maxWaitMs = options.maxWaitMs;
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? sleep;
  }

  /**
   * Wait for this caller's turn, then mark `key` in flight. Resolves with a release function
   * (call it exactly once when the upstream call ends). Throws HttpError 429 `rate-limited`
   * with `retryAfterMs` when the wait would exceed `maxWaitMs` or `key` is already in flight.
   */
  async acquire(key: string | undefined, signal?: AbortSignal): Promise<() => void> {
    if (key !== undefined && this.#inFlight.has(key)) {
      throw new HttpError(429, {
        code: 'rate-limited',
        kind: 'rate-limited',
        retryAfterMs: 1000,
        message: 'Another part of this upload is still being sent; the provider forbids concurrent calls on one upload',
      });
    }
    const now = this.#now();
    const start = Math.max(now, this.#nextStart);
    const waitMs = start - now;
    if (waitMs > this.#maxWaitMs) {
      throw new HttpError(429, {
        code: 'rate-limited',
        kind: 'rate-limited',
        retryAfterMs: Math.ceil(waitMs),
        message: 'Too many uploads are sharing the provider rate limit right now; try again shortly',
      });
    }
    this.#nextStart = start + this.#intervalMs;
    if (key !== undefined) this.#inFlight.add(key);
    const release = () => {
      if (key !== undefined) this.#inFlight.delete(key);
    };
    try {
      if (waitMs > 0) await this.#sleep(waitMs, signal);
    } catch (error) {
      // The caller went away while queued: its reserved slot stays spent (harmless, it only
      // makes the queue slightly more conservative), but the key must not stay locked.
      release();
      throw error;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => (signal?.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError'));
    if (signal?.aborted) {
      reject(aborted());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
