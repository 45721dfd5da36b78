import { wrap, type Remote } from 'comlink';
import type { HashHandle, HashService, Sha1Checkpoint } from '../core/hash-service.js';
import type { PartChecksumKind } from '../core/protocol.js';
import { abortError } from '../core/abort-error.js';
import { UploadError } from '../core/upload-error.js';
import { INDEPENDENT_CHECKSUM_KINDS, type IndependentChecksumKind } from './encode-checksum.js';
import type { HashJobOutcome, HashWorkerApi, Sha1AdvanceResult } from './hash-worker-api.js';
import { SHA1_BLOCK_BYTES, cosDatasha, sha1StateWords } from './sha1-state.js';

/** Most workers a pool starts: reads, not CPU, bound hashing beyond two (toolchain.md §3). */
export const HASH_POOL_MAX_WORKERS = 4;
/** Default time a pool with nothing to do keeps its workers (ms). */
export const HASH_POOL_IDLE_TIMEOUT_MS = 10_000;
/** Default read size inside a worker: large slices read faster (4 MiB ≈ 330, 16 MiB ≈ 450 MiB/s, toolchain.md §3). */
export const HASH_SLICE_BYTES = 8 * 1024 * 1024;
/** SHA-1 checkpoints a handle remembers to answer repeated or out-of-order requests (96 B each). */
const CHECKPOINT_MEMORY = 1024;

/** Options of {@link HashPool}. */
export interface HashPoolOptions {
  /** Workers at most; default `navigator.hardwareConcurrency` clamped to 1..{@link HASH_POOL_MAX_WORKERS}. */
  size?: number;
  /** Terminate all workers after this long with no work (ms); default {@link HASH_POOL_IDLE_TIMEOUT_MS}. */
  idleTimeoutMs?: number;
  /** Bytes per read inside a worker; default {@link HASH_SLICE_BYTES}. */
  sliceBytes?: number;
  /**
   * Start a hash worker. The default form, `new Worker(new URL('./hash.worker.ts',
   * import.meta.url), { type: 'module' })`, is what Vite and the test runner's esbuild
   * plugin recognise; override it only when a bundler needs another form.
   */
  createWorker?: () => Worker;
}

/** One live worker. */
interface Slot {
  worker: Worker;
  api: Remote<HashWorkerApi>;
  /** `configure()` sent at spawn; every job awaits it so a failure surfaces on a job. */
  ready: Promise<void>;
  /** Files this worker has been handed. */
  opened: Set<string>;
  /** The job running here; the pool runs one job per worker at a time. */
  job: Job | null;
  alive: boolean;
  /** dispose() asked to stop this worker once its job ends. */
  retire: boolean;
}

/** A file inside the pool, shared by its handle and the scheduler. */
interface PoolFile {
  id: string;
  blob: Blob;
  bytesHashed: number;
  closed: boolean;
  /** The worker holding this file's sequential SHA-1 (sticky). */
  sha1Slot: Slot | null;
  /** Known SHA-1 checkpoints by offset, oldest first. */
  checkpoints: Map<number, Uint8Array>;
  /** Whole-file SHA-1 once known. */
  digest: string | null;
}

/** A request waiting for, or running on, a worker. */
interface Job {
  id: number;
  file: PoolFile;
  /** Must run on `file.sha1Slot`. */
  sticky: boolean;
  slot: Slot | null;
  /** The caller has its answer (or its rejection); later outcomes only count bytes. */
  settled: boolean;
  call: (api: Remote<HashWorkerApi>, jobId: number) => Promise<HashJobOutcome<unknown>>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
  /** For messages: what was being hashed. */
  describe: string;
}

function closedError(): DOMException {
  return new DOMException('This hash handle is closed', 'InvalidStateError');
}

function defaultSize(): number {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.min(HASH_POOL_MAX_WORKERS, Math.max(1, Math.floor(cores) || 1));
}

function defaultWorker(): Worker {
  return new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module' });
}

function assertRange(start: number, end: number, size: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > size) {
    throw new RangeError(`Byte range [${start}, ${end}) is not inside a file of ${size} bytes`);
  }
}

/**
 * Hashing off the main thread: a lazily started pool of module Workers, each running
 * hash-wasm behind Comlink. Part checksums spread over the workers; each file's
 * sequential SHA-1 stays on one worker (its state lives there) and every checkpoint it
 * returns is remembered, so a terminated worker costs no re-hashing.
 * Workers stop after `idleTimeoutMs` without work and on {@link HashPool.dispose}; the
 * next request starts them again.
 *
 * @example
 * const pool = new HashPool();
 * const handle = pool.open(file);
 * const checksum = await handle.partChecksum('adler32', 0, 4 * 1024 * 1024, signal);
 * const { offset, state } = await handle.sha1Advance(4 * 1024 * 1024); // persist for a resume
 * handle.close();
 */
export class HashPool implements HashService {
  readonly #size: number;
  readonly #idleTimeoutMs: number;
  readonly #sliceBytes: number;
  readonly #createWorker: () => Worker;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #nextJobId = 0;
  #nextFileId = 0;

  constructor(options: HashPoolOptions = {}) {
    const { size = defaultSize(), idleTimeoutMs = HASH_POOL_IDLE_TIMEOUT_MS, sliceBytes = HASH_SLICE_BYTES } = options;
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`Pool size must be a positive integer, not ${size}`);
    if (!(idleTimeoutMs >= 0)) throw new RangeError(`Idle timeout must be at least 0 ms, not ${idleTimeoutMs}`);
    if (!Number.isSafeInteger(sliceBytes) || sliceBytes < 1) throw new RangeError(`Slice size must be a positive integer, not ${sliceBytes}`);
    this.#size = size;
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#sliceBytes = sliceBytes;
    this.#createWorker = options.createWorker ?? defaultWorker;
  }

  /** Most workers this pool runs at once. */
  get size(): number {
    return this.#size;
  }

  /** Workers alive right now (0 before first use and after an idle timeout). */
  get workerCount(): number {
    return this.#slots.length;
  }

  /** Register a file; no worker starts until the handle is first asked for something. */
  open(file: Blob): HashHandle {
    const poolFile: PoolFile = {
      id: `f${++this.#nextFileId}`, blob: file, bytesHashed: 0, closed: false,
      sha1Slot: null, checkpoints: new Map(), digest: null,
    };
    return new PoolHandle(poolFile, {
      submit: (job) => this.#submit(job),
      close: (target) => this.#closeFile(target),
    });
  }

  /**
   * Terminate idle workers now and busy ones as soon as their job ends. Nothing is
   * cancelled (an unmounted element must not stop uploads); the pool stays usable.
   */
  dispose(): void {
    this.#clearIdleTimer();
    for (const slot of [...this.#slots]) {
      if (slot.job) slot.retire = true;
      else this.#terminate(slot);
    }
  }

  #submit<T>(request: JobRequest<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const { file, signal } = request;
      if (file.closed) return reject(closedError());
      if (signal?.aborted) return reject(abortError(signal));
      const onAbort = (): void => this.#abort(job);
      const job: Job = {
        id: ++this.#nextJobId, file, sticky: request.sticky, slot: null, settled: false,
        describe: request.describe,
        call: request.call,
        resolve: (value) => resolve(value as T),
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#clearIdleTimer();
      this.#queue.push(job);
      this.#pump();
    });
  }

  /** Settle a job for its caller exactly once. */
  #settle(job: Job, outcome: { value: unknown } | { error: unknown }): void {
    if (job.settled) return;
    job.settled = true;
    job.cleanup();
    if ('value' in outcome) job.resolve(outcome.value);
    else job.reject(outcome.error);
  }

  /** Rejects at once; a running job is also told to stop at its next slice boundary. */
  #abort(job: Job): void {
    this.#settle(job, { error: abortError() });
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      this.#armIdleTimer();
    } else if (job.slot?.alive) {
      job.slot.api.cancel(job.id).catch(() => undefined);
    }
  }

  /** Start every queued job that has a worker free for it, in order. */
  #pump(): void {
    for (let i = 0; i < this.#queue.length;) {
      const job = this.#queue[i]!;
      const slot = this.#slotFor(job);
      if (slot === undefined) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      if (slot instanceof Error) this.#settle(job, { error: slot });
      else void this.#run(job, slot);
    }
    this.#armIdleTimer();
  }

  /** A free worker for this job, undefined to wait, or the error that prevented starting one. */
  #slotFor(job: Job): Slot | Error | undefined {
    if (job.sticky) {
      const sticky = job.file.sha1Slot;
      if (sticky?.alive) return sticky.job ? undefined : sticky;
    }
    const slot = this.#slots.find((s) => !s.job && !s.retire) ?? (this.#slots.length < this.#size ? this.#spawn() : undefined);
    if (job.sticky && slot && !(slot instanceof Error)) job.file.sha1Slot = slot;
    return slot;
  }

  #spawn(): Slot | Error {
    let worker: Worker;
    try {
      worker = this.#createWorker();
    } catch (error) {
      return new UploadError({ code: 'unknown', kind: 'fatal', message: `Could not start a hash worker: ${String(error)}` }, { cause: error });
    }
    const api = wrap<HashWorkerApi>(worker);
    const slot: Slot = { worker, api, ready: api.configure(this.#sliceBytes), opened: new Set(), job: null, alive: true, retire: false };
    slot.ready.catch(() => undefined); // awaited by every job; this only keeps an early failure handled
    // A worker that fails to load or dies never answers its pending Comlink calls: fail the job here.
    const onCrash = (event: Event): void => {
      event.preventDefault();
      const detail = event instanceof ErrorEvent && event.message ? event.message : event.type;
      this.#crash(slot, detail);
    };
    worker.addEventListener('error', onCrash);
    worker.addEventListener('messageerror', onCrash);
    this.#slots.push(slot);
    return slot;
  }

  async #run(job: Job, slot: Slot): Promise<void> {
    slot.job = job;
    job.slot = slot;
    try {
      await slot.ready;
      const { file } = job;
      if (!slot.opened.has(file.id)) {
        slot.opened.add(file.id);
        await slot.api.open(file.id, file.blob);
      }
      const outcome = await job.call(slot.api, job.id);
      file.bytesHashed += outcome.bytes;
      if (outcome.status === 'done') this.#settle(job, { value: outcome.value });
      else if (outcome.status === 'cancelled') this.#settle(job, { error: abortError() });
      else this.#settle(job, { error: workerError(job, outcome.name, outcome.message) });
    } catch (error) {
      // Comlink itself failed (e.g. a value that cannot be cloned): report it like a worker error.
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      this.#settle(job, { error: workerError(job, name, message) });
    } finally {
      if (slot.job === job) slot.job = null;
      if (slot.retire && slot.alive) this.#terminate(slot);
      this.#pump();
    }
  }

  #crash(slot: Slot, detail: string): void {
    if (!slot.alive) return;
    const job = slot.job;
    this.#terminate(slot);
    if (job) {
      this.#settle(job, {
        error: new UploadError({ code: 'unknown', kind: 'retry', message: `The hash worker stopped while hashing ${job.describe}: ${detail}` }),
      });
    }
    this.#pump();
  }

  #terminate(slot: Slot): void {
    slot.alive = false;
    slot.job = null;
    slot.worker.terminate();
    this.#slots = this.#slots.filter((s) => s !== slot);
  }

  #closeFile(file: PoolFile): void {
    file.closed = true;
    for (const job of [...this.#queue, ...this.#slots.map((s) => s.job)]) {
      if (job?.file === file) this.#abort(job);
    }
    for (const slot of this.#slots) {
      if (slot.opened.delete(file.id)) slot.api.close(file.id).catch(() => undefined);
    }
    file.checkpoints.clear();
    file.sha1Slot = null;
  }

  #armIdleTimer(): void {
    if (this.#idleTimer !== null || this.#queue.length > 0 || this.#slots.length === 0) return;
    if (this.#slots.some((s) => s.job)) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#queue.length > 0 || this.#slots.some((s) => s.job)) return;
      for (const slot of [...this.#slots]) this.#terminate(slot);
    }, this.#idleTimeoutMs);
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer === null) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }
}

/** Only `name` and `message` cross postMessage: rebuild a typed error that says what failed. */
function workerError(job: Job, name: string, message: string): UploadError {
  const cause = new Error(message);
  cause.name = name;
  return new UploadError({ code: 'unknown', kind: 'fatal', message: `Hashing ${job.describe} failed: ${name}: ${message}` }, { cause });
}

/** What a handle asks the pool to run. */
interface JobRequest<T> {
  file: PoolFile;
  sticky: boolean;
  signal: AbortSignal | undefined;
  describe: string;
  call: (api: Remote<HashWorkerApi>, jobId: number) => Promise<HashJobOutcome<T>>;
}

/** The pool as its handles see it. */
interface PoolAccess {
  submit<T>(request: JobRequest<T>): Promise<T>;
  close(file: PoolFile): void;
}

/** A file inside a {@link HashPool}; see {@link HashHandle}. */
class PoolHandle implements HashHandle {
  readonly #file: PoolFile;
  readonly #pool: PoolAccess;

  constructor(file: PoolFile, pool: PoolAccess) {
    this.#file = file;
    this.#pool = pool;
  }

  get bytesHashed(): number {
    return this.#file.bytesHashed;
  }

  /**
   * Per-part checksum in the provider's encoding: `adler32` decimal, `md5` and `crc32`
   * base64 (see encodeChecksum); `sha1-ctx` the PDS `parallel_sha1_ctx` JSON
   * `{"h":[...],"part_offset":start}` with `h: []` for the first part (spec §2.9 item 4);
   * `cos-datasha` the COS slice `datasha`, the full SHA-1 for the last slice (spec §3.7).
   * The SHA-1 kinds advance the sequential SHA-1, so ask for parts in file order.
   */
  async partChecksum(kind: PartChecksumKind, start: number, end: number, signal?: AbortSignal): Promise<string> {
    const file = this.#file;
    if (file.closed) throw closedError();
    assertRange(start, end, file.blob.size);
    if (isIndependent(kind)) {
      return this.#pool.submit({
        file, sticky: false, signal, describe: `${kind} of bytes [${start}, ${end})`,
        call: (api, jobId) => api.partChecksum(jobId, file.id, kind, start, end),
      });
    }
    if (kind === 'sha1-ctx') {
      // PDS wants the state before the part, at a 64-byte boundary (spec §2.9 item 4).
      if (start % SHA1_BLOCK_BYTES !== 0) throw new RangeError(`sha1-ctx needs a part start on a 64-byte boundary, not ${start}`);
      if (start === 0) return JSON.stringify({ h: [], part_offset: 0 });
      const { state } = await this.#advance(start, undefined, signal, false);
      return JSON.stringify({ h: sha1StateWords(state), part_offset: start });
    }
    // cos-datasha: the state after the slice; the last slice carries the real digest (spec §3.7).
    const last = end === file.blob.size;
    if (!last && end % SHA1_BLOCK_BYTES !== 0) throw new RangeError(`cos-datasha needs a slice end on a 64-byte boundary, not ${end}`);
    const result = await this.#advance(end, undefined, signal, last);
    return last ? result.digest! : cosDatasha(result.state);
  }

  async sha1Advance(end: number, from?: Sha1Checkpoint, signal?: AbortSignal): Promise<Sha1Checkpoint> {
    assertRange(0, end, this.#file.blob.size);
    if (from !== undefined) {
      if (!(from.state instanceof Uint8Array) || !Number.isSafeInteger(from.offset) || from.offset < 0 || from.offset > end) {
        throw new RangeError(`Checkpoint at ${from.offset} cannot start a SHA-1 advance to ${end}`);
      }
    }
    const { offset, state } = await this.#advance(end, from, signal, false);
    return { offset, state };
  }

  async sha1Digest(signal?: AbortSignal): Promise<string> {
    const { digest } = await this.#advance(this.#file.blob.size, undefined, signal, true);
    return digest!;
  }

  close(): void {
    if (!this.#file.closed) this.#pool.close(this.#file);
  }

  /**
   * Advance the sticky SHA-1, answering from remembered checkpoints when possible. The
   * worker gets the best checkpoint at or before `end` as a fallback, for when its own
   * state is gone (terminated) or already past `end` (parts asked out of order).
   */
  async #advance(end: number, from: Sha1Checkpoint | undefined, signal: AbortSignal | undefined, finish: boolean): Promise<Sha1AdvanceResult> {
    const file = this.#file;
    if (file.closed) throw closedError();
    if (signal?.aborted) throw abortError(signal);
    const known = from ? undefined : file.checkpoints.get(end);
    const finalDigest = end === file.blob.size ? file.digest : null;
    if (known && (!finish || finalDigest)) {
      return { offset: end, state: known.slice(), ...(finish && { digest: finalDigest! }) };
    }
    const result = await this.#pool.submit({
      file, sticky: true, signal, describe: `the SHA-1 up to byte ${end}`,
      // The fallback is picked when the job starts, so it sees what earlier jobs remembered.
      call: (api, jobId) => api.sha1Advance(jobId, { fileId: file.id, end, from: from ?? null, fallback: this.#bestCheckpoint(end), finish }),
    });
    this.#remember(result.offset, result.state);
    if (result.digest !== undefined && end === file.blob.size) file.digest = result.digest;
    return { ...result, state: result.state.slice() };
  }

  /** The remembered checkpoint closest to `end` without passing it. */
  #bestCheckpoint(end: number): Sha1Checkpoint | null {
    let best: Sha1Checkpoint | null = null;
    for (const [offset, state] of this.#file.checkpoints) {
      if (offset <= end && offset >= (best?.offset ?? 0)) best = { offset, state };
    }
    return best;
  }

  #remember(offset: number, state: Uint8Array): void {
    const { checkpoints } = this.#file;
    checkpoints.delete(offset);
    checkpoints.set(offset, state.slice());
    if (checkpoints.size > CHECKPOINT_MEMORY) {
      const oldest = checkpoints.keys().next();
      if (!oldest.done) checkpoints.delete(oldest.value);
    }
  }
}

function isIndependent(kind: PartChecksumKind): kind is IndependentChecksumKind {
  return (INDEPENDENT_CHECKSUM_KINDS as readonly PartChecksumKind[]).includes(kind);
}
