import { UploadError, isAbort } from '../core/index.js';
import type {
  CompleteRequest,
  CreateSessionRequest,
  HashHandle,
  HashService,
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
  /** Records are written here after each acknowledged part (persistence, issue 4). */
  store?: UploadStore;
  /** Network state; defaults to `navigator.onLine` and the global `online` event. */
  connectivity?: Connectivity;
  /** Clock (ms since epoch), injectable for tests. */
  now?: () => number;
  /** Uniform random source in [0, 1), injectable for tests. */
  random?: () => number;
}

/** Options that `setOptions` may change while the engine runs. */
export type UploadEngineOptionsPatch = Partial<
  Pick<UploadEngineOptions, 'target' | 'concurrency' | 'chunkSize' | 'maxFileSize' | 'accept' | 'autoStart' | 'providerOptions' | 'provider'>
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

/** The session is gone mid-upload; the run opens a new one. */
class SessionLost extends Error {
  override readonly name = 'SessionLost';
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
  file: Blob;
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

/**
 * Headless uploader: a queue of files, each driven through `transition` by a scheduler that
 * keeps parts in flight, hashes ahead of the network, retries, renews sessions and reports
 * progress. DOM-free: it runs in a page, a worker or Node.
 *
 * Concurrency: `concurrency` bounds the parts in flight across all files (a FIFO pool of
 * slots, so files share it fairly) and also how many files are active at once; each file
 * additionally keeps to its session's `traffic.maxConcurrency`.
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
      const at = this.#now();
      const record: UploadRecord = {
        id: this.#newId(),
        name: file.name,
        size: file.size,
        type: file.type,
        lastModified: file.lastModified,
        provider: this.#options.provider.name,
        target: this.#options.target,
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
        ready: this.#options.autoStart !== false,
        hashedBefore: 0,
        meter: new SpeedMeter(),
        retryAts: new Set(),
        renewalsWithoutProgress: 0,
        lastProgressAt: Number.NEGATIVE_INFINITY,
      };
      this.#uploads.push(upload);
      this.#touch(upload);
      added.push(upload);
      this.#emitUpload('upload-added', upload);
      const refusal = this.#refusal(record, this.#options.provider);
      if (refusal !== undefined) this.#fail(upload, refusal);
      else this.#persist(upload);
    }
    this.#emitChange(true);
    this.#checkIdle();
    this.#pump();
    return added.map((u) => this.#snapshot(u));
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

  /** Resume paused uploads from their acknowledged parts. */
  resume(id?: string): void {
    for (const upload of this.#select(id)) {
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
      if (transition(upload.record.status, 'retry') === null) continue;
      upload.ready = true;
      upload.renewalsWithoutProgress = 0;
      delete upload.record.error;
      this.#apply(upload, 'retry');
    }
    this.#pump();
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
      if (upload.record.status !== 'queued' || !upload.ready || upload.run !== undefined) continue;
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
          if (!(error instanceof SessionLost) || signal.aborted) throw error;
          this.#renewSession(upload, error.error);
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
        const listed = await this.#withRetries(upload, client, signal, 'lost', (s) => client.listParts?.(held, s) ?? Promise.resolve([]));
        for (const receipt of listed) if (receipt.index >= 0 && receipt.index < held.plan.partCount) record.receipts[receipt.index] = receipt;
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
    upload.hash ??= this.#options.hasher.open(upload.file);
    const context = { hash: upload.hash, file: upload.file };
    const session = await this.#withRetries(upload, client, signal, 'retry', (s) => client.createSession(request, s, context));
    record.counters.bytesHashed = upload.hashedBefore + upload.hash.bytesHashed;
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
    record.receipts = {};
    for (const receipt of session.uploadedParts ?? []) {
      if (receipt.index >= 0 && receipt.index < session.plan.partCount) record.receipts[receipt.index] = receipt;
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
        else record.sentParts[index] = true;
        phase.inFlight.set(index, 0);
        const receipt = await this.#withStallTimeout(signal, (requestSignal, touch) =>
          client.sendPart(
            session,
            { index, start, end, body: upload.file.slice(start, end), ...(checksum !== undefined && { checksum }), upcoming: this.#upcoming(upload, phase) },
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
    upload.hash ??= this.#options.hasher.open(upload.file);
    const handle = upload.hash;
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

  // ---- session calls and retries ----

  /** Complete the upload with every receipt, in part order. */
  async #complete(upload: Upload, client: ProviderClient, session: UploadSession, signal: AbortSignal): Promise<UploadResult> {
    const parts = Object.values(upload.record.receipts).sort((a, b) => a.index - b.index);
    const request: CompleteRequest = { parts };
    if (session.wholeFileHashes?.includes('sha1') === true) request.sha1 = await this.#wholeFileSha1(upload, signal);
    return this.#withRetries(upload, client, signal, 'lost', (s) => client.complete(session, request, s));
  }

  /** The whole-file SHA-1 from the hash pool (which keeps its sequential state between parts). */
  async #wholeFileSha1(upload: Upload, signal: AbortSignal): Promise<string> {
    upload.hash ??= this.#options.hasher.open(upload.file);
    const handle = upload.hash;
    try {
      const digest = await handle.sha1Digest(signal);
      upload.record.counters.bytesHashed = upload.hashedBefore + handle.bytesHashed;
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
    // Best effort (UploadStore): a full or blocked IndexedDB must not fail the upload itself.
    store.put(structuredClone(upload.record)).catch(() => undefined);
  }

  #forget(upload: Upload): void {
    this.#options.store?.delete(upload.record.id).catch(() => undefined);
  }
}
