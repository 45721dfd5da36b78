import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/** Keys become file names, so they are limited to a safe alphabet. */
const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * File name of an assembled object's part list. It starts with `_`, which {@link SAFE_KEY}
 * never lets a part name start with, so it cannot clash with a part.
 */
const MANIFEST_FILE = '_manifest.json';

/** Bytes a temp blob queues for the disk before `write` waits: big batches, few syscalls. */
const TEMP_BLOB_HIGH_WATER_BYTES = 8 << 20;

/** Read size when streaming stored bytes back (downloads, hashing from disk). */
const READ_CHUNK_BYTES = 1 << 20;

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
  #accepted = 0;
  #closed = false;
  /** Chunks waiting for the disk, written as one `writev` batch. */
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #draining: Promise<void> | undefined;
  #error: Error | undefined;

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
    return this.#accepted === this.#seen;
  }

  /**
   * Appends a chunk. Writes are batched in the background; the promise waits only while
   * more than {@link TEMP_BLOB_HIGH_WATER_BYTES} are queued (the backpressure), so the
   * body keeps streaming while the previous batch is on its way to disk. The chunk must
   * not be modified afterwards (request chunks never are). A failed disk write rejects
   * the next `write` or `close`.
   */
  async write(chunk: Buffer): Promise<void> {
    if (this.#closed) throw new Error('TempBlob already closed');
    this.#throwIfFailed();
    this.#seen += chunk.length;
    this.#observe?.(chunk);
    const room = this.#maxBytes - this.#accepted;
    if (room <= 0 || chunk.length === 0) return;
    const slice = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#accepted += slice.length;
    this.#queue.push(slice);
    this.#queuedBytes += slice.length;
    this.#draining ??= this.#drain();
    if (this.#queuedBytes >= TEMP_BLOB_HIGH_WATER_BYTES) await this.#draining;
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#error !== undefined) throw this.#error;
  }

  /** Writes queued batches until the queue is empty. Never rejects: the error is kept for the writer. */
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        const bytes = this.#queuedBytes;
        this.#queue = [];
        this.#queuedBytes = 0;
        await this.#writeAll(batch, bytes);
      }
    } catch (error) {
      this.#error = error instanceof Error ? error : new Error(String(error));
      this.#queue = [];
      this.#queuedBytes = 0;
    } finally {
      this.#draining = undefined;
    }
  }

  async #writeAll(batch: Buffer[], bytes: number): Promise<void> {
    const { bytesWritten } = await this.#handle.writev(batch);
    if (bytesWritten === bytes) return;
    // A short writev (rare on regular files): finish byte-exactly from where it stopped.
    const rest = Buffer.concat(batch).subarray(bytesWritten);
    let offset = 0;
    while (offset < rest.length) offset += (await this.#handle.write(rest, offset, rest.length - offset)).bytesWritten;
  }

  /** Flushes and closes the file handle (idempotent); rejects if a queued write failed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      while (this.#draining) await this.#draining;
    } finally {
      await this.#handle.close();
    }
    this.#throwIfFailed();
  }

  /** Closes and deletes the file (idempotent, never throws). */
  async discard(): Promise<void> {
    await this.close().catch(() => undefined);
    await rm(this.path, { force: true }).catch(() => undefined);
  }
}

/** An inclusive byte range of a stored object. */
export interface BlobRange {
  start: number;
  end: number;
}

/** How an object's bytes lie on disk: one file, or the upload's part files in order. */
interface ObjectLayout {
  size: number;
  /** Absolute paths and sizes, in object order. */
  pieces: { path: string; size: number }[];
}

/** On-disk form of {@link MANIFEST_FILE}: part file names (relative to the object folder) and sizes. */
interface Manifest {
  size: number;
  parts: { file: string; size: number }[];
}

/**
 * Blob storage on disk for one flavour: temporary files, upload parts (one file per part,
 * written as they arrive) and finished objects, so no whole file is ever held in memory
 * (task brief; cloud-apis.md §7 "store parts out of order; assemble by index").
 *
 * Layout under `root`: `tmp/`, `uploads/<upload>/<part>`, and `objects/<key>`, which is
 * either one file (single PUTs) or, for an assembled multipart object, the upload's folder
 * moved there whole with a `_manifest.json` listing its parts in order. Completing an
 * upload therefore costs O(parts) (a few renames and one small file), not a copy of every
 * byte, and no byte is on disk twice; reads stream across the part files.
 */
export class BlobStore {
  readonly root: string;
  /** Layouts of objects read or assembled by this process (objects never change in place). */
  readonly #layouts = new Map<string, ObjectLayout>();

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
    return join(this.#uploadDir(upload), checkKey('part', String(part)));
  }

  /** Path of one stored object: a file, or a folder of parts (see the class comment). */
  objectPath(key: string): string {
    return join(this.root, 'objects', checkKey('object', key));
  }

  #uploadDir(upload: string): string {
    return join(this.root, 'uploads', checkKey('upload', upload));
  }

  /** Moves a finished temporary file into place as a part; a re-sent part overwrites the old one. */
  async commitPart(temp: TempBlob, upload: string, part: string | number): Promise<void> {
    await temp.close();
    await mkdir(this.#uploadDir(upload), { recursive: true });
    await rename(temp.path, this.partPath(upload, part));
  }

  /** Moves a finished temporary file into place as an object (replacing one with the same key). */
  async commitObject(temp: TempBlob, key: string): Promise<void> {
    await temp.close();
    await this.deleteObject(key);
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
   * Makes the given parts, in the given order, the object `key` and returns its size. The
   * bytes are not copied: the upload's folder becomes the object (parts not listed are
   * deleted), so afterwards the upload has no parts left. `check` sees the total size
   * before anything moves; when it throws, the upload is untouched. A missing part rejects
   * (ENOENT), also before anything moves.
   */
  async assemble(upload: string, parts: readonly (string | number)[], key: string, check?: (size: number) => void | Promise<void>): Promise<number> {
    const dir = this.#uploadDir(upload);
    // An empty object (no parts) has no upload folder yet.
    await mkdir(dir, { recursive: true });
    const listed = parts.map((part) => checkKey('part', String(part)));
    const manifest: Manifest = { size: 0, parts: [] };
    for (const file of listed) {
      const { size } = await stat(join(dir, file));
      manifest.parts.push({ file, size });
      manifest.size += size;
    }
    await check?.(manifest.size);
    // Parts the caller left out (S3 may complete with a subset) must not keep disk space.
    const keep = new Set(listed);
    for (const name of await readdir(dir)) if (!keep.has(name)) await unlink(join(dir, name)).catch(() => undefined);
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
    await this.deleteObject(key);
    await rename(dir, this.objectPath(key));
    this.#layouts.set(key, this.#layoutOf(key, manifest));
    return manifest.size;
  }

  /** Deletes an upload's parts (idempotent). */
  async deleteUpload(upload: string): Promise<void> {
    await rm(this.#uploadDir(upload), { recursive: true, force: true });
  }

  /** Deletes an object, a file or a folder of parts (idempotent). */
  async deleteObject(key: string): Promise<void> {
    this.#layouts.delete(key);
    await rm(this.objectPath(key), { recursive: true, force: true });
  }

  /** Size of an object, or undefined when it is missing. */
  async objectSize(key: string): Promise<number | undefined> {
    try {
      return (await this.#layout(key)).size;
    } catch {
      return undefined;
    }
  }

  /**
   * A read stream over an object, optionally a byte range (inclusive `end`), streamed across
   * the part files of an assembled object. A missing object errors the stream (ENOENT).
   */
  openObject(key: string, range?: BlobRange): Readable {
    return Readable.from(this.#read(key, range), { objectMode: false });
  }

  async *#read(key: string, range: BlobRange | undefined): AsyncGenerator<Buffer, void, undefined> {
    const layout = await this.#layout(key);
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? layout.size - 1, layout.size - 1);
    let offset = 0;
    for (const piece of layout.pieces) {
      const from = Math.max(start, offset);
      const to = Math.min(end, offset + piece.size - 1);
      if (from <= to) {
        for await (const chunk of createReadStream(piece.path, { start: from - offset, end: to - offset, highWaterMark: READ_CHUNK_BYTES })) yield chunk as Buffer;
      }
      offset += piece.size;
      if (offset > end) return;
    }
  }

  async #layout(key: string): Promise<ObjectLayout> {
    const known = this.#layouts.get(key);
    if (known) return known;
    const path = this.objectPath(key);
    const info = await stat(path);
    let layout: ObjectLayout;
    if (info.isDirectory()) {
      // An object assembled by an earlier run: its manifest says which files, in which order.
      const manifest = JSON.parse(await readFile(join(path, MANIFEST_FILE), 'utf8')) as Manifest;
      layout = this.#layoutOf(key, manifest);
    } else {
      layout = { size: info.size, pieces: [{ path, size: info.size }] };
    }
    this.#layouts.set(key, layout);
    return layout;
  }

  #layoutOf(key: string, manifest: Manifest): ObjectLayout {
    const dir = this.objectPath(key);
    return { size: manifest.size, pieces: manifest.parts.map((p) => ({ path: join(dir, checkKey('part', p.file)), size: p.size })) };
  }
}
