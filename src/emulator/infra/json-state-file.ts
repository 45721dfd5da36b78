import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A small JSON document on disk (a flavour's metadata: tokens, names, sizes, parents), written
 * atomically (temp file + rename) and one write at a time, so a restart finds the last
 * complete state and finished files stay downloadable.
 */
export class JsonStateFile<T> {
  readonly path: string;
  #chain: Promise<void> = Promise.resolve();

  /** @param path the JSON file, e.g. `<dataDir>/feishu/state.json`. */
  constructor(path: string) {
    this.path = path;
  }

  /** The stored value, or undefined when the file does not exist yet. */
  async load(): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return JSON.parse(text) as T;
  }

  /** Queues a write of `value` as it is now; resolves when it is on disk. */
  save(value: T): Promise<void> {
    const text = JSON.stringify(value, null, 1);
    const next = this.#chain.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, this.path);
    });
    // Keep the chain alive after a failed write; the caller still sees the error.
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Resolves when every queued write has finished. */
  async flush(): Promise<void> {
    await this.#chain;
  }
}
