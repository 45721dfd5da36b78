import { abortError } from '../../core/abort-error.js';
import type { ReleaseLock, UploadLocks } from '../upload-locks.js';

/**
 * In-process exclusive locks for engine tests: engines that share one instance behave like
 * tabs sharing the browser's Web Locks (a FIFO queue per name).
 *
 * @example
 * const locks = new FakeUploadLocks();
 * const tabA = new UploadEngine({ ...options, store, locks });
 * const tabB = new UploadEngine({ ...options, store, locks });
 */
export class FakeUploadLocks implements UploadLocks {
  readonly #held = new Set<string>();
  readonly #waiting = new Map<string, Array<() => void>>();
  /** Every name asked for, in order (including tries that found the lock taken). */
  readonly requests: string[] = [];

  /** Whether someone holds `name` now. */
  isHeld(name: string): boolean {
    return this.#held.has(name);
  }

  acquire(name: string, options: { wait: boolean; signal?: AbortSignal }): Promise<ReleaseLock | null> {
    this.requests.push(name);
    if (!this.#held.has(name)) return Promise.resolve(this.#grant(name));
    if (!options.wait) return Promise.resolve(null);
    const { signal } = options;
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(abortError(signal));
        return;
      }
      const queue = this.#waiting.get(name) ?? [];
      const onAbort = (): void => {
        const index = queue.indexOf(wake);
        if (index >= 0) queue.splice(index, 1);
        reject(abortError(signal));
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.#grant(name));
      };
      queue.push(wake);
      this.#waiting.set(name, queue);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #grant(name: string): ReleaseLock {
    this.#held.add(name);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held.delete(name);
      const next = this.#waiting.get(name)?.shift();
      next?.();
    };
  }
}
