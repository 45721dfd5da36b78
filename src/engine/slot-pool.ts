import { abortError } from '../core/abort-error.js';

/** Gives back a slot taken from a SlotPool. Calling it twice is harmless. */
export type ReleaseSlot = () => void;

/**
 * A FIFO counting semaphore whose capacity may change while it is in use (the engine's
 * `concurrency` option can be patched). FIFO order interleaves the parts of several
 * uploads fairly: a file added later still gets slots while an earlier one runs.
 *
 * @example
 * const release = await pool.acquire(signal);
 * try { await send(); } finally { release(); }
 */
export class SlotPool {
  #capacity: () => number;
  #taken = 0;
  #waiters: Array<{ grant: (release: ReleaseSlot) => void }> = [];
  #maxTaken = 0;

  /** @param capacity read on every grant, so a new value applies at once. */
  constructor(capacity: () => number) {
    this.#capacity = capacity;
  }

  /** Slots in use now. */
  get taken(): number {
    return this.#taken;
  }

  /** The most slots ever in use at once (for tests and benchmarks). */
  get maxTaken(): number {
    return this.#maxTaken;
  }

  /** Wait for a free slot; rejects with an AbortError when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<ReleaseSlot> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: (release: ReleaseSlot): void => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = (): void => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#drain();
    });
  }

  /** Grant slots to waiters after a release or a capacity change. */
  #drain(): void {
    while (this.#waiters.length > 0 && this.#taken < Math.max(1, this.#capacity())) {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) return;
      this.#taken += 1;
      this.#maxTaken = Math.max(this.#maxTaken, this.#taken);
      let released = false;
      waiter.grant(() => {
        if (released) return;
        released = true;
        this.#taken -= 1;
        this.#drain();
      });
    }
  }

  /** Re-check capacity (call after it grew). */
  poke(): void {
    this.#drain();
  }
}
