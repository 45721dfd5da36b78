/** Gives the lock back. Calling it more than once does nothing. */
export type ReleaseLock = () => void;

/**
 * Exclusive locks shared by every tab of the site, so two tabs never upload the same file
 * at once. The engine reaches the browser's Web Locks API through this, so Node tests can
 * inject one (see `testing/fake-upload-locks.ts`).
 */
export interface UploadLocks {
  /**
   * Take the lock `name`. With `wait: false`, resolves `null` at once when someone else
   * holds it; with `wait: true`, resolves when it is granted, or rejects with an
   * AbortError when `signal` aborts first.
   */
  acquire(name: string, options: { wait: boolean; signal?: AbortSignal }): Promise<ReleaseLock | null>;
}

/** The subset of the Web Locks API (`navigator.locks`) the engine uses. */
interface LockManagerLike {
  request(
    name: string,
    options: { mode: 'exclusive'; ifAvailable?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<void> | undefined,
  ): Promise<unknown>;
}

/** Locks where there is nothing to share them with: always granted at once. */
const LOCAL_LOCKS: UploadLocks = { acquire: () => Promise.resolve(() => {}) };

/**
 * The Web Locks API of the current global (a window or a worker), or locks that are always
 * granted where it is missing (Node, old browsers): then each tab only knows its own uploads.
 *
 * @example
 * const release = await globalUploadLocks().acquire('upload:abc', { wait: false });
 * if (release === null) showUploadingElsewhere();
 */
export function globalUploadLocks(): UploadLocks {
  const manager = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (manager === undefined || typeof manager.request !== 'function') return LOCAL_LOCKS;
  return {
    acquire(name, { wait, signal }) {
      return new Promise<ReleaseLock | null>((resolve, reject) => {
        let release: ReleaseLock = () => {};
        // The lock is held for as long as the callback's promise is pending.
        const held = new Promise<void>((done) => {
          release = () => done();
        });
        const options = wait
          ? { mode: 'exclusive' as const, ...(signal !== undefined && { signal }) }
          : { mode: 'exclusive' as const, ifAvailable: true };
        manager.request(name, options, (lock) => {
          if (lock === null) {
            resolve(null);
            return undefined;
          }
          resolve(release);
          return held;
        }).catch(reject);
      });
    },
  };
}
