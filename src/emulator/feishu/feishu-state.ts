import { FlavourState } from '../infra/flavour-state.js';

/** Which of the two upload APIs a record belongs to (cloud-apis.md §1.2). */
export type FeishuApi = 'medias' | 'files';

/** An open multipart upload (prepare done, finish not yet). */
export interface FeishuUploadRecord {
  uploadId: string;
  api: FeishuApi;
  /** The app that prepared it; parts and finish must come from the same identity (1062007). */
  appId: string;
  fileName: string;
  parentType: string;
  parentNode: string;
  size: number;
  blockSize: number;
  blockNum: number;
  extra?: string;
  /** Emulator clock (ms) at prepare; the id expires `uploadIdTtlMs` later. */
  createdAt: number;
  /** Expired early (admin route or fault) or found expired; answers 1061021 from then on. */
  expired: boolean;
  /** Part requests accepted so far (re-sends count), for the early-expiry fault. */
  acceptedParts: number;
  /** Received blocks by seq: byte length and Adler-32. */
  parts: Record<string, { size: number; checksum: string }>;
}

/** A finished file or media. */
export interface FeishuFileRecord {
  fileToken: string;
  api: FeishuApi;
  fileName: string;
  parentType: string;
  parentNode: string;
  size: number;
  createdAt: number;
  extra?: string;
}

/**
 * The Feishu flavour's persistent state: metadata in `<dataDir>/feishu/state.json`, bytes in a
 * `BlobStore` (see {@link FlavourState}) under `<dataDir>/feishu` (parts keyed by upload id and seq, objects by
 * file token). A restart on the same dataDir keeps finished files downloadable and open
 * uploads resumable.
 */
export class FeishuState extends FlavourState<{ uploads: FeishuUploadRecord; files: FeishuFileRecord }> {
  readonly uploads = this.tables.uploads;
  readonly files = this.tables.files;

  /** @param dataDir the emulator's data folder. */
  constructor(dataDir: string) {
    super(dataDir, 'feishu', ['uploads', 'files']);
  }
}
