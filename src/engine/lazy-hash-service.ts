import { loadOnce } from '../core/load-once.js';
import type { HashHandle, HashService, PartChecksumKind, Sha1Checkpoint } from '../core/index.js';

/** A handle whose file reaches the pool once the pool's code has loaded. */
class LazyHashHandle implements HashHandle {
  readonly #handle: Promise<HashHandle>;
  #loaded: HashHandle | undefined;
  #closed = false;

  constructor(service: Promise<HashService>, file: Blob) {
    this.#handle = service.then((pool) => {
      const handle = pool.open(file);
      this.#loaded = handle;
      if (this.#closed) handle.close();
      return handle;
    });
    // Every caller awaits the handle and sees the failure; this only keeps it from being reported unhandled.
    this.#handle.catch(() => undefined);
  }

  async partChecksum(kind: PartChecksumKind, start: number, end: number, signal?: AbortSignal): Promise<string> {
    return (await this.#handle).partChecksum(kind, start, end, signal);
  }

  async sha1Advance(end: number, from?: Sha1Checkpoint, signal?: AbortSignal): Promise<Sha1Checkpoint> {
    return (await this.#handle).sha1Advance(end, from, signal);
  }

  async sha1Digest(signal?: AbortSignal): Promise<string> {
    return (await this.#handle).sha1Digest(signal);
  }

  get bytesHashed(): number {
    return this.#loaded?.bytesHashed ?? 0;
  }

  close(): void {
    this.#closed = true;
    this.#loaded?.close();
  }
}

/**
 * A HashService whose implementation (src/hashing's pool and comlink) loads on the first
 * `open`, so a page pays for it only once it uploads (issue 7 item 9). A failed load is a
 * retryable network error and the next `open` tries again.
 *
 * @example
 * const hasher = lazyHashService(async () => new (await import('../hashing/index.js')).HashPool());
 */
export function lazyHashService(load: () => Promise<HashService>): HashService {
  const pool = loadOnce(load, 'The hashing code could not be loaded');
  return {
    open: (file) => new LazyHashHandle(pool.get(), file),
    // Nothing loaded means no worker to stop.
    dispose: () => pool.value?.dispose(),
  };
}
