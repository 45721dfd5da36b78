import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** Keys become file names, so they are limited to a safe alphabet. */
const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function checkKey(kind: string, key: string): string {
  if (!SAFE_KEY.test(key)) throw new RangeError(`unsafe ${kind} key "${key}"`);
  return key;
}

/** Options of a temporary blob. */
export interface TempBlobOptions {
  /** Bytes written to disk at most; later bytes are only counted (so size checks still work). */
  maxBytes?: number;
  /** Sees every chunk, e.g. to compute a checksum while streaming. */
  observe?: (chunk: Buffer) => void;
}

/**
 * A file being written in the store's tmp folder: bytes go to disk as they arrive.
 * Commit it with {@link BlobStore.commitPart} / {@link BlobStore.commitObject}, or discard it.
 */
export class TempBlob {
  readonly path: string;
  readonly #handle: FileHandle;
  readonly #maxBytes: number;
  readonly #observe: ((chunk: Buffer) => void) | undefined;
  #seen = 0;
  #written = 0;
  #closed = false;

  /** Use {@link BlobStore.createTemp}. */
  constructor(path: string, handle: FileHandle, options: TempBlobOptions) {
    this.path = path;
    this.#handle = handle;
    this.#maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.#observe = options.observe;
  }

  /** All bytes received, including any beyond `maxBytes`. */
  get bytesSeen(): number {
    return this.#seen;
  }

  /** Whether every byte received is on disk (nothing was cut at `maxBytes`). */
  get complete(): boolean {
    return this.#written === this.#seen;
  }

  /** Appends a chunk (awaits the disk write: this is the backpressure). */
  async write(chunk: Buffer): Promise<void> {
    if (this.#closed) throw new Error('TempBlob already closed');
    this.#seen += chunk.length;
    this.#observe?.(chunk);
    const room = this.#maxBytes - this.#written;
    if (room <= 0) return;
    const slice = chunk.length > room ? chunk.subarray(0, room) : chunk;
    let offset = 0;
    while (offset < slice.length) {
      const { bytesWritten } = await this.#handle.write(slice, offset, slice.length - offset);
      offset += bytesWritten;
    }
    this.#written += slice.length;
  }

  /** Flushes and closes the file handle (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
  }

  /** Closes and deletes the file (idempotent, never throws). */
  async discard(): Promise<void> {
    await this.close().catch(() => undefined);
    await rm(this.path, { force: true }).catch(() => undefined);
  }
}

/**
 * Blob storage on disk for one flavour: temporary files, upload parts (one file per part,
 * written as they arrive) and finished objects (assembled by streaming the parts in order),
 * so no whole file is ever held in memory (task brief; cloud-apis.md §7 "store parts out of
 * order; assemble by index").
 *
 * Layout under `root`: `tmp/`, `uploads/<upload>/<part>`, `objects/<key>`.
 */
export class BlobStore {
  readonly root: string;

  /** @param root folder of this flavour's blobs, e.g. `<dataDir>/feishu`. */
  constructor(root: string) {
    this.root = root;
  }

  /** Creates the folders (and clears stale temporaries from a previous run). */
  async init(): Promise<void> {
    await rm(join(this.root, 'tmp'), { recursive: true, force: true });
    await mkdir(join(this.root, 'tmp'), { recursive: true });
    await mkdir(join(this.root, 'uploads'), { recursive: true });
    await mkdir(join(this.root, 'objects'), { recursive: true });
  }

  /** Opens a new temporary file to stream bytes into. */
  async createTemp(options: TempBlobOptions = {}): Promise<TempBlob> {
    const path = join(this.root, 'tmp', `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`);
    const handle = await open(path, 'wx');
    return new TempBlob(path, handle, options);
  }

  /** Path of one stored part. */
  partPath(upload: string, part: string | number): string {
    return join(this.root, 'uploads', checkKey('upload', upload), checkKey('part', String(part)));
  }

  /** Path of one stored object. */
  objectPath(key: string): string {
    return join(this.root, 'objects', checkKey('object', key));
  }

  /** Moves a finished temporary file into place as a part; a re-sent part overwrites the old one. */
  async commitPart(temp: TempBlob, upload: string, part: string | number): Promise<void> {
    await temp.close();
    await mkdir(join(this.root, 'uploads', checkKey('upload', upload)), { recursive: true });
    await rename(temp.path, this.partPath(upload, part));
  }

  /** Moves a finished temporary file into place as an object. */
  async commitObject(temp: TempBlob, key: string): Promise<void> {
    await temp.close();
    await rename(temp.path, this.objectPath(key));
  }

  /** Size of a stored part, or undefined when it is missing. */
  async partSize(upload: string, part: string | number): Promise<number | undefined> {
    try {
      return (await stat(this.partPath(upload, part))).size;
    } catch {
      return undefined;
    }
  }

  /**
   * Streams the given parts, in the given order, into a new object and returns its size.
   * The parts stay in place; call {@link deleteUpload} afterwards.
   */
  async assemble(upload: string, parts: readonly (string | number)[], key: string): Promise<number> {
    const temp = await this.createTemp();
    try {
      for (const part of parts) {
        for await (const chunk of createReadStream(this.partPath(upload, part), { highWaterMark: 1 << 20 })) {
          await temp.write(chunk as Buffer);
        }
      }
      await this.commitObject(temp, key);
      return temp.bytesSeen;
    } catch (error) {
      await temp.discard();
      throw error;
    }
  }

  /** Deletes an upload's parts (idempotent). */
  async deleteUpload(upload: string): Promise<void> {
    await rm(join(this.root, 'uploads', checkKey('upload', upload)), { recursive: true, force: true });
  }

  /** Deletes an object (idempotent). */
  async deleteObject(key: string): Promise<void> {
    await rm(this.objectPath(key), { force: true });
  }

  /** Size of an object, or undefined when it is missing. */
  async objectSize(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.objectPath(key))).size;
    } catch {
      return undefined;
    }
  }

  /** A read stream over an object, optionally a byte range (inclusive `end`). */
  openObject(key: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.objectPath(key), range ? { start: range.start, end: range.end } : {});
  }
}
