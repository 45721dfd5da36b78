import { FlavourState } from '../infra/flavour-state.js';

/** A `parallel_sha1_ctx` (cloud-apis.md §2.9 item 4): SHA-1 words after `part_offset` bytes; `h: []` before the first part. */
export interface Sha1Ctx {
  h: number[];
  part_offset: number;
}

/** One stored part. */
export interface PdsPartRecord {
  size: number;
  /** Quoted uppercase MD5 hex, as OSS sends it (§2.9 item 6). */
  etag: string;
  /** CRC-64/ECMA of the part, decimal. */
  crc64: string;
  /** Parallel mode: the ctx the part was compressed from, and the SHA-1 state after it (when its length is a multiple of 64). */
  ctx?: Sha1Ctx;
  endH?: number[];
  /** Uppercase SHA-1 of the file up to the end of this part (the file's SHA-1 when it is the last), computed on the way in. */
  sha1: string;
}

/** An open upload: create done, complete not yet. */
export interface PdsUploadRecord {
  uploadId: string;
  fileId: string;
  parallel: boolean;
  /** Emulator clock (ms) at create; parts expire `uploadTtlMs` later. */
  createdAt: number;
  /** Expired early (admin route or fault) or found expired. */
  expired: boolean;
  /** Part PUTs accepted so far (re-sends count), for the early-expiry fault. */
  acceptedParts: number;
  /** Uppercase SHA-1 the create call declared, checked at complete. */
  contentHash?: string;
  /** Parallel mode: the ctx each part's URL was last issued with, by part number. */
  ctx: Record<string, Sha1Ctx>;
  /** Received parts by part number. */
  parts: Record<string, PdsPartRecord>;
  /**
   * Serial mode: the SHA-1 state (`WasmSha1.save()`) after the latest part, where the next
   * part continues; only the latest is ever read, so earlier parts' states are not kept.
   */
  sha1State?: string;
}

/** A file record: `uploading` from create, `available` once complete (or rapid upload). */
export interface PdsFileRecord {
  fileId: string;
  driveId: string;
  parentFileId: string;
  name: string;
  contentType: string;
  status: 'uploading' | 'available';
  /** Declared at create, then the stored size. */
  size?: number;
  /** The upload that creates (or created) this file; '' for rapid uploads. */
  uploadId: string;
  createdAt: number;
  updatedAt: number;
  revisionId: string;
  /** Object key of the bytes in the blob store; rapid uploads share the original's. */
  blobKey?: string;
  /** Uppercase SHA-1 hex. */
  contentHash?: string;
  /** CRC-64/ECMA, decimal. */
  crc64?: string;
  /** Lowercase SHA-1 hex of the first 1024 bytes (§2.9 item 2). */
  preHash?: string;
  localCreatedAt?: string;
  localModifiedAt?: string;
}

/**
 * The PDS flavour's persistent state: metadata in `<dataDir>/pds/state.json`, bytes in a
 * `BlobStore` (see {@link FlavourState}) under `<dataDir>/pds` (parts by upload id and part number, objects by blob
 * key), so a restart keeps finished files downloadable and open uploads resumable.
 */
export class PdsState extends FlavourState<{ uploads: PdsUploadRecord; files: PdsFileRecord }> {
  readonly uploads = this.tables.uploads;
  readonly files = this.tables.files;

  /** @param dataDir the emulator's data folder. */
  constructor(dataDir: string) {
    super(dataDir, 'pds', ['uploads', 'files']);
  }
}
