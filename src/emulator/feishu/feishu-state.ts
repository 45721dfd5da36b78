import { join } from 'node:path';
import { BlobStore } from '../infra/blob-store.js';
import { JsonStateFile } from '../infra/json-state-file.js';

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

interface FeishuStateDoc {
  version: 1;
  uploads: Record<string, FeishuUploadRecord>;
  files: Record<string, FeishuFileRecord>;
}

/**
 * The Feishu flavour's persistent state: metadata in `<dataDir>/feishu/state.json`, bytes in a
 * {@link BlobStore} under `<dataDir>/feishu` (parts keyed by upload id and seq, objects by
 * file token). A restart on the same dataDir keeps finished files downloadable and open
 * uploads resumable.
 */
export class FeishuState {
  readonly store: BlobStore;
  readonly uploads = new Map<string, FeishuUploadRecord>();
  readonly files = new Map<string, FeishuFileRecord>();
  readonly #file: JsonStateFile<FeishuStateDoc>;

  /** @param dataDir the emulator's data folder. */
  constructor(dataDir: string) {
    const root = join(dataDir, 'feishu');
    this.store = new BlobStore(root);
    this.#file = new JsonStateFile(join(root, 'state.json'));
  }

  /** Prepares folders and loads what a previous run saved. */
  async init(): Promise<void> {
    await this.store.init();
    const doc = await this.#file.load();
    if (!doc) return;
    if (doc.version !== 1) throw new Error(`unsupported feishu state version ${String(doc.version)} in ${this.#file.path}`);
    for (const [id, upload] of Object.entries(doc.uploads)) this.uploads.set(id, upload);
    for (const [token, file] of Object.entries(doc.files)) this.files.set(token, file);
  }

  /** Writes the current state (serialized; resolves when on disk). */
  save(): Promise<void> {
    return this.#file.save({
      version: 1,
      uploads: Object.fromEntries(this.uploads),
      files: Object.fromEntries(this.files),
    });
  }

  /** Waits for pending writes. */
  flush(): Promise<void> {
    return this.#file.flush();
  }
}
