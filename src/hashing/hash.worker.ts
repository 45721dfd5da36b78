/**
 * A hash worker: receives each file once, reads its own slices and hashes them with
 * hash-wasm, so neither the part bytes nor the wasm ever touch the main thread.
 * Only this module may import hash-wasm (test/browser/hashing-isolation.test.ts checks it).
 */
import { expose } from 'comlink';
import { createAdler32, createCRC32, createMD5, createSHA1, type IHasher } from 'hash-wasm';
import type { Sha1Checkpoint } from '../core/hash-service.js';
import { encodeChecksum, type IndependentChecksumKind } from './encode-checksum.js';
import type { HashJobOutcome, HashWorkerApi, Sha1AdvanceRequest, Sha1AdvanceResult } from './hash-worker-api.js';
import { SHA1_STATE_BYTES, sha1StateOffset } from './sha1-state.js';

/** Read size until the pool calls configure(); the pool's default is HASH_SLICE_BYTES. */
const DEFAULT_SLICE_BYTES = 8 * 1024 * 1024;

interface Sha1Progress {
  hasher: IHasher;
  /** Bytes of the file the hasher has consumed; kept in step after every slice. */
  offset: number;
}

interface OpenFile {
  blob: Blob;
  sha1: Sha1Progress | null;
}

/** Thrown inside a job when the pool cancelled it; becomes a `cancelled` outcome. */
class JobCancelled extends Error {
  override readonly name = 'JobCancelled';
}

let sliceBytes = DEFAULT_SLICE_BYTES;
const files = new Map<string, OpenFile>();
const runningJobs = new Set<number>();
const cancelledJobs = new Set<number>();

const createHasher: Record<IndependentChecksumKind, () => Promise<IHasher>> = {
  adler32: createAdler32,
  md5: createMD5,
  crc32: createCRC32,
  sha1: createSHA1,
};
/** Idle hashers per kind: jobs may overlap inside one worker, so each takes its own. */
const idleHashers: Record<IndependentChecksumKind, IHasher[]> = { adler32: [], md5: [], crc32: [], sha1: [] };

/** A SHA-1 instance for digests of copied states and for this build's state fingerprint. */
let scratchSha1: Promise<IHasher> | null = null;
function scratch(): Promise<IHasher> {
  scratchSha1 ??= createSHA1();
  return scratchSha1;
}

/**
 * Read [start, end) in slices, prefetching the next slice while the current one is
 * hashed (toolchain.md §3: reads, not hashing, set the speed). Stops at a slice boundary
 * when the job is cancelled.
 */
async function readRange(
  jobId: number, blob: Blob, start: number, end: number, counter: { bytes: number },
  onSlice: (bytes: Uint8Array, sliceEnd: number) => void,
): Promise<void> {
  const read = (from: number): Promise<ArrayBuffer> => blob.slice(from, Math.min(from + sliceBytes, end)).arrayBuffer();
  let offset = start;
  let next: Promise<ArrayBuffer> | null = offset < end ? read(offset) : null;
  try {
    while (next) {
      const buffer = await next;
      next = null;
      if (buffer.byteLength === 0) throw new RangeError(`The file ended at byte ${offset}, before ${end}`);
      const sliceEnd = offset + buffer.byteLength;
      if (cancelledJobs.has(jobId)) throw new JobCancelled();
      if (sliceEnd < end) next = read(sliceEnd);
      onSlice(new Uint8Array(buffer), sliceEnd);
      counter.bytes += buffer.byteLength;
      offset = sliceEnd;
    }
  } finally {
    // A prefetch left behind by a cancel or a failure must not become an unhandled rejection.
    if (next) next.catch(() => undefined);
  }
}

/** Run one job and report how it ended as data (see HashJobOutcome). */
async function runJob<T>(jobId: number, work: (counter: { bytes: number }) => Promise<T>): Promise<HashJobOutcome<T>> {
  const counter = { bytes: 0 };
  runningJobs.add(jobId);
  try {
    const value = await work(counter);
    return { status: 'done', value, bytes: counter.bytes };
  } catch (error) {
    if (error instanceof JobCancelled) return { status: 'cancelled', bytes: counter.bytes };
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    return { status: 'failed', name, message, bytes: counter.bytes };
  } finally {
    runningJobs.delete(jobId);
    cancelledJobs.delete(jobId);
  }
}

function openFile(fileId: string): OpenFile {
  const file = files.get(fileId);
  if (!file) throw new ReferenceError(`File ${fileId} was not opened in this worker`);
  return file;
}

/**
 * Load a checkpoint into `hasher` if it is sound: this build's fingerprint, a length and
 * byte count that match its offset, and not past `end`. False leaves the caller to pick
 * another start, e.g. after a hash-wasm upgrade made a persisted state unreadable.
 */
async function restore(hasher: IHasher, checkpoint: Sha1Checkpoint, end: number): Promise<boolean> {
  const { state, offset } = checkpoint;
  if (!(state instanceof Uint8Array) || state.length !== SHA1_STATE_BYTES || offset > end) return false;
  if (sha1StateOffset(state) !== offset) return false;
  const fingerprint = (await scratch()).init().save();
  for (let i = 0; i < 4; i++) if (state[i] !== fingerprint[i]) return false;
  try {
    hasher.load(state);
    return true;
  } catch {
    return false;
  }
}

async function sha1Advance(request: Sha1AdvanceRequest, jobId: number, counter: { bytes: number }): Promise<Sha1AdvanceResult> {
  const { fileId, end, from, fallback, finish } = request;
  const file = openFile(fileId);
  if (end > file.blob.size) throw new RangeError(`SHA-1 end ${end} is past the file size ${file.blob.size}`);
  const own = file.sha1;
  let progress: Sha1Progress;
  if (from) {
    const hasher = own?.hasher ?? await createSHA1();
    progress = { hasher, offset: from.offset };
    if (!await restore(hasher, from, end)) progress = await startFrom(hasher, fallback, end);
  } else if (own && own.offset <= end && own.offset >= (fallback?.offset ?? 0)) {
    progress = own;
  } else {
    progress = await startFrom(own?.hasher ?? await createSHA1(), fallback, end);
  }
  file.sha1 = progress;
  await readRange(jobId, file.blob, progress.offset, end, counter, (bytes, sliceEnd) => {
    progress.hasher.update(bytes);
    progress.offset = sliceEnd;
  });
  const state = progress.hasher.save();
  if (!finish) return { offset: end, state };
  // Digest a copy: digest() ends a hasher, and the running state must stay resumable.
  const copy = await scratch();
  copy.load(state);
  return { offset: end, state, digest: copy.digest('hex') };
}

/** Start from `fallback` when it loads, else from byte 0. */
async function startFrom(hasher: IHasher, fallback: Sha1Checkpoint | null, end: number): Promise<Sha1Progress> {
  if (fallback && await restore(hasher, fallback, end)) return { hasher, offset: fallback.offset };
  hasher.init();
  return { hasher, offset: 0 };
}

async function partChecksum(
  fileId: string, kind: IndependentChecksumKind, start: number, end: number, jobId: number, counter: { bytes: number },
): Promise<string> {
  const file = openFile(fileId);
  if (end > file.blob.size) throw new RangeError(`Part end ${end} is past the file size ${file.blob.size}`);
  const hasher = idleHashers[kind].pop() ?? await createHasher[kind]();
  try {
    hasher.init();
    await readRange(jobId, file.blob, start, end, counter, (bytes) => hasher.update(bytes));
    return encodeChecksum(kind, hasher.digest('binary'));
  } finally {
    idleHashers[kind].push(hasher);
  }
}

const api: HashWorkerApi = {
  configure(bytes) {
    if (!Number.isSafeInteger(bytes) || bytes < 1) throw new RangeError(`Slice size must be a positive integer, not ${bytes}`);
    sliceBytes = bytes;
  },
  open(fileId, blob) {
    files.set(fileId, { blob, sha1: null });
  },
  close(fileId) {
    files.delete(fileId);
  },
  partChecksum(jobId, fileId, kind, start, end) {
    return runJob(jobId, (counter) => partChecksum(fileId, kind, start, end, jobId, counter));
  },
  sha1Advance(jobId, request) {
    return runJob(jobId, (counter) => sha1Advance(request, jobId, counter));
  },
  cancel(jobId) {
    if (runningJobs.has(jobId)) cancelledJobs.add(jobId);
  },
};

expose(api);
