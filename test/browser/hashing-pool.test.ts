// The pool's life: lazy workers, idle shutdown, dispose, abort and close, worker failures.
import { HashPool } from '../../src/hashing/index.js';
import { UploadError } from '../../src/core/upload-error.js';
import { assert, equal as assertEqual, rejectionOf as rejection } from '../support/browser-assert.js';

const MiB = 1024 * 1024;

const isAbortError = (error: unknown): boolean => error instanceof DOMException && error.name === 'AbortError';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Cheap, non-repeating-enough content for big files (the tests here check control flow). */
function patterned(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >>> 11)) & 0xff;
  return out;
}

function adler32Ref(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

async function sha1Ref(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('hashing: pool lifecycle', () => {
  let pools: HashPool[] = [];
  const newPool = (options: ConstructorParameters<typeof HashPool>[0]): HashPool => {
    const pool = new HashPool(options);
    pools.push(pool);
    return pool;
  };
  afterEach(() => {
    for (const pool of pools) pool.dispose();
    pools = [];
  });

  it('sizes itself from hardwareConcurrency between 1 and 4 unless told otherwise', () => {
    const size = new HashPool().size;
    assertEqual(size, Math.min(4, Math.max(1, navigator.hardwareConcurrency || 1)), 'default size');
    assertEqual(new HashPool({ size: 3 }).size, 3, 'size option');
    let thrown: unknown;
    try {
      new HashPool({ size: 0 });
    } catch (error) {
      thrown = error;
    }
    assert(thrown instanceof RangeError, 'size 0 is refused');
  });

  it('starts no worker before the first request and spreads parts over at most its size', async () => {
    const pool = newPool({ size: 2, sliceBytes: 64 * 1024 });
    const handle = pool.open(new Blob([patterned(4 * MiB)]));
    assertEqual(pool.workerCount, 0, 'no worker after open()');
    const parts = Array.from({ length: 8 }, (_, i) => handle.partChecksum('crc32', i * 512 * 1024, (i + 1) * 512 * 1024));
    assertEqual(pool.workerCount, 2, 'two workers for eight parts');
    await Promise.all(parts);
    assertEqual(pool.workerCount, 2, 'still two');
    handle.close();
  });

  it('terminates its workers after the idle timeout and starts them again on demand', async () => {
    const pool = newPool({ size: 2, idleTimeoutMs: 50 });
    const handle = pool.open(new Blob(['Wikipedia']));
    assertEqual(await handle.partChecksum('adler32', 0, 9), '300286872', 'first answer');
    assertEqual(pool.workerCount, 1, 'one worker for one request');
    await sleep(300);
    assertEqual(pool.workerCount, 0, 'terminated after being idle');
    assertEqual(await handle.partChecksum('adler32', 0, 9), '300286872', 'answer from a new worker');
    assertEqual(pool.workerCount, 1, 'started again');
    handle.close();
  });

  it('dispose terminates idle workers at once and lets a running job finish first', async () => {
    const pool = newPool({ size: 2, sliceBytes: MiB });
    const bytes = patterned(24 * MiB);
    const handle = pool.open(new Blob([bytes]));
    await Promise.all([handle.partChecksum('md5', 0, 10), handle.partChecksum('md5', 10, 20)]);
    assertEqual(pool.workerCount, 2, 'two warm workers');
    const running = handle.sha1Digest();
    pool.dispose();
    assertEqual(pool.workerCount, 1, 'the idle worker is gone at once');
    assertEqual(await running, await sha1Ref(bytes), 'the running job finished with the right digest');
    assertEqual(pool.workerCount, 0, 'the busy worker is gone once its job ended');
    handle.close();
  });

  it('rejects an aborted request with an AbortError and keeps the worker usable', async () => {
    const pool = newPool({ size: 1, sliceBytes: MiB });
    const size = 64 * MiB;
    const handle = pool.open(new Blob([patterned(size)]));
    await handle.partChecksum('md5', 0, 1); // warm: worker started, wasm compiled
    const controller = new AbortController();
    const started = performance.now();
    const pending = handle.partChecksum('md5', 0, size, controller.signal);
    await sleep(30);
    controller.abort();
    const error = await rejection(pending);
    assert(isAbortError(error), `rejected with ${String(error)}`);
    assert(performance.now() - started < 2000, 'the rejection came promptly');
    assertEqual(await handle.partChecksum('adler32', 0, 1000), String(adler32Ref(patterned(1000))), 'the worker answers after the abort');
    assertEqual(pool.workerCount, 1, 'no new worker was needed');
    assert(handle.bytesHashed < size, `the aborted job stopped early (${handle.bytesHashed} bytes read)`);
    handle.close();
  });

  it('rejects at once, reading nothing, when the signal is already aborted', async () => {
    const pool = newPool({ size: 1 });
    const handle = pool.open(new Blob([patterned(1000)]));
    const error = await rejection(handle.partChecksum('crc32', 0, 1000, AbortSignal.abort()));
    assert(isAbortError(error), `rejected with ${String(error)}`);
    assert(isAbortError(await rejection(handle.sha1Digest(AbortSignal.abort()))), 'sha1Digest too');
    assertEqual(handle.bytesHashed, 0, 'nothing read');
    assertEqual(pool.workerCount, 0, 'no worker started');
    handle.close();
  });

  it('continues the SHA-1 after an abort without re-reading what was hashed', async () => {
    const pool = newPool({ size: 1, sliceBytes: MiB });
    const bytes = patterned(48 * MiB);
    const handle = pool.open(new Blob([bytes]));
    await handle.sha1Advance(0);
    const controller = new AbortController();
    const pending = handle.sha1Advance(bytes.length, undefined, controller.signal);
    await sleep(30);
    controller.abort();
    assert(isAbortError(await rejection(pending)), 'the advance was aborted');
    assertEqual(await handle.sha1Digest(), await sha1Ref(bytes), 'digest after the abort');
    assertEqual(handle.bytesHashed, bytes.length, 'every byte read exactly once');
    handle.close();
  });

  it('rejects the pending and later requests of a closed handle', async () => {
    const pool = newPool({ size: 1, sliceBytes: MiB });
    const handle = pool.open(new Blob([patterned(32 * MiB)]));
    const running = handle.partChecksum('md5', 0, 32 * MiB);
    const queued = handle.partChecksum('md5', 0, 10);
    handle.close();
    assert(isAbortError(await rejection(running)), 'running request aborted');
    assert(isAbortError(await rejection(queued)), 'queued request aborted');
    const later = await rejection(handle.partChecksum('md5', 0, 10));
    assert(later instanceof DOMException && later.name === 'InvalidStateError', `later request: ${String(later)}`);
    const other = pool.open(new Blob(['Wikipedia']));
    assertEqual(await other.partChecksum('adler32', 0, 9), '300286872', 'the pool still works');
    other.close();
  });

  it('rejects with an UploadError, instead of hanging, when a worker cannot start', async () => {
    // A module worker whose evaluation throws, as a broken bundle would.
    const broken = URL.createObjectURL(new Blob(['throw new Error("broken hash worker");'], { type: 'text/javascript' }));
    const pool = newPool({ size: 1, createWorker: () => new Worker(broken, { type: 'module' }) });
    const handle = pool.open(new Blob(['Wikipedia']));
    const error = await rejection(handle.partChecksum('adler32', 0, 9));
    assert(error instanceof UploadError, `rejected with ${String(error)}`);
    assert(error.message.includes('adler32 of bytes [0, 9)'), `says what failed: ${error.message}`);
    assertEqual(pool.workerCount, 0, 'the broken worker was dropped');
    handle.close();
    URL.revokeObjectURL(broken);
  });
});
