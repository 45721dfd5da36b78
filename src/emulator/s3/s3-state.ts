import { FlavourState } from '../infra/flavour-state.js';
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

/** Map key of an object. */
export function objectId(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

/**
 * The S3 flavour's persistent state: metadata in `<dataDir>/s3/state.json`, bytes in a
 * `BlobStore` (see {@link FlavourState}) under `<dataDir>/s3` (parts by upload id and part number, objects by a
 * generated blob name). A restart on the same dataDir keeps objects and open uploads.
 */
export class S3State extends FlavourState<{ uploads: S3UploadRecord; objects: S3ObjectRecord }> {
  readonly uploads = this.tables.uploads;
  /** By {@link objectId}. */
  readonly objects = this.tables.objects;

  /** @param dataDir the emulator's data folder. */
  constructor(dataDir: string) {
    super(dataDir, 's3', ['uploads', 'objects']);
  }
}
