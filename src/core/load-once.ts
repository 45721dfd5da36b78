import { UploadError } from './upload-error.js';

/** A value loaded on first use; see {@link loadOnce}. */
export interface LoadOnce<T> {
  /** The value, loading it on the first call (and on the first call after a failed load). */
  get(): Promise<T>;
  /** The value once a load has succeeded; undefined before (nothing to dispose, nothing known yet). */
  readonly value: T | undefined;
  /** A load is under way or has succeeded. */
  readonly started: boolean;
}

/**
 * Load something (a lazily imported chunk) once, on first use, for every caller. A failed
 * load is forgotten, so the next `get()` tries again (the chunk's request may have dropped,
 * or a deploy came in between), and rejects with a retryable `network` UploadError whose
 * `cause` is the load's error.
 *
 * @param failure The UploadError's message, naming what could not be loaded.
 * @example
 * const pool = loadOnce(async () => new (await import('../hashing/hash-pool.js')).HashPool(), 'The hashing code could not be loaded');
 * const handle = (await pool.get()).open(file);
 */
export function loadOnce<T>(load: () => Promise<T>, failure: string): LoadOnce<T> {
  let loading: Promise<T> | undefined;
  let value: T | undefined;
  return {
    get: () =>
      (loading ??= load().then(
        (loaded) => {
          value = loaded;
          return loaded;
        },
        (error: unknown) => {
          loading = undefined;
          throw new UploadError({ code: 'network', kind: 'retry', message: failure }, { cause: error });
        },
      )),
    get value() {
      return value;
    },
    get started() {
      return loading !== undefined;
    },
  };
}
