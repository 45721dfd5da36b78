/**
 * Session protocol v1 between the browser and the token-vending backend (types only).
 * docs/protocol.md is the human-readable contract; this file is its machine form.
 *
 * Routes, relative to the element's `endpoint`:
 * - `POST   v1/sessions`            CreateSessionRequest → 201 CreateSessionResponse
 * - `PUT    v1/sessions/parts/:i`   relay one part (raw bytes; `Authorization: Bearer <ticket>`,
 *                                   `X-Part-Checksum: <value>` when the plan asks for one) → PartReceipt
 * - `POST   v1/sessions/part-urls`  PartUrlsRequest → PartUrlsResponse (direct transport)
 * - `GET    v1/sessions/parts`      → ListPartsResponse (501 where the provider cannot list)
 * - `POST   v1/sessions/complete`   CompleteRequest → CompleteResponse
 * - `POST   v1/sessions/renew`      → RenewResponse (a fresh ticket for the same upload)
 * - `DELETE v1/sessions`            abort → 204
 * Every route but create authorizes with the ticket only. Errors: HTTP 4xx/5xx with
 * ErrorResponse; 429 also carries `Retry-After` (seconds).
 */
import type { ProviderName } from './provider-name.js';
import type { UploadErrorData } from './upload-error.js';

export const PROTOCOL_VERSION = 1;

/** What each part must carry so storage can verify it. */
export type PartChecksumKind =
  /** Feishu/Lark: Adler-32 of the part, unsigned decimal string. */
  | 'adler32'
  /** S3 / COS XML / OSS: MD5 of the part, base64 (Content-MD5). */
  | 'md5'
  /** S3 `x-amz-checksum-crc32`: CRC-32 of the part, base64 of the big-endian bytes. */
  | 'crc32'
  /** SHA-1 of the byte range alone, lowercase hex (PDS `pre_hash` of the first KiB). */
  | 'sha1'
  /** PDS parallel mode: SHA-1 chaining state before the part (`parallel_sha1_ctx`). */
  | 'sha1-ctx'
  /** COS legacy: SHA-1 state after the part, little-endian words, hex (`datasha`). */
  | 'cos-datasha';

/** A hash of the whole file, computed sequentially in the hash pool as parts go. */
export type WholeFileHashKind = 'sha1';

/** How part bytes travel: through the backend (relay) or straight to storage (direct). */
export type PartTransport = 'relay' | 'direct';

export interface CreateSessionRequest {
  provider: ProviderName;
  /** Folder token / parent_file_id / directory path / key prefix, per provider. */
  target: string;
  fileName: string;
  /** Bytes. */
  size: number;
  mimeType?: string;
  /** ms since epoch, from File.lastModified. */
  lastModified?: number;
  /** Preferred part size in bytes; providers that dictate their own ignore it. */
  partSize?: number;
  /** Whole-file hashes the browser already has (rapid upload, COS uploadparts). */
  hashes?: { sha1?: string; preHash?: string; [name: string]: string | undefined };
  /** Provider-specific knobs, e.g. Feishu `{ api: 'medias', parentType: 'docx_image' }`. */
  providerOptions?: Record<string, string | number | boolean>;
}

/** The part plan: every part but the last is `partSize` bytes. */
export interface PartPlan {
  partSize: number;
  partCount: number;
}

/** The provider's traffic budget for this upload, which the engine obeys. */
export interface TrafficBudget {
  /** Parts of this upload that may be in flight at once. */
  maxConcurrency: number;
  /** Minimum gap between the starts of two part requests (ms); 0 = unpaced. */
  minIntervalMs: number;
}

/** A part the provider acknowledged. `index` is 0-based everywhere in our code. */
export interface PartReceipt {
  index: number;
  etag?: string;
  /** The checksum value that was sent with the part, if any. */
  checksum?: string;
}

/** What the user gets when a file is stored. Fields are present per provider. */
export interface UploadResult {
  provider: ProviderName;
  name: string;
  size: number;
  /** Feishu/Lark file_token. */
  fileToken?: string;
  /** PDS. */
  fileId?: string;
  driveId?: string;
  /** COS legacy. */
  resourcePath?: string;
  /** S3-compatible. */
  bucket?: string;
  key?: string;
  etag?: string;
  /** A URL where the stored bytes can be downloaded, when the provider gives one. */
  downloadUrl?: string;
  /** True when the provider already had the content and no part was sent. */
  rapid?: boolean;
}

export interface CreateSessionResponse {
  protocol: typeof PROTOCOL_VERSION;
  /** Signed, expiring, scoped to this one upload. The only credential the browser holds. */
  ticket: string;
  /** Ticket expiry, ms since epoch. Renew before it (v1/sessions/renew). */
  expiresAt: number;
  /** The provider's upload id (opaque). */
  uploadId: string;
  plan: PartPlan;
  traffic: TrafficBudget;
  transport: PartTransport;
  /** Per-part checksum the provider wants, or null for none. */
  partChecksum: PartChecksumKind | null;
  /**
   * Whole-file hashes the provider checks at complete (the engine sends them in
   * CompleteRequest): PDS and COS legacy want the SHA-1. Absent or empty: none.
   */
  wholeFileHashes?: WholeFileHashKind[];
  /** Present when the upload finished at creation (rapid upload): send no parts. */
  result?: UploadResult;
  /** Parts the provider already holds (resume onto an existing upload). */
  uploadedParts?: PartReceipt[];
  /** Provider-specific extras the provider client understands. */
  providerData?: Record<string, unknown>;
}

export interface PartUrlsRequest {
  indexes: number[];
  /** Per-part checksum values, keyed by index, when the URL must sign them. */
  checksums?: Record<string, string>;
}

export interface PartUrl {
  index: number;
  url: string;
  method: 'PUT' | 'POST';
  /** Headers to send exactly as given (they are part of the signature). */
  headers: Record<string, string>;
  /** ms since epoch. */
  expiresAt: number;
}

export interface PartUrlsResponse {
  urls: PartUrl[];
}

export interface ListPartsResponse {
  parts: PartReceipt[];
}

export interface CompleteRequest {
  parts: PartReceipt[];
  /** Whole-file SHA-1 (hex) where the provider checks it. */
  sha1?: string;
  /** Whole-file CRC-64/ECMA (unsigned decimal) where the provider checks it. */
  crc64?: string;
}

export interface CompleteResponse {
  result: UploadResult;
}

export interface RenewResponse {
  ticket: string;
  expiresAt: number;
}

export interface ErrorResponse {
  error: UploadErrorData;
}
