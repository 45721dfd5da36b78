import { FlavourState } from '../infra/flavour-state.js';

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
  /** Received slices by index: length, the datasha the bytes produce (§3.7 form) and their CRC-64 (decimal; absent in older state files). */
  parts: Record<string, { datalen: number; datasha: string; crc64?: string }>;
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

/**
 * The COS legacy flavour's persistent state: metadata in `<dataDir>/cos-legacy/state.json`,
 * bytes in a `BlobStore` (see {@link FlavourState}) under `<dataDir>/cos-legacy` (slices keyed by session and
 * index, objects by a random key). A restart keeps files downloadable and sessions resumable.
 */
export class CosLegacyState extends FlavourState<{ sessions: CosLegacySessionRecord; files: CosLegacyFileRecord }> {
  /** By session id. */
  readonly sessions = this.tables.sessions;
  /** By path inside the bucket. */
  readonly files = this.tables.files;

  /** @param dataDir the emulator's data folder. */
  constructor(dataDir: string) {
    super(dataDir, 'cos-legacy', ['sessions', 'files']);
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
}
