import { UploadError, isAbort } from '../core/index.js';
import type {
  CompleteRequest,
  CreateSessionRequest,
  HashHandle,
  HashService,
  Sha1Checkpoint,
  UploadWait,
  PartReceipt,
  ProviderClient,
  ProviderName,
  UpcomingPart,
  UploadErrorData,
  UploadResult,
  UploadSession,
  UploadSnapshot,
} from '../core/index.js';
import { backoffDelay } from './backoff-delay.js';
import { globalConnectivity } from './connectivity.js';
import type { Connectivity } from './connectivity.js';
import { fileFingerprint, fileKey } from './file-fingerprint.js';
import { fileFromHandle, isPersistentFileHandle } from './persistent-file-handle.js';
import type { PersistentFileHandle } from './persistent-file-handle.js';
import { globalUploadLocks } from './upload-locks.js';
import type { ReleaseLock, UploadLocks } from './upload-locks.js';
import { matchesAccept } from './matches-accept.js';
import { Pacer } from './pacer.js';
import { abortError, sleep } from './sleep.js';
import { SlotPool } from './slot-pool.js';
import { SpeedMeter } from './speed-meter.js';
import { transition } from './transition.js';
import type { UploadTransitionEvent } from './transition.js';
import type { UploadEngineEventMap, UploadEventName } from './upload-engine-events.js';
import type { UploadRecord } from './upload-record.js';
import type { UploadStore } from './upload-store.js';

/** Options of UploadEngine. Every duration is in ms, every size in bytes. */
export interface UploadEngineOptions {
  provider: ProviderClient;
  hasher: HashService;
  /** Folder token, parent file id, key prefix…, per provider. */
  target: string;
  /**
   * Parts in flight across all uploads (default 3). Each upload also stays within its
   * session's `traffic.maxConcurrency`; no more than this many files are active at once.
   */
  concurrency?: number;
  /** Preferred part size; providers that dictate their own (Feishu) ignore it. */
  chunkSize?: number;
  /** Larger files are refused before any request with `file-too-large`. */
  maxFileSize?: number;
  /** Like `<input accept>` (".png,image/*"); other files are refused with `file-type-rejected`. */
  accept?: string;
  /** Start uploads as soon as they are added (default true); otherwise wait for `start()`. */
  autoStart?: boolean;
  /** Provider-specific knobs passed to the backend, e.g. Feishu `{ api: 'medias' }`. */
  providerOptions?: Record<string, string | number | boolean>;
  retry?: {
    /** Tries per part (and per session call) before the upload fails (default 5). */
    maxAttempts?: number;
    /** First backoff ceiling (default 500). */
    baseDelayMs?: number;
    /** Largest backoff ceiling (default 15000). */
    maxDelayMs?: number;
  };
  /** Least time between two `upload-progress` (per upload) or `change` events (default 200). */
  progressIntervalMs?: number;
  /** A part with no upload progress for this long is aborted and retried (default 30000). */
  stallTimeoutMs?: number;
  /**
   * Records are written here after each acknowledged part, so `restore()` can resume uploads
   * after a reload (src/persistence: `IdbRecordStore`). With a store the engine also
   * fingerprints files and takes a cross-tab lock per file.
   */
  store?: UploadStore;
  /**
   * Written into every record; `restore()` only takes records of this scope. The element
   * uses its endpoint: a session ticket is only valid at the backend that issued it. Default ''.
   */
  storeScope?: string;
  /** Locks shared by the site's tabs (default: the Web Locks API where there is one). Used only with a store. */
  locks?: UploadLocks;
  /** Network state; defaults to `navigator.onLine` and the global `online` event. */
  connectivity?: Connectivity;
  /** Clock (ms since epoch), injectable for tests. */
  now?: () => number;
  /** Uniform random source in [0, 1), injectable for tests. */
  random?: () => number;
}

/** Options that `setOptions` may change while the engine runs. */
export type UploadEngineOptionsPatch = Partial<
  Pick<UploadEngineOptions, 'target' | 'concurrency' | 'chunkSize' | 'maxFileSize' | 'accept' | 'autoStart' | 'providerOptions' | 'provider' | 'storeScope'>
>;

const DEFAULT_CONCURRENCY = 3;
const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_BASE_DELAY_MS = 500;
const DEFAULT_MAX_DELAY_MS = 15_000;
const DEFAULT_PROGRESS_INTERVAL_MS = 200;
const DEFAULT_STALL_TIMEOUT_MS = 30_000;
/** Rate-limited answers one request may get before they count as failures (DESIGN.md "Failure handling"). */
export const MAX_RATE_LIMIT_WAITS = 20;
/** New sessions in a row without an acknowledged part before the upload fails (a backend that always expires). */
export const MAX_SESSION_RENEWALS_WITHOUT_PROGRESS = 3;
/** Parts hashed ahead of the ones being sent, beyond the parts in flight. */
const HASH_LOOK_AHEAD_EXTRA = 2;
/** History entries kept per upload; older ones are dropped so a flapping network cannot grow a record forever. */
const MAX_HISTORY = 100;
/**
 * How long a provider keeps an unfinished upload unless its client says otherwise
 * (ProviderClient.sessionLifetimeMs): Feishu's upload_id lives 24 h (specs/cloud-apis.md §1.4).
 */
export const DEFAULT_SESSION_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** How long a finished mark lets a tab that waited for the same file pick up the result. */
export const FINISHED_MARK_TTL_MS = 60 * 60 * 1000;
/** Web Lock names of files start with this. */
const LOCK_PREFIX = 'cloud-chunk-uploader:';
/** Least time between two SHA-1 states stored by the follower between acknowledged parts (ms). */
const SHA1_SAVE_INTERVAL_MS = 1000;
/** Completes that may answer parts-missing before the upload fails (see #recoverMissingParts). */
const MAX_MISSING_PARTS_RECOVERIES = 2;

/** The session is gone mid-upload; the run opens a new one. */
class SessionLost extends Error {
  override readonly name = 'SessionLost';
  constructor(readonly error: UploadError) {
    super(error.message, { cause: error });
  }
}

/**
 * `complete` answered that parts are missing. Its own type, so only that answer starts
 * #recoverMissingParts: a part request failing with the same code (PDS PartNotSequential)
 * is a failed part, not a lost one.
 */
class PartsMissing extends Error {
  override readonly name = 'PartsMissing';
  constructor(readonly error: UploadError) {
    super(error.message, { cause: error });
  }
}

/** Per-request tallies behind the retry decision. */
interface Tally {
  attempts: number;
  rateWaits: number;
}

/** One activation of an upload, from the scheduler picking it to done/failed/paused/cancelled. */
interface Run {
  controller: AbortController;
}

/** Sending the parts of one session; aborted on failure, session loss, pause or cancel. */
interface Phase {
  controller: AbortController;
  unlink: () => void;
  /** Bytes of each part in flight the network has taken (XHR upload progress). */
  inFlight: Map<number, number>;
  /** Checksums being computed, by part index (the look-ahead). */
  checksumJobs: Map<number, Promise<string>>;
  /** Parts not taken by a lane yet, in sending order (PartPayload.upcoming reads it). */
  queue: readonly number[];
  /** Parts hashed ahead of the ones being sent. */
  lookAhead: number;
}

/** Runtime state beside the serialisable record. */
interface Upload {
  record: UploadRecord;
  /** Undefined while a restored upload waits for its file to be picked again. */
  file?: Blob;
  /** Parts acknowledged while this page lived; restored receipts are trusted, not verified. */
  verified: Set<number>;
  /** When a restored upload got its file back (ms since epoch), until its first part request starts. */
  reattachedAt?: number;
  /** Waiting for another tab to let go of this file's lock. */
  lockWait?: boolean;
  /** The file whose fingerprint `record.fingerprint` was checked against in this page. */
  fingerprinted?: Blob;
  /** This file's cross-tab lock, held while the upload runs. */
  release?: ReleaseLock;
  /** Where the pool's sequential SHA-1 starts for the current hash handle (a loaded checkpoint or 0). */
  sha1Base?: number;
  /** When the SHA-1 follower last stored its state (ms since epoch). */
  sha1SavedAt?: number;
  /** Completes answered parts-missing in the current session. */
  missingRecoveries: number;
  /** Allowed to start (autoStart, start(), resume(), retry()). */
  ready: boolean;
  /** The client that owns the session. */
  client?: ProviderClient;
  run?: Run;
  phase?: Phase;
  hash?: HashHandle;
  /** Bytes hashed by handles already closed. */
  hashedBefore: number;
  meter: SpeedMeter;
  /** Times (ms since epoch) of the retries this upload waits for. */
  retryAts: Set<{ at: number }>;
  renewalsWithoutProgress: number;
  snapshot?: UploadSnapshot;
  lastProgressAt: number;
  progressTimer?: ReturnType<typeof setTimeout>;
}

/** A new AbortController that also aborts when `parent` does; `unlink` drops the listener. */
function childController(parent: AbortSignal): { controller: AbortController; unlink: () => void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return { controller, unlink: () => parent.removeEventListener('abort', onAbort) };
}

/** Anything thrown by a provider or the hash pool, as an UploadError. */
function toUploadError(error: unknown): UploadError {
  if (error instanceof UploadError) return error;
  if (isAbort(error)) {
    // Our own aborts never get here (callers check their signal first): this one came
    // from below, e.g. a proxy or the browser dropping the request.
    return new UploadError({ code: 'network', kind: 'retry', message: 'The request was aborted by the network' }, { cause: error });
  }
  const data = error as Partial<UploadErrorData> | null;
  if (typeof data?.code === 'string' && typeof data.kind === 'string' && typeof data.message === 'string') {
    // An UploadError that crossed postMessage arrives as plain data.
    return UploadError.from(data as UploadErrorData);
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new UploadError({ code: 'unknown', kind: 'fatal', message: `Unexpected failure: ${message}` }, { cause: error });
}

function freezeSnapshotError(error: UploadErrorData | undefined): UploadErrorData | undefined {
  return error === undefined ? undefined : Object.freeze({ ...error });
}

/** Whether a stored record is worth showing after a reload. */
function isResumable(record: UploadRecord): boolean {
  if (record.status === 'done' || record.status === 'cancelled') return false;
  // Refused, or failed before the provider held anything: nothing to resume.
  return record.status !== 'failed' || record.session !== undefined;
}

/** The session needs the sequential whole-file SHA-1 (sent at complete, or inside part checksums). */
function usesSha1(session: UploadSession): boolean {
  return session.wholeFileHashes?.includes('sha1') === true || session.partChecksum === 'sha1-ctx' || session.partChecksum === 'cos-datasha';
}

function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/**
 * Headless uploader: a queue of files, each driven through `transition` by a scheduler that
 * keeps parts in flight, hashes ahead of the network, retries, renews sessions and reports
 * progress. DOM-free: it runs in a page, a worker or Node.
 *
 * Concurrency: `concurrency` bounds the parts in flight across all files (a FIFO pool of
 * slots, so files share it fairly) and also how many files are active at once; each file
 * additionally keeps to its session's `traffic.maxConcurrency`.
 *
 * Resume (with a `store`): every upload's record is stored after each acknowledged part;
 * `restore()` shows what an earlier page left unfinished, and adding the same file again
 * (matched by provider, target, name, size and date, then confirmed by a head/tail
 * fingerprint hashed in the pool) continues it without re-sending or re-hashing what was
 * done. A Web Lock per file keeps two tabs from uploading it at once.
 *
 * @fires upload-added @fires upload-progress @fires upload-paused @fires upload-resumed
 * @fires upload-success @fires upload-error @fires upload-cancelled @fires queue-complete @fires change
 * @example
 * const engine = new UploadEngine({ provider: createProviderClient('feishu', { endpoint: '/upload' }),
 *   hasher: new HashPool(), target: 'fldcn123' });
 * engine.addEventListener('upload-success', (e) => console.log(e.detail.upload.result?.fileToken));
 * engine.add(input.files ?? []);
 */
export class UploadEngine extends EventTarget {
  #options: UploadEngineOptions;
  #uploads: Upload[] = [];
  #slots: SlotPool;
  #pacers = new Map<ProviderName, Pacer>();
  #connectivity: Connectivity;
  #unsubscribeOnline: () => void;
  #unsubscribeOffline: () => void;
  #locks: UploadLocks;
  /** A store call failed: records may not survive a reload. */
  #storeFailed = false;
  #now: () => number;
  #random: () => number;
  #busy = false;
  #disposed = false;
  #nextId = 0;
  #lastChangeAt = Number.NEGATIVE_INFINITY;
  #changeTimer: ReturnType<typeof setTimeout> | undefined;
  #uploadsView: readonly UploadSnapshot[] | undefined;

  constructor(options: UploadEngineOptions) {
    super();
    this.#options = { ...options };
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#slots = new SlotPool(() => this.#concurrency);
    this.#connectivity = options.connectivity ?? globalConnectivity();
    this.#unsubscribeOnline = this.#connectivity.onOnline(() => this.#onOnline());
    this.#unsubscribeOffline = this.#connectivity.onOffline?.(() => this.#onOffline()) ?? (() => {});
    this.#locks = options.locks ?? globalUploadLocks();
  }

  override addEventListener<K extends keyof UploadEngineEventMap>(
    type: K,
    listener: ((this: UploadEngine, event: UploadEngineEventMap[K]) => unknown) | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: unknown, options?: boolean | AddEventListenerOptions): void {
    super.addEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  override removeEventListener<K extends keyof UploadEngineEventMap>(
    type: K,
    listener: ((this: UploadEngine, event: UploadEngineEventMap[K]) => unknown) | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
  override removeEventListener(type: string, listener: unknown, options?: boolean | EventListenerOptions): void {
    super.removeEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  /** Frozen snapshots of every upload, in the order they were added. */
  get uploads(): readonly UploadSnapshot[] {
    this.#uploadsView ??= Object.freeze(this.#uploads.map((u) => this.#snapshot(u)));
    return this.#uploadsView;
  }

  /**
   * Queue files. Files the options refuse (size, type, empty) are added as `failed` with
   * the reason in `error`, before any request.
   *
   * @returns a snapshot of each file, in order.
   */
  add(files: Iterable<File> | ArrayLike<File>): UploadSnapshot[] {
    if (this.#disposed) return [];
    const list = Array.from(files as ArrayLike<File>);
    const added: Upload[] = [];
    for (const file of list) {
      const restored = this.#restoredFor(file);
      if (restored !== undefined) {
        this.#reattach(restored, file);
        added.push(restored);
        continue;
      }
      added.push(this.#addNew(file));
    }
    this.#emitChange(true);
    this.#checkIdle();
    this.#pump();
    return added.map((u) => this.#snapshot(u));
  }

  /** Queue one file as a new upload (no restored upload is matched). */
  #addNew(file: File): Upload {
    const at = this.#now();
    const record: UploadRecord = {
      id: this.#newId(),
      name: file.name,
      size: file.size,
      type: file.type,
      lastModified: file.lastModified,
      provider: this.#options.provider.name,
      target: this.#options.target,
      scope: this.#options.storeScope ?? '',
      expiresAt: at + this.#sessionLifetime(this.#options.provider),
      ...(this.#options.chunkSize !== undefined && { chunkSize: this.#options.chunkSize }),
      ...(this.#options.providerOptions !== undefined && { providerOptions: { ...this.#options.providerOptions } }),
      status: 'queued',
      receipts: {},
      checksums: {},
      sentParts: {},
      counters: { bytesSent: 0, bytesResent: 0, bytesHashed: 0, bytesRehashed: 0, retries: 0, sessionRenewals: 0 },
      history: [{ at, status: 'queued' }],
      createdAt: at,
      updatedAt: at,
    };
    const upload: Upload = {
      record,
      file,
      verified: new Set(),
      missingRecoveries: 0,
      ready: this.#options.autoStart !== false,
      hashedBefore: 0,
      meter: new SpeedMeter(),
      retryAts: new Set(),
      renewalsWithoutProgress: 0,
      lastProgressAt: Number.NEGATIVE_INFINITY,
    };
    this.#uploads.push(upload);
    this.#touch(upload);
    this.#emitUpload('upload-added', upload);
    const refusal = this.#refusal(record, this.#options.provider);
    if (refusal !== undefined) this.#fail(upload, refusal);
    else this.#persist(upload);
    return upload;
  }

  /** Start queued uploads (needed only when `autoStart` is false). */
  start(): void {
    for (const upload of this.#uploads) if (upload.record.status === 'queued') upload.ready = true;
    this.#pump();
  }

  /** Pause one upload, or all: no new parts, requests in flight are aborted; acknowledged parts are kept. */
  pause(id?: string): void {
    for (const upload of this.#select(id)) this.#pauseUpload(upload, 'user');
  }

  /**
   * Resume paused uploads from their acknowledged parts. A restored upload that waits for its
   * file (`waitingFor: 'permission'`) reopens it from its stored handle, asking the user's
   * permission once: call this straight from a click. One that waits for `'file'` needs the
   * file picked or dropped again (`add`).
   */
  resume(id?: string): void {
    for (const upload of this.#select(id)) {
      if (upload.file === undefined) {
        if (id !== undefined) void this.#reopen(upload);
        continue;
      }
      if (transition(upload.record.status, 'resume') === null) continue;
      upload.ready = true;
      this.#apply(upload, 'resume');
    }
    this.#pump();
  }

  /** Cancel uploads: abort requests, tell the provider to drop the session, status `cancelled`. */
  cancel(id?: string): void {
    for (const upload of this.#select(id)) {
      if (transition(upload.record.status, 'cancel') === null) continue;
      this.#stopRun(upload);
      const session = upload.record.session;
      const client = upload.client ?? this.#options.provider;
      this.#apply(upload, 'cancel');
      // Best effort by contract (ProviderClient.abort never throws); the catch guards a faulty client.
      if (session !== undefined) client.abort(session).catch(() => undefined);
    }
    this.#pump();
  }

  /** Try failed uploads again, keeping the parts already acknowledged. */
  retry(id?: string): void {
    for (const upload of this.#select(id)) {
      if (upload.file === undefined) {
        if (id !== undefined) void this.#reopen(upload);
        continue;
      }
      if (transition(upload.record.status, 'retry') === null) continue;
      upload.ready = true;
      upload.renewalsWithoutProgress = 0;
      delete upload.record.error;
      this.#apply(upload, 'retry');
    }
    this.#pump();
  }

  /**
   * Show the unfinished uploads the store kept from earlier page loads (of this engine's
   * `storeScope` and provider) as paused uploads waiting for their file. Picking or dropping
   * the same file again (`add`) resumes one where it stopped; one with a stored file handle
   * resumes with `resume(id)`. Records whose file another tab is uploading right now are
   * left to that tab. Safe to call again: uploads already shown are skipped.
   *
   * @returns snapshots of the uploads restored by this call.
   * @example
   * const engine = new UploadEngine({ provider, hasher, target, store: new IdbRecordStore({ isValid: isUploadRecord }) });
   * const waiting = await engine.restore(); // "3 uploads can continue"
   */
  async restore(): Promise<readonly UploadSnapshot[]> {
    const store = this.#options.store;
    if (store === undefined || this.#disposed) return [];
    let records: UploadRecord[];
    try {
      records = await store.list();
    } catch {
      this.#storeTrouble();
      return [];
    }
    this.#checkDurable();
    const scope = this.#options.storeScope ?? '';
    const restored: Upload[] = [];
    for (const record of records) {
      if (this.#disposed) break;
      if (record.scope !== scope || record.provider !== this.#options.provider.name) continue;
      if (this.#uploads.some((u) => u.record.id === record.id)) continue;
      if (!isResumable(record)) {
        store.delete(record.id).catch(() => this.#storeTrouble());
        continue;
      }
      if (record.fingerprint !== undefined) {
        // Held by another tab: that tab is uploading this file right now; leave it there.
        const release = await this.#locks.acquire(this.#lockName(record, record.fingerprint), { wait: false }).catch((): ReleaseLock => () => {});
        if (release === null) continue;
        release();
        if (this.#uploads.some((u) => u.record.id === record.id)) continue;
      }
      restored.push(this.#restoreOne(record));
    }
    if (restored.length > 0) {
      this.#emitChange(true);
      this.#checkIdle();
    }
    return restored.map((u) => this.#snapshot(u));
  }

  /**
   * Forget every stored record: uploads restored from earlier page loads and still waiting
   * for their file leave the list, and nothing can be resumed after a reload until running
   * uploads write their records again (after their next acknowledged part).
   */
  async clearStoredUploads(): Promise<void> {
    const waiting = this.#uploads.filter((u) => u.file === undefined && u.run === undefined);
    if (waiting.length > 0) {
      this.#uploads = this.#uploads.filter((u) => !waiting.includes(u));
      this.#uploadsView = undefined;
      this.#emitChange(true);
      this.#checkIdle();
    }
    const store = this.#options.store;
    if (store === undefined) return;
    try {
      if (store.clear !== undefined) await store.clear();
      else for (const record of await store.list()) await store.delete(record.id);
    } catch {
      this.#storeTrouble();
    }
  }

  /**
   * Keep a persistent handle of an upload's file (File System Access API), so after a reload
   * it resumes with one permission prompt instead of a re-pick. Handles the browser cannot
   * store are ignored (the upload then falls back to re-picking).
   */
  attachHandle(id: string, handle: PersistentFileHandle): void {
    const upload = this.#uploads.find((u) => u.record.id === id);
    if (upload === undefined || !isPersistentFileHandle(handle) || handle.name !== upload.record.name) return;
    try {
      structuredClone(handle);
    } catch {
      return;
    }
    upload.record.fileHandle = handle;
    this.#touch(upload);
    if (!['done', 'cancelled'].includes(upload.record.status)) this.#persist(upload);
  }

  /**
   * Whether uploads can resume after a reload: `durable` (records are stored), `memory`
   * (storage is unavailable or full: uploads work, but a reload loses them) or `off` (no store).
   */
  get persistence(): 'durable' | 'memory' | 'off' {
    const store = this.#options.store;
    if (store === undefined) return 'off';
    return this.#storeFailed || store.durable === false ? 'memory' : 'durable';
  }

  /** Change options; target, part size and provider options apply to files added afterwards. */
  setOptions(patch: UploadEngineOptionsPatch): void {
    this.#options = { ...this.#options, ...patch };
    this.#slots.poke();
    this.#pump();
  }

  /**
   * Stop everything without cancelling sessions (pause semantics): requests are aborted,
   * timers cleared, no event fires afterwards. Sessions stay open so a store can resume them.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const upload of this.#uploads) {
      this.#stopRun(upload);
      if (transition(upload.record.status, 'pause') !== null) {
        upload.record.pausedBy = 'user';
        this.#apply(upload, 'pause');
      }
      if (upload.progressTimer !== undefined) clearTimeout(upload.progressTimer);
    }
    if (this.#changeTimer !== undefined) clearTimeout(this.#changeTimer);
    this.#unsubscribeOnline();
    this.#unsubscribeOffline();
  }

  get #concurrency(): number {
    const value = this.#options.concurrency ?? DEFAULT_CONCURRENCY;
    return Number.isFinite(value) && value >= 1 ? Math.floor(value) : DEFAULT_CONCURRENCY;
  }

  #select(id: string | undefined): Upload[] {
    return id === undefined ? [...this.#uploads] : this.#uploads.filter((u) => u.record.id === id);
  }

  #newId(): string {
    this.#nextId += 1;
    const uuid = globalThis.crypto?.randomUUID?.();
    return uuid ?? `${this.#now().toString(36)}-${this.#nextId}`;
  }

  #pacer(name: ProviderName): Pacer {
    let pacer = this.#pacers.get(name);
    if (pacer === undefined) {
      pacer = new Pacer(this.#now);
      this.#pacers.set(name, pacer);
    }
    return pacer;
  }

  /** Why a file cannot be uploaded at all, checked before any request. */
  #refusal(record: UploadRecord, client: ProviderClient): UploadError | undefined {
    const { maxFileSize, accept } = this.#options;
    if (maxFileSize !== undefined && record.size > maxFileSize) {
      return new UploadError({ code: 'file-too-large', kind: 'fatal', message: `${record.name} is ${record.size} bytes; the limit is ${maxFileSize} bytes` });
    }
    if (!matchesAccept(record, accept)) {
      return new UploadError({ code: 'file-type-rejected', kind: 'fatal', message: `${record.name} is not an accepted file type (${accept ?? ''})` });
    }
    if (record.size === 0 && client.acceptsEmptyFiles !== true) {
      return new UploadError({ code: 'file-empty', kind: 'fatal', message: `${record.name} is empty; ${client.name} does not store empty files` });
    }
    return undefined;
  }

  // ---- status changes (all through transition) ----

  /** Apply one transition; returns false (and changes nothing) when the event does not apply. */
  #apply(upload: Upload, event: UploadTransitionEvent, note?: string): boolean {
    const record = upload.record;
    const previous = record.status;
    const next = transition(previous, event);
    if (next === null) return false;
    const at = this.#now();
    record.status = next;
    record.updatedAt = at;
    if (next !== 'paused') delete record.pausedBy;
    if (next !== 'uploading') upload.meter.reset();
    record.history.push(note === undefined ? { at, status: next } : { at, status: next, note });
    if (record.history.length > MAX_HISTORY) record.history.splice(0, record.history.length - MAX_HISTORY);
    this.#touch(upload);
    if (next === 'done' || next === 'cancelled') this.#forget(upload);
    else this.#persist(upload);
    if ((next === 'done' || next === 'failed' || next === 'cancelled') && upload.progressTimer !== undefined) {
      clearTimeout(upload.progressTimer);
      delete upload.progressTimer;
    }
    const named: UploadEventName | undefined =
      next === 'paused' ? 'upload-paused'
      : next === 'done' ? 'upload-success'
      : next === 'failed' ? 'upload-error'
      : next === 'cancelled' ? 'upload-cancelled'
      : previous === 'paused' && next === 'queued' ? 'upload-resumed'
      : undefined;
    if (named !== undefined) this.#emitUpload(named, upload);
    this.#emitChange(true);
    this.#checkIdle();
    return true;
  }

  #fail(upload: Upload, error: UploadError): void {
    upload.record.error = error.toJSON();
    if (!this.#apply(upload, 'fail', `${error.code}: ${error.message}`)) delete upload.record.error;
  }

  #pauseUpload(upload: Upload, by: 'user' | 'offline'): void {
    if (transition(upload.record.status, 'pause') === null) {
      // A user pause of an offline pause makes it stick: no auto-resume.
      if (upload.record.status === 'paused' && by === 'user') upload.record.pausedBy = 'user';
      return;
    }
    this.#stopRun(upload);
    upload.record.pausedBy = by;
    this.#apply(upload, 'pause', by === 'offline' ? 'offline: paused until the network is back' : undefined);
  }

  #onOnline(): void {
    for (const upload of this.#uploads) {
      if (upload.record.status !== 'paused' || upload.record.pausedBy !== 'offline') continue;
      upload.ready = true;
      this.#apply(upload, 'resume', 'online again');
    }
    this.#pump();
  }

  /**
   * The browser says the network is gone: pause what runs now instead of letting requests
   * fail or stall one by one, so no retry is spent; `online` resumes them.
   */
  #onOffline(): void {
    for (const upload of this.#uploads) {
      const running = upload.run !== undefined || (upload.record.status === 'queued' && upload.ready && upload.file !== undefined);
      if (running) this.#pauseUpload(upload, 'offline');
    }
  }

  // ---- resume across reloads and tabs ----

  #sessionLifetime(client: ProviderClient): number {
    const lifetime = client.sessionLifetimeMs;
    return lifetime !== undefined && Number.isFinite(lifetime) && lifetime > 0 ? lifetime : DEFAULT_SESSION_LIFETIME_MS;
  }

  #lockName(record: UploadRecord, fingerprint: string): string {
    return `${LOCK_PREFIX}${JSON.stringify([record.scope, fingerprint])}`;
  }

  #finishedKey(record: UploadRecord, fingerprint: string): string {
    return JSON.stringify([record.scope, fingerprint]);
  }

  /** A store call failed or the store went memory-only: say once that a reload would lose uploads. */
  #storeTrouble(): void {
    if (this.#storeFailed) return;
    this.#storeFailed = true;
    this.#emitChange(true);
  }

  #checkDurable(): void {
    if (this.#options.store?.durable === false) this.#storeTrouble();
  }

  /** A restored upload, still without its file, that this file would continue (same key). */
  #restoredFor(file: File): Upload | undefined {
    if (this.#options.store === undefined) return undefined;
    const key = fileKey({ provider: this.#options.provider.name, target: this.#options.target, name: file.name, size: file.size, lastModified: file.lastModified });
    return this.#uploads.find((u) => u.file === undefined && u.run === undefined
      && (u.record.status === 'paused' || u.record.status === 'failed') && fileKey(u.record) === key);
  }

  /** Show a stored record as a paused upload waiting for its file. */
  #restoreOne(record: UploadRecord): Upload {
    const at = this.#now();
    if (transition(record.status, 'pause') !== null || record.status === 'paused') {
      record.status = 'paused';
      record.pausedBy = 'reload';
    }
    if (record.fileHandle !== undefined && !isPersistentFileHandle(record.fileHandle)) delete record.fileHandle;
    record.history.push({ at, status: record.status, note: 'restored after the page was closed; waiting for the file' });
    if (record.history.length > MAX_HISTORY) record.history.splice(0, record.history.length - MAX_HISTORY);
    const upload: Upload = {
      record,
      verified: new Set(),
      missingRecoveries: 0,
      ready: false,
      hashedBefore: record.counters.bytesHashed,
      meter: new SpeedMeter(),
      retryAts: new Set(),
      renewalsWithoutProgress: 0,
      lastProgressAt: Number.NEGATIVE_INFINITY,
    };
    this.#uploads.push(upload);
    this.#touch(upload);
    return upload;
  }

  /** The file of a restored upload is back: continue where the record stopped. */
  #reattach(upload: Upload, file: File): void {
    const record = upload.record;
    upload.file = file;
    upload.reattachedAt = this.#now();
    upload.ready = true;
    upload.renewalsWithoutProgress = 0;
    const note = `the file is back; continuing with ${String(Object.keys(record.receipts).length)} of ${String(record.session?.plan.partCount ?? 0)} parts acknowledged`;
    if (record.status === 'failed') {
      delete record.error;
      if (!this.#apply(upload, 'retry', note)) this.#note(upload, note);
    } else if (!this.#apply(upload, 'resume', note)) {
      this.#note(upload, note);
    }
  }

  /** Reopen a restored upload's file from its stored handle (one permission prompt at most). */
  async #reopen(upload: Upload): Promise<void> {
    const handle = upload.record.fileHandle;
    if (handle === undefined) return;
    let file: File | undefined;
    try {
      file = await fileFromHandle(handle, true);
    } catch (error) {
      // Moved, deleted or otherwise gone: fall back to picking the file again.
      if (upload.record.fileHandle === handle) delete upload.record.fileHandle;
      this.#note(upload, `the stored file no longer opens (${error instanceof Error ? error.name : 'error'}); pick it again`);
      this.#persist(upload);
      this.#emitChange(true);
      return;
    }
    if (this.#disposed || upload.file !== undefined) return;
    if (file === undefined) {
      this.#note(upload, 'reading the file was not allowed; allow it, or pick the file again');
      this.#emitChange(true);
      return;
    }
    const record = upload.record;
    if (fileKey({ ...record, name: file.name, size: file.size, lastModified: file.lastModified }) !== fileKey(record)) {
      if (record.fileHandle === handle) delete record.fileHandle;
      this.#note(upload, 'the file changed since it was added; pick it again to upload it anew');
      this.#persist(upload);
      this.#emitChange(true);
      return;
    }
    this.#reattach(upload, file);
    this.#emitChange(true);
    this.#pump();
  }

  /**
   * Before a run sends anything (engines with a store): fingerprint the file, make sure it is
   * the file a restored upload was for, and take the file's cross-tab lock, waiting while
   * another tab uploads it. After such a wait, the other tab's finished mark ends this upload
   * with its result ("uploaded once"); an unfinished record of the same file is taken over.
   * Returns 'stop' when the run has nothing more to do.
   */
  async #claim(upload: Upload, signal: AbortSignal): Promise<'go' | 'stop'> {
    const record = upload.record;
    let fingerprint = record.fingerprint;
    // Once per file object: a pause and resume in the same page keeps the same file.
    if (fingerprint === undefined || upload.fingerprinted !== upload.file) {
      const hash = this.#hashHandle(upload);
      let computed: string;
      try {
        computed = await fileFingerprint(hash, record, signal);
      } catch (error) {
        if (signal.aborted) throw abortError(signal);
        if (error instanceof UploadError) throw error;
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        throw new UploadError({ code: 'unknown', kind: 'fatal', message: `Could not read the file (${reason})` }, { cause: error });
      }
      record.counters.bytesHashed = upload.hashedBefore + hash.bytesHashed;
      if (fingerprint !== undefined && fingerprint !== computed) {
        this.#detach(upload);
        return 'stop';
      }
      fingerprint = computed;
      record.fingerprint = computed;
      upload.fingerprinted = upload.file;
      this.#persist(upload);
    }
    const name = this.#lockName(record, fingerprint);
    // A lock manager that fails must not stop uploads: go on unlocked.
    let release = await this.#locks.acquire(name, { wait: false }).catch((): ReleaseLock => () => {});
    const waited = release === null;
    if (release === null) {
      upload.lockWait = true;
      this.#note(upload, 'the same file is uploading in another tab; waiting for it');
      this.#emitChange(true);
      try {
        release = await this.#locks.acquire(name, { wait: true, signal });
      } catch (error) {
        if (signal.aborted) throw abortError(signal);
        if (!(error instanceof Error)) throw error;
        release = () => {};
      } finally {
        delete upload.lockWait;
        this.#touch(upload);
      }
    }
    if (release !== null) upload.release = release;
    if (signal.aborted) throw abortError(signal);
    if (waited) {
      const mark = await this.#options.store?.finished?.(this.#finishedKey(record, fingerprint)).catch(() => undefined);
      if (mark !== undefined) {
        record.result = mark.result;
        this.#apply(upload, 'rapid-done', 'uploaded in another tab');
        return 'stop';
      }
    }
    if (record.session === undefined) await this.#adopt(upload);
    return 'go';
  }

  /**
   * The picked file only looks like the one a restored upload was for (same name, size and
   * date, other bytes): never resume onto it. The restored upload waits on; the file is
   * uploaded as a new one.
   */
  #detach(upload: Upload): void {
    const file = upload.file;
    if (upload.hash !== undefined) {
      upload.hash.close();
      delete upload.hash;
    }
    upload.record.counters.bytesHashed = upload.hashedBefore;
    delete upload.file;
    delete upload.reattachedAt;
    upload.record.pausedBy = 'reload';
    this.#apply(upload, 'pause', 'the picked file has other content than the one this upload was for; it is uploaded as a new file');
    if (file instanceof File) {
      this.#addNew(file);
      this.#emitChange(true);
      this.#checkIdle();
    }
  }

  /**
   * A new upload of a file that an earlier page (or a closed tab) left unfinished: take over
   * that record's session, receipts, checksums and hash state instead of starting again.
   */
  async #adopt(upload: Upload): Promise<void> {
    const store = this.#options.store;
    const record = upload.record;
    if (store === undefined || record.fingerprint === undefined) return;
    let records: UploadRecord[];
    try {
      records = await store.list();
    } catch {
      this.#storeTrouble();
      return;
    }
    const mine = new Set(this.#uploads.map((u) => u.record.id));
    const orphan = records
      .filter((r) => r.fingerprint === record.fingerprint && r.scope === record.scope && r.provider === record.provider
        && !mine.has(r.id) && r.session !== undefined && isResumable(r))
      .sort((a, b) => Object.keys(b.receipts).length - Object.keys(a.receipts).length)[0];
    if (orphan?.session === undefined || record.session !== undefined) return;
    record.session = orphan.session;
    record.receipts = orphan.receipts;
    record.checksums = orphan.checksums;
    if (orphan.checksumPlan !== undefined) record.checksumPlan = orphan.checksumPlan;
    record.sentParts = { ...orphan.sentParts, ...record.sentParts };
    record.expiresAt = orphan.expiresAt;
    for (const name of ['bytesSent', 'bytesResent', 'retries', 'sessionRenewals'] as const) record.counters[name] += orphan.counters[name];
    if (orphan.sha1 !== undefined && (record.sha1 === undefined || record.sha1.offset < orphan.sha1.offset)) {
      record.sha1 = orphan.sha1;
      record.sha1Covered = Math.max(record.sha1Covered ?? 0, orphan.sha1Covered ?? orphan.sha1.offset);
      if (upload.hash !== undefined) this.#loadSha1(upload, upload.hash);
    }
    this.#note(upload, `continuing an unfinished upload of this file left by an earlier page (${String(Object.keys(record.receipts).length)} of ${String(orphan.session.plan.partCount)} parts)`);
    store.delete(orphan.id).catch(() => this.#storeTrouble());
    this.#persist(upload);
  }

  /** End of a run: a finished upload leaves its finished mark before the lock goes. */
  async #letGo(upload: Upload, release: ReleaseLock): Promise<void> {
    const { record } = upload;
    try {
      if (record.status === 'done' && record.result !== undefined && record.fingerprint !== undefined) {
        await this.#options.store?.markFinished?.({
          key: this.#finishedKey(record, record.fingerprint),
          result: record.result,
          expiresAt: this.#now() + FINISHED_MARK_TTL_MS,
        });
      }
    } catch {
      this.#storeTrouble();
    } finally {
      release();
    }
  }

  /**
   * Complete said parts are missing (Feishu 1062010 → parts-missing). Where the provider
   * lists its parts, the next round reconciles with that list. Feishu cannot say which it
   * lacks, so the record trusted a part it should not have: first the parts known only from
   * a stored record (acknowledged before a reload, never confirmed since) are sent again; if
   * parts are still missing, every part is sent once more; after that the upload fails.
   * Checksums are kept, so nothing is hashed again.
   */
  #recoverMissingParts(upload: Upload, client: ProviderClient, cause: UploadError): boolean {
    upload.missingRecoveries += 1;
    if (upload.missingRecoveries > MAX_MISSING_PARTS_RECOVERIES) return false;
    const record = upload.record;
    let what = 'checking which parts it holds';
    if (client.listParts === undefined) {
      const trusted = Object.keys(record.receipts).map(Number);
      let resend = trusted.filter((index) => !upload.verified.has(index));
      if (resend.length === 0 || upload.missingRecoveries > 1) resend = trusted;
      if (resend.length === 0) return false;
      for (const index of resend) delete record.receipts[index];
      what = `sending ${String(resend.length)} part(s) again`;
    }
    const note = `the provider is missing parts (${cause.providerCode ?? cause.code}); ${what}`;
    if (!this.#apply(upload, 'session-lost', note)) this.#note(upload, note);
    this.#persist(upload);
    return true;
  }

  /** Abort the upload's run (requests, waits, hashing); the run then ends quietly. */
  #stopRun(upload: Upload): void {
    upload.run?.controller.abort();
  }

  #checkIdle(): void {
    const busy = this.#uploads.some((u) => !['done', 'failed', 'cancelled'].includes(u.record.status));
    const wasBusy = this.#busy;
    this.#busy = busy;
    if (wasBusy && !busy) this.#emitList('queue-complete');
  }

  // ---- scheduling ----

  /** Activate queued uploads while fewer than `concurrency` are active. */
  #pump(): void {
    if (this.#disposed) return;
    let active = this.#uploads.filter((u) => u.run !== undefined).length;
    for (const upload of this.#uploads) {
      if (active >= this.#concurrency) return;
      if (upload.record.status !== 'queued' || !upload.ready || upload.run !== undefined || upload.file === undefined) continue;
      const run: Run = { controller: new AbortController() };
      upload.run = run;
      active += 1;
      void this.#runUpload(upload, run);
    }
  }

  /** Drive one upload until it is done, failed, paused or cancelled. Never rejects. */
  async #runUpload(upload: Upload, run: Run): Promise<void> {
    const signal = run.controller.signal;
    try {
      if (upload.record.session === undefined || upload.client === undefined) {
        // A new session goes to the provider configured now (setOptions may have changed it).
        upload.client = this.#options.provider;
        upload.record.provider = upload.client.name;
      }
      const client = upload.client;
      const refusal = this.#refusal(upload.record, client);
      if (refusal !== undefined) {
        this.#fail(upload, refusal);
        return;
      }
      if (!this.#apply(upload, 'start')) return;
      if (this.#options.store !== undefined && (await this.#claim(upload, signal)) !== 'go') return;
      for (;;) {
        try {
          const session = await this.#prepareSession(upload, client, signal);
          if (session === 'done') return;
          if (!this.#apply(upload, 'session-opened')) return;
          await this.#sendParts(upload, client, session, run);
          if (!this.#apply(upload, 'parts-acked')) return;
          upload.record.result = await this.#complete(upload, client, session, signal);
          this.#apply(upload, 'completed');
          return;
        } catch (error) {
          if (signal.aborted) throw error;
          if (error instanceof SessionLost) this.#renewSession(upload, error.error);
          else if (!(error instanceof PartsMissing && this.#recoverMissingParts(upload, client, error.error))) throw error instanceof PartsMissing ? error.error : error;
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      this.#fail(upload, toUploadError(error));
    } finally {
      if (upload.run === run) {
        if (upload.hash !== undefined) {
          upload.hashedBefore += upload.hash.bytesHashed;
          upload.hash.close();
          delete upload.hash;
        }
        upload.retryAts.clear();
        delete upload.run;
        delete upload.lockWait;
        const release = upload.release;
        delete upload.release;
        if (release !== undefined) void this.#letGo(upload, release);
      }
      this.#touch(upload);
      this.#pump();
    }
  }

  /**
   * The session expired: forget it and its receipts so the run opens a new one and sends
   * what the new session does not hold. Checksums stay (same plan → no re-hashing).
   * Throws the expiry error when sessions keep expiring without any part getting through.
   */
  #renewSession(upload: Upload, cause: UploadError): void {
    upload.renewalsWithoutProgress += 1;
    if (upload.renewalsWithoutProgress > MAX_SESSION_RENEWALS_WITHOUT_PROGRESS) throw cause;
    const record = upload.record;
    record.counters.sessionRenewals += 1;
    delete record.session;
    record.receipts = {};
    upload.verified.clear();
    upload.missingRecoveries = 0;
    const note = `session expired (${cause.code}); opening a new session`;
    if (!this.#apply(upload, 'session-lost', note)) this.#note(upload, note);
    this.#persist(upload);
  }

  /** Open a session (or reuse the one held), or finish at once on rapid upload. */
  async #prepareSession(upload: Upload, client: ProviderClient, signal: AbortSignal): Promise<UploadSession | 'done'> {
    const record = upload.record;
    const held = record.session;
    if (held !== undefined) {
      if (client.listParts !== undefined) {
        // Reconcile: the provider's list is the truth. A part the record has but the provider
        // lacks (e.g. acknowledged, then lost there) is sent again; one it has is not.
        const listed = await this.#withRetries(upload, client, signal, 'lost', (s) => client.listParts?.(held, s) ?? Promise.resolve([]));
        const receipts: Record<number, PartReceipt> = {};
        for (const receipt of listed) {
          if (receipt.index < 0 || receipt.index >= held.plan.partCount) continue;
          receipts[receipt.index] = { ...record.receipts[receipt.index], ...receipt };
          upload.verified.add(receipt.index);
        }
        const lost = Object.keys(record.receipts).filter((index) => receipts[Number(index)] === undefined).length;
        record.receipts = receipts;
        if (lost > 0) this.#note(upload, `the provider lacks ${lost} part(s) the record had; sending them again`);
        this.#persist(upload);
      }
      return held;
    }
    const request: CreateSessionRequest = {
      provider: client.name,
      target: record.target,
      fileName: record.name,
      size: record.size,
      ...(record.type !== '' && { mimeType: record.type }),
      lastModified: record.lastModified,
      ...(record.chunkSize !== undefined && { partSize: record.chunkSize }),
      ...(record.providerOptions !== undefined && { providerOptions: record.providerOptions }),
    };
    const hash = this.#hashHandle(upload);
    const context = { hash, file: this.#fileOf(upload) };
    const session = await this.#withRetries(upload, client, signal, 'retry', (s) => client.createSession(request, s, context));
    record.counters.bytesHashed = upload.hashedBefore + hash.bytesHashed;
    if (signal.aborted) {
      // Cancelled while the backend was opening it: drop it there too (best effort).
      if (record.status === 'cancelled' && session.result === undefined) client.abort(session).catch(() => undefined);
      throw abortError(signal);
    }
    if (session.result !== undefined) {
      record.result = session.result;
      this.#apply(upload, 'rapid-done', 'rapid upload: the provider already had the content');
      return 'done';
    }
    const invalid = this.#checkPlan(session, record.size);
    if (invalid !== undefined) throw invalid;
    record.session = session;
    record.expiresAt = this.#now() + this.#sessionLifetime(client);
    record.receipts = {};
    upload.verified.clear();
    upload.missingRecoveries = 0;
    for (const receipt of session.uploadedParts ?? []) {
      if (receipt.index < 0 || receipt.index >= session.plan.partCount) continue;
      record.receipts[receipt.index] = receipt;
      upload.verified.add(receipt.index);
    }
    if (session.partChecksum !== null) {
      const plan = record.checksumPlan;
      if (plan === undefined || plan.kind !== session.partChecksum || plan.partSize !== session.plan.partSize) {
        record.checksums = {};
        record.checksumPlan = { kind: session.partChecksum, partSize: session.plan.partSize };
      }
    }
    this.#touch(upload);
    this.#persist(upload);
    return session;
  }

  /** A plan the engine can follow, or the reason it cannot. */
  #checkPlan(session: UploadSession, size: number): UploadError | undefined {
    const { partSize, partCount } = session.plan;
    const expected = Math.ceil(size / partSize);
    const planOk = Number.isInteger(partSize) && partSize > 0 && Number.isInteger(partCount)
      && (partCount === expected || (size === 0 && partCount === 1));
    const trafficOk = Number.isInteger(session.traffic.maxConcurrency) && session.traffic.maxConcurrency >= 1
      && Number.isFinite(session.traffic.minIntervalMs) && session.traffic.minIntervalMs >= 0;
    if (planOk && trafficOk) return undefined;
    return new UploadError({ code: 'bad-response', kind: 'fatal', message: `The backend sent an unusable part plan (${partCount} parts of ${partSize} bytes for ${size} bytes)` });
  }

  #partRange(session: UploadSession, size: number, index: number): { start: number; end: number } {
    const start = index * session.plan.partSize;
    return { start, end: Math.min(size, start + session.plan.partSize) };
  }

  // ---- parts ----

  /** Send every unacknowledged part; resolves when all are acknowledged. */
  async #sendParts(upload: Upload, client: ProviderClient, session: UploadSession, run: Run): Promise<void> {
    const record = upload.record;
    const queue: number[] = [];
    for (let index = 0; index < session.plan.partCount; index += 1) if (record.receipts[index] === undefined) queue.push(index);
    if (queue.length === 0) return;
    const { controller, unlink } = childController(run.controller.signal);
    const lanes = Math.min(this.#concurrency, session.traffic.maxConcurrency, queue.length);
    const lookAhead = lanes + HASH_LOOK_AHEAD_EXTRA;
    const phase: Phase = { controller, unlink, inFlight: new Map(), checksumJobs: new Map(), queue, lookAhead };
    upload.phase = phase;
    if (usesSha1(session)) this.#followSha1(upload, session, controller.signal).catch(() => undefined);
    let failure: Error | undefined;
    const lane = async (): Promise<void> => {
      while (!controller.signal.aborted) {
        const index = queue.shift();
        if (index === undefined) return;
        if (session.partChecksum !== null) for (const next of queue.slice(0, lookAhead)) this.#checksum(upload, phase, session, next).catch(() => undefined);
        try {
          await this.#sendPart(upload, client, session, phase, index);
        } catch (error) {
          if (!controller.signal.aborted) {
            failure ??= error instanceof Error ? error : toUploadError(error);
            controller.abort();
          }
          return;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: lanes }, lane));
    } finally {
      unlink();
      if (upload.phase === phase) delete upload.phase;
      this.#touch(upload);
    }
    if (failure !== undefined) throw failure;
    if (run.controller.signal.aborted) throw abortError(run.controller.signal);
  }

  /** Send one part, retrying as its failures allow; throws UploadError, SessionLost or an abort. */
  async #sendPart(upload: Upload, client: ProviderClient, session: UploadSession, phase: Phase, index: number): Promise<void> {
    const record = upload.record;
    const signal = phase.controller.signal;
    const { start, end } = this.#partRange(session, record.size, index);
    const length = end - start;
    const tally: Tally = { attempts: 0, rateWaits: 0 };
    let bestLoaded = 0;
    let checksumResent = false;
    const pacer = this.#pacer(client.name);
    for (;;) {
      let loaded = 0;
      let failed: unknown;
      let release: (() => void) | undefined;
      try {
        // Hash before taking a slot, so a slot never waits for the hash pool.
        const checksum = session.partChecksum === null ? undefined : await this.#checksum(upload, phase, session, index);
        release = await this.#slots.acquire(signal);
        await pacer.wait(session.traffic.minIntervalMs, signal);
        if (!this.#connectivity.online) {
          this.#pauseUpload(upload, 'offline');
          throw abortError(signal);
        }
        record.counters.bytesSent += length;
        if (record.sentParts[index] === true) record.counters.bytesResent += length;
        else {
          record.sentParts[index] = true;
          // Stored before the bytes go, so a reload mid-part counts its re-send as one.
          if (this.#options.store !== undefined) this.#persist(upload);
        }
        phase.inFlight.set(index, 0);
        if (upload.reattachedAt !== undefined) {
          // Measured for issue 4: how long a re-picked file waits before bytes move again.
          this.#note(upload, `resumed: first part request ${String(this.#now() - upload.reattachedAt)} ms after the file came back`);
          delete upload.reattachedAt;
        }
        const file = this.#fileOf(upload);
        const receipt = await this.#withStallTimeout(signal, (requestSignal, touch) =>
          client.sendPart(
            session,
            { index, start, end, body: file.slice(start, end), ...(checksum !== undefined && { checksum }), upcoming: this.#upcoming(upload, phase) },
            (bytes) => {
              touch();
              if (requestSignal.aborted) return;
              loaded = Math.max(0, Math.min(length, bytes));
              phase.inFlight.set(index, loaded);
              this.#progressed(upload);
            },
            requestSignal,
          ));
        phase.inFlight.delete(index);
        if (signal.aborted) throw abortError(signal);
        record.receipts[index] = { ...receipt, index } satisfies PartReceipt;
        upload.verified.add(index);
        upload.renewalsWithoutProgress = 0;
        pacer.relax();
        this.#persist(upload);
        this.#progressed(upload);
        return;
      } catch (error) {
        failed = error;
      } finally {
        release?.();
      }
      phase.inFlight.delete(index);
      this.#progressed(upload);
      if (signal.aborted) throw abortError(signal);
      const error = toUploadError(failed);
      // tus-js-client: a try that moved bytes further than any before resets the attempt counter.
      if (loaded > bestLoaded) {
        bestLoaded = loaded;
        tally.attempts = 0;
      }
      if (error.kind === 'session-expired') throw new SessionLost(error);
      if (error.kind === 'checksum-mismatch') {
        // DESIGN.md: re-read and re-hash the part once, then fail loudly.
        if (checksumResent) throw error;
        checksumResent = true;
        delete record.checksums[index];
        record.counters.bytesRehashed += length;
        record.counters.retries += 1;
        this.#note(upload, `part ${index}: checksum rejected (${error.providerCode ?? error.code}); re-hashing and sending it once more`);
        continue;
      }
      await this.#waitBeforeRetry(upload, client, error, tally, signal, `part ${index}`);
    }
  }

  /**
   * Run `send` with a watchdog: no progress for `stallTimeoutMs` aborts the request and
   * turns it into a retryable `stalled` error (DESIGN.md "Failure handling").
   */
  async #withStallTimeout<T>(signal: AbortSignal, send: (signal: AbortSignal, touch: () => void) => Promise<T>): Promise<T> {
    const stallMs = this.#options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    const { controller, unlink } = childController(signal);
    let stalled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const touch = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, stallMs);
    };
    touch();
    try {
      return await send(controller.signal, touch);
    } catch (error) {
      if (stalled && !signal.aborted) {
        throw new UploadError({ code: 'stalled', kind: 'retry', message: `No upload progress for ${Math.round(stallMs / 1000)} s; retrying` }, { cause: error });
      }
      throw error;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      unlink();
    }
  }

  /** The next parts of the queue with the checksums known so far (PartPayload.upcoming). */
  #upcoming(upload: Upload, phase: Phase): UpcomingPart[] {
    return phase.queue.slice(0, phase.lookAhead).map((index) => {
      const checksum = upload.record.checksums[index];
      return checksum === undefined ? { index } : { index, checksum };
    });
  }

  /** The part's checksum: from the record, from a job already running, or a new job in the pool. */
  #checksum(upload: Upload, phase: Phase, session: UploadSession, index: number): Promise<string> {
    const known = upload.record.checksums[index];
    if (known !== undefined) return Promise.resolve(known);
    const running = phase.checksumJobs.get(index);
    if (running !== undefined) return running;
    const kind = session.partChecksum;
    if (kind === null) return Promise.reject(new Error('no checksum wanted'));
    const { start, end } = this.#partRange(session, upload.record.size, index);
    const handle = this.#hashHandle(upload);
    const job = (async (): Promise<string> => {
      try {
        const value = await handle.partChecksum(kind, start, end, phase.controller.signal);
        upload.record.checksums[index] = value;
        upload.record.counters.bytesHashed = upload.hashedBefore + handle.bytesHashed;
        this.#touch(upload);
        return value;
      } catch (error) {
        if (phase.controller.signal.aborted) throw abortError(phase.controller.signal);
        // The pool classifies its own failures (a crashed worker is worth a retry).
        if (error instanceof UploadError) throw error;
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        throw new UploadError({ code: 'unknown', kind: 'fatal', message: `Could not read or hash bytes ${start}–${end} of the file (${reason})` }, { cause: error });
      } finally {
        phase.checksumJobs.delete(index);
      }
    })();
    phase.checksumJobs.set(index, job);
    return job;
  }

  /** The file's handle in the hash pool, opened on first use with any saved SHA-1 state loaded first. */
  #hashHandle(upload: Upload): HashHandle {
    if (upload.hash !== undefined) return upload.hash;
    const handle = this.#options.hasher.open(this.#fileOf(upload));
    upload.hash = handle;
    upload.sha1Base = 0;
    this.#loadSha1(upload, handle);
    return handle;
  }

  #fileOf(upload: Upload): Blob {
    if (upload.file === undefined) {
      throw new UploadError({ code: 'unknown', kind: 'fatal', message: `The file of ${upload.record.name} is not available; pick it again` });
    }
    return upload.file;
  }

  /** Hand the saved SHA-1 state to the pool; its SHA-1 jobs run in order, so later ones continue from it. */
  #loadSha1(upload: Upload, handle: HashHandle): void {
    const saved = upload.record.sha1;
    if (saved === undefined) return;
    upload.sha1Base = saved.offset;
    handle.sha1Advance(saved.offset, { offset: saved.offset, state: hexToBytes(saved.state) }).catch(() => {
      // Written by another hash-wasm build, or damaged: the SHA-1 starts over and those bytes count as re-hashed.
      if (upload.hash !== handle) return;
      upload.sha1Base = 0;
      if (upload.record.sha1 === saved) delete upload.record.sha1;
    });
  }

  /**
   * Advance the whole-file SHA-1 part by part in the background and keep the state after each
   * part in the record (persisted with the next acknowledged part), so a reload never hashes
   * those bytes again (DESIGN.md "Data flow" 3). The state depends on the file only, so it
   * may run ahead of the network.
   */
  async #followSha1(upload: Upload, session: UploadSession, signal: AbortSignal): Promise<void> {
    const handle = this.#hashHandle(upload);
    const { partSize, partCount } = session.plan;
    for (let index = 0; index < partCount; index += 1) {
      const end = Math.min(upload.record.size, (index + 1) * partSize);
      if (end <= (upload.sha1Base ?? 0)) continue;
      if (signal.aborted || upload.hash !== handle) return;
      const checkpoint = await handle.sha1Advance(end, undefined, signal);
      if (upload.hash !== handle) return;
      this.#sha1Reached(upload, checkpoint.offset, checkpoint);
      // Acknowledged parts store the latest state anyway; while parts are slow, store it now and then.
      const now = this.#now();
      if (end === upload.record.size || now - (upload.sha1SavedAt ?? Number.NEGATIVE_INFINITY) >= SHA1_SAVE_INTERVAL_MS) {
        upload.sha1SavedAt = now;
        this.#persist(upload);
      }
    }
  }

  /** The sequential SHA-1 reached `offset`: count bytes hashed again, remember the state. */
  #sha1Reached(upload: Upload, offset: number, checkpoint?: Sha1Checkpoint): void {
    const record = upload.record;
    const from = upload.sha1Base ?? 0;
    const covered = record.sha1Covered ?? 0;
    if (offset > from) record.counters.bytesRehashed += Math.max(0, Math.min(offset, covered) - from);
    upload.sha1Base = Math.max(from, offset);
    record.sha1Covered = Math.max(covered, offset);
    if (checkpoint !== undefined && checkpoint.offset >= (record.sha1?.offset ?? 0)) {
      record.sha1 = { offset: checkpoint.offset, state: bytesToHex(checkpoint.state) };
    }
    record.counters.bytesHashed = upload.hashedBefore + (upload.hash?.bytesHashed ?? 0);
    this.#touch(upload);
  }

  // ---- session calls and retries ----

  /** Complete the upload with every receipt, in part order. */
  async #complete(upload: Upload, client: ProviderClient, session: UploadSession, signal: AbortSignal): Promise<UploadResult> {
    const parts = Object.values(upload.record.receipts).sort((a, b) => a.index - b.index);
    const request: CompleteRequest = { parts };
    if (session.wholeFileHashes?.includes('sha1') === true) request.sha1 = await this.#wholeFileSha1(upload, signal);
    try {
      return await this.#withRetries(upload, client, signal, 'lost', (s) => client.complete(session, request, s));
    } catch (error) {
      throw error instanceof UploadError && error.code === 'parts-missing' ? new PartsMissing(error) : error;
    }
  }

  /** The whole-file SHA-1 from the hash pool (which keeps its sequential state between parts). */
  async #wholeFileSha1(upload: Upload, signal: AbortSignal): Promise<string> {
    const handle = this.#hashHandle(upload);
    try {
      const digest = await handle.sha1Digest(signal);
      this.#sha1Reached(upload, upload.record.size);
      return digest;
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      if (error instanceof UploadError) throw error;
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new UploadError({ code: 'unknown', kind: 'fatal', message: `Could not read or hash the file (${reason})` }, { cause: error });
    }
  }

  /**
   * Call `op`, retrying retryable failures. `onExpired`: 'lost' turns session expiry into
   * SessionLost (the run opens a new session); 'retry' treats it as retryable (session creation).
   */
  async #withRetries<T>(upload: Upload, client: ProviderClient, signal: AbortSignal, onExpired: 'lost' | 'retry', op: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const tally: Tally = { attempts: 0, rateWaits: 0 };
    for (;;) {
      if (!this.#connectivity.online) {
        this.#pauseUpload(upload, 'offline');
        throw abortError(signal);
      }
      try {
        return await op(signal);
      } catch (caught) {
        if (signal.aborted) throw abortError(signal);
        const error = toUploadError(caught);
        if (error.kind === 'session-expired' && onExpired === 'lost') throw new SessionLost(error);
        await this.#waitBeforeRetry(upload, client, error, tally, signal, upload.record.status);
      }
    }
  }

  /**
   * Decide what a failure means and wait for the retry; throws the error when it is final.
   * Offline failures pause the upload without spending an attempt.
   */
  async #waitBeforeRetry(upload: Upload, client: ProviderClient, error: UploadError, tally: Tally, signal: AbortSignal, what: string): Promise<void> {
    const counters = upload.record.counters;
    if ((error.kind === 'retry' || error.code === 'offline') && !this.#connectivity.online) {
      this.#pauseUpload(upload, 'offline');
      throw abortError(signal);
    }
    let wait: number;
    const bounds = {
      baseDelayMs: this.#options.retry?.baseDelayMs ?? DEFAULT_BASE_DELAY_MS,
      maxDelayMs: this.#options.retry?.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
    };
    if (error.kind === 'rate-limited') {
      tally.rateWaits += 1;
      if (tally.rateWaits > MAX_RATE_LIMIT_WAITS) throw error;
      wait = error.retryAfterMs ?? backoffDelay(tally.rateWaits, bounds, this.#random);
      this.#pacer(client.name).penalize(wait);
    } else if (error.kind === 'retry' || error.kind === 'session-expired') {
      tally.attempts += 1;
      if (tally.attempts >= (this.#options.retry?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)) throw error;
      wait = backoffDelay(tally.attempts, bounds, this.#random);
    } else {
      throw error;
    }
    counters.retries += 1;
    this.#note(upload, `${what}: ${error.code}; retrying in ${Math.ceil(wait / 1000)} s`);
    const pending = { at: this.#now() + wait };
    upload.retryAts.add(pending);
    this.#touch(upload);
    // Not throttled: "retrying in 4 s" must show while the wait is on, however short.
    this.#emitChange(true);
    try {
      await sleep(wait, signal);
    } finally {
      upload.retryAts.delete(pending);
      this.#touch(upload);
    }
  }

  // ---- snapshots, events, persistence ----

  /** Add a history line without a status change. */
  #note(upload: Upload, note: string): void {
    const history = upload.record.history;
    history.push({ at: this.#now(), status: upload.record.status, note });
    if (history.length > MAX_HISTORY) history.splice(0, history.length - MAX_HISTORY);
    this.#touch(upload);
  }

  /** The upload changed: drop cached snapshots. */
  #touch(upload: Upload): void {
    delete upload.snapshot;
    this.#uploadsView = undefined;
  }

  /** Bytes moved: sample the speed and schedule throttled progress events. */
  #progressed(upload: Upload): void {
    this.#touch(upload);
    upload.meter.sample(this.#transferred(upload), this.#now());
    this.#scheduleProgress(upload);
    this.#emitChange(false);
  }

  #uploaded(upload: Upload): number {
    const record = upload.record;
    if (record.status === 'done') return record.size;
    const session = record.session;
    if (session === undefined) return 0;
    let bytes = 0;
    for (const receipt of Object.values(record.receipts)) {
      const { start, end } = this.#partRange(session, record.size, receipt.index);
      bytes += Math.max(0, end - start);
    }
    return bytes;
  }

  #transferred(upload: Upload): number {
    let bytes = this.#uploaded(upload);
    for (const loaded of upload.phase?.inFlight.values() ?? []) bytes += loaded;
    return Math.min(upload.record.size, bytes);
  }

  #snapshot(upload: Upload): UploadSnapshot {
    if (upload.snapshot !== undefined) return upload.snapshot;
    const record = upload.record;
    const now = this.#now();
    const bytesUploaded = this.#uploaded(upload);
    const bytesTransferred = Math.max(bytesUploaded, this.#transferred(upload));
    const speed = record.status === 'uploading' ? upload.meter.at(now) : 0;
    const remaining = record.size - bytesTransferred;
    const retryAt = upload.retryAts.size > 0 ? Math.min(...[...upload.retryAts].map((r) => r.at)) : undefined;
    const error = freezeSnapshotError(record.error);
    const stalled = record.status === 'paused' || record.status === 'failed';
    const waitingFor: UploadWait | undefined = upload.lockWait === true ? 'other-tab'
      : upload.file === undefined && stalled ? (record.fileHandle !== undefined ? 'permission' : 'file')
      : undefined;
    const snapshot: UploadSnapshot = Object.freeze({
      id: record.id,
      name: record.name,
      size: record.size,
      type: record.type,
      status: record.status,
      bytesUploaded,
      bytesTransferred,
      progress: record.size === 0 ? (record.status === 'done' ? 1 : 0) : bytesTransferred / record.size,
      speed,
      eta: speed > 0 ? remaining / speed : null,
      partsDone: Object.keys(record.receipts).length,
      partCount: record.session?.plan.partCount ?? 0,
      ...(retryAt !== undefined && { retryAt }),
      ...(waitingFor !== undefined && { waitingFor }),
      ...(error !== undefined && { error }),
      ...(record.result !== undefined && { result: Object.freeze({ ...record.result }) }),
      counters: Object.freeze({ ...record.counters }),
      history: Object.freeze(record.history.map((entry) => Object.freeze({ ...entry }))),
    });
    upload.snapshot = snapshot;
    return snapshot;
  }

  #scheduleProgress(upload: Upload): void {
    if (this.#disposed || upload.progressTimer !== undefined) return;
    const interval = this.#options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    const wait = upload.lastProgressAt + interval - this.#now();
    if (wait <= 0) {
      upload.lastProgressAt = this.#now();
      this.#emitUpload('upload-progress', upload);
      return;
    }
    upload.progressTimer = setTimeout(() => {
      delete upload.progressTimer;
      upload.lastProgressAt = this.#now();
      this.#emitUpload('upload-progress', upload);
    }, wait);
  }

  /** Emit `change` now (`immediate`, for status changes) or throttled (progress). */
  #emitChange(immediate: boolean): void {
    if (this.#disposed) return;
    const interval = this.#options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    const wait = this.#lastChangeAt + interval - this.#now();
    if (immediate || wait <= 0) {
      if (this.#changeTimer !== undefined) clearTimeout(this.#changeTimer);
      this.#changeTimer = undefined;
      this.#lastChangeAt = this.#now();
      this.#emitList('change');
      return;
    }
    this.#changeTimer ??= setTimeout(() => {
      this.#changeTimer = undefined;
      this.#lastChangeAt = this.#now();
      this.#emitList('change');
    }, wait);
  }

  // Listeners run after the engine's state is consistent. A listener that throws is
  // reported by the platform (window error / Node uncaught exception); dispatchEvent
  // itself never throws, so the engine goes on.
  #emitUpload(type: UploadEventName, upload: Upload): void {
    if (this.#disposed) return;
    this.dispatchEvent(new CustomEvent(type, { detail: Object.freeze({ upload: this.#snapshot(upload) }) }));
  }

  #emitList(type: 'change' | 'queue-complete'): void {
    if (this.#disposed) return;
    this.dispatchEvent(new CustomEvent(type, { detail: Object.freeze({ uploads: this.uploads }) }));
  }

  #persist(upload: Upload): void {
    const store = this.#options.store;
    if (store === undefined) return;
    // A copy, so later changes never reach a write in progress; the file handle is passed as
    // it is (the store structured-clones it; a test double may not be cloneable).
    const { fileHandle, ...plain } = upload.record;
    const copy: UploadRecord = structuredClone(plain);
    if (fileHandle !== undefined) copy.fileHandle = fileHandle;
    // Best effort (UploadStore): a full or blocked IndexedDB must not fail the upload itself.
    store.put(copy).then(() => this.#checkDurable(), () => this.#storeTrouble());
  }

  #forget(upload: Upload): void {
    this.#options.store?.delete(upload.record.id).catch(() => this.#storeTrouble());
  }
}
