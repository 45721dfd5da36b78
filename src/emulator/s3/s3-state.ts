import { join } from 'node:path';
import { BlobStore } from '../infra/blob-store.js';
import { JsonStateFile } from '../infra/json-state-file.js';
import type { S3ChecksumAlgorithm } from './s3-checksums.js';

/** One stored part of a multipart upload. */
export interface S3PartRecord {
  size: number;
  /** Quoted hex MD5, as the `ETag` header carries it (cloud-apis.md §7). */
  etag: string;
  /** Additional checksums the part was sent with, base64, by algorithm. */
  checksums: Partial<Record<S3ChecksumAlgorithm, string>>;
  /** Emulator clock (ms). */
  lastModified: number;
}

/** An initiated, not yet completed or aborted multipart upload. */
export interface S3UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  /** Emulator clock (ms). */
  initiated: number;
  contentType: string;
  /** `x-amz-meta-*` headers of the initiate request, names lower case without the prefix. */
  metadata: Record<string, string>;
  /** `x-amz-checksum-algorithm` of the initiate request: every part must then carry it. */
  checksumAlgorithm?: S3ChecksumAlgorithm;
  /** Parts accepted so far (re-sends count), for the early-expiry fault. */
  acceptedParts: number;
  /** Parts by part number. */
  parts: Record<string, S3PartRecord>;
}

/** A whole-object checksum: of the bytes (single PUT) or of the part checksums (multipart). */
export interface S3ObjectChecksum {
  algorithm: S3ChecksumAlgorithm;
  /** Base64; composite values end in `-<parts>`. */
  value: string;
  type: 'FULL_OBJECT' | 'COMPOSITE';
}

/** A stored object. */
export interface S3ObjectRecord {
  bucket: string;
  key: string;
  /** Name of the bytes in the blob store (object keys may hold any character). */
  blob: string;
  size: number;
  /** Quoted; `"<md5 hex>"` for PutObject, `"<md5 of md5s>-N"` for multipart (§4.1). */
  etag: string;
  contentType: string;
  metadata: Record<string, string>;
  /** Emulator clock (ms). */
  lastModified: number;
  checksum?: S3ObjectChecksum;
  /** Number of parts, for multipart objects. */
  partsCount?: number;
}

interface S3StateDoc {
  version: 1;
  uploads: Record<string, S3UploadRecord>;
  objects: Record<string, S3ObjectRecord>;
}

/** Map key of an object. */
export function objectId(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

/**
 * The S3 flavour's persistent state: metadata in `<dataDir>/s3/state.json`, bytes in a
 * {@link BlobStore} under `<dataDir>/s3` (parts by upload id and part number, objects by a
 * generated blob name). A restart on the same dataDir keeps objects and open uploads.
 */
export class S3State {
  readonly store: BlobStore;
  readonly uploads = new Map<string, S3UploadRecord>();
  /** By {@link objectId}. */
  readonly objects = new Map<string, S3ObjectRecord>();
  readonly #file: JsonStateFile<S3StateDoc>;
  #queued: Promise<void> | undefined;
  #writing: Promise<void> = Promise.resolve();

  /** @param dataDir the emulator's data folder. */
  constructor(dataDir: string) {
    const root = join(dataDir, 's3');
    this.store = new BlobStore(root);
    this.#file = new JsonStateFile(join(root, 'state.json'));
  }

  /** Prepares folders and loads what a previous run saved. */
  async init(): Promise<void> {
    await this.store.init();
    const doc = await this.#file.load();
    if (!doc) return;
    if (doc.version !== 1) throw new Error(`unsupported s3 state version ${String(doc.version)} in ${this.#file.path}`);
    for (const [id, upload] of Object.entries(doc.uploads)) this.uploads.set(id, upload);
    for (const [id, object] of Object.entries(doc.objects)) this.objects.set(id, object);
  }

  /**
   * Writes the current state; resolves when a write that started after this call is on disk.
   * Calls made while a write is in flight share one follow-up write, so an upload of 10 000
   * parts does not rewrite the document 10 000 times.
   */
  save(): Promise<void> {
    if (this.#queued) return this.#queued;
    const run = this.#writing
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#file.save({ version: 1, uploads: Object.fromEntries(this.uploads), objects: Object.fromEntries(this.objects) });
      });
    this.#queued = run;
    this.#writing = run;
    return run;
  }

  /** Waits for pending writes. */
  flush(): Promise<void> {
    return this.#file.flush();
  }
}
