import { join } from 'node:path';
import { BlobStore } from '../infra/blob-store.js';
import { JsonStateFile } from '../infra/json-state-file.js';

/** One entry of `uploadparts` / `listparts` (cloud-apis.md §3.7). */
export interface CosLegacySlice {
  offset: number;
  datalen: number;
  datasha: string;
}

/** An unfinished slice upload (init done, finish not yet). */
export interface CosLegacySessionRecord {
  session: string;
  /** Path inside the bucket, decoded, no leading `/` (e.g. `docs/report.bin`). */
  path: string;
  filesize: number;
  sliceSize: number;
  /** Whole-file SHA-1 (lowercase hex) from init, when sent. */
  sha?: string;
  /** Per-slice expectations from init (parallel mode); absent → serial_upload = 1. */
  uploadparts?: CosLegacySlice[];
  insertOnly: boolean;
  bizAttr?: string;
  /** Emulator clock (ms) at init. */
  createdAt: number;
  /** Expired early (admin route or fault); answers `-197` from then on [infer]. */
  expired: boolean;
  /** Slice requests accepted so far (re-sends count), for the early-expiry fault. */
  acceptedSlices: number;
  /** Received slices by index: length and the datasha the bytes produce (§3.7 form). */
  parts: Record<string, { datalen: number; datasha: string }>;
}

/** A stored file. */
export interface CosLegacyFileRecord {
  /** Path inside the bucket, decoded, no leading `/`. */
  path: string;
  size: number;
  /** SHA-1 of the bytes, lowercase hex. */
  sha: string;
  /** CRC-64/ECMA of the bytes, unsigned decimal (sent as `x-cos-hash-crc64ecma` on download). */
  crc64: string;
  bizAttr?: string;
  createdAt: number;
  /** Blob store object key; rapid uploads share the key of the content they matched. */
  objectKey: string;
}

interface CosLegacyStateDoc {
  version: 1;
  sessions: Record<string, CosLegacySessionRecord>;
  files: Record<string, CosLegacyFileRecord>;
}

/**
 * The COS legacy flavour's persistent state: metadata in `<dataDir>/cos-legacy/state.json`,
 * bytes in a {@link BlobStore} under `<dataDir>/cos-legacy` (slices keyed by session and
 * index, objects by a random key). A restart keeps files downloadable and sessions resumable.
 */
export class CosLegacyState {
  readonly store: BlobStore;
  /** By session id. */
  readonly sessions = new Map<string, CosLegacySessionRecord>();
  /** By path inside the bucket. */
  readonly files = new Map<string, CosLegacyFileRecord>();
  readonly #file: JsonStateFile<CosLegacyStateDoc>;

  /** @param dataDir the emulator's data folder. */
  constructor(dataDir: string) {
    const root = join(dataDir, 'cos-legacy');
    this.store = new BlobStore(root);
    this.#file = new JsonStateFile(join(root, 'state.json'));
  }

  /** Prepares folders and loads what a previous run saved. */
  async init(): Promise<void> {
    await this.store.init();
    const doc = await this.#file.load();
    if (!doc) return;
    if (doc.version !== 1) throw new Error(`unsupported cos-legacy state version ${String(doc.version)} in ${this.#file.path}`);
    for (const [id, session] of Object.entries(doc.sessions)) this.sessions.set(id, session);
    for (const [path, file] of Object.entries(doc.files)) this.files.set(path, file);
  }

  /** The unfinished session at `path`, if any. */
  sessionAt(path: string): CosLegacySessionRecord | undefined {
    for (const session of this.sessions.values()) if (session.path === path) return session;
    return undefined;
  }

  /** A stored file with this content, for rapid upload. */
  fileWithContent(sha: string, size: number): CosLegacyFileRecord | undefined {
    for (const file of this.files.values()) if (file.sha === sha && file.size === size) return file;
    return undefined;
  }

  /** Whether any file still points at `objectKey`. */
  objectInUse(objectKey: string): boolean {
    for (const file of this.files.values()) if (file.objectKey === objectKey) return true;
    return false;
  }

  /** Writes the current state (serialized; resolves when on disk). */
  save(): Promise<void> {
    return this.#file.save({ version: 1, sessions: Object.fromEntries(this.sessions), files: Object.fromEntries(this.files) });
  }

  /** Waits for pending writes. */
  flush(): Promise<void> {
    return this.#file.flush();
  }
}
