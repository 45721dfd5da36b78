import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UploadError } from '../../src/core/index.js';
import type { HashHandle, HashService, PartChecksumKind, Sha1Checkpoint } from '../../src/core/index.js';
import { lazyHashService } from '../../src/engine/lazy-hash-service.js';
import { lazyUploadStore } from '../../src/engine/lazy-upload-store.js';
import type { UploadRecord } from '../../src/engine/upload-record.js';
import type { UploadStore } from '../../src/engine/upload-store.js';

/** A hash service that records what reaches it. */
class FakePool implements HashService {
  readonly calls: string[] = [];
  readonly handles: FakeHandle[] = [];
  disposed = 0;
  open(file: Blob): HashHandle {
    const handle = new FakeHandle(file, this.calls);
    this.handles.push(handle);
    return handle;
  }
  dispose(): void {
    this.disposed += 1;
  }
}

class FakeHandle implements HashHandle {
  closed = 0;
  bytesHashed = 0;
  constructor(readonly file: Blob, readonly calls: string[]) {}
  partChecksum(kind: PartChecksumKind, start: number, end: number): Promise<string> {
    this.calls.push(`${kind} ${String(start)}-${String(end)}`);
    this.bytesHashed += end - start;
    return Promise.resolve(`${kind}:${String(start)}`);
  }
  sha1Advance(end: number): Promise<Sha1Checkpoint> {
    this.calls.push(`sha1 ${String(end)}`);
    return Promise.resolve({ offset: end, state: new Uint8Array(1) });
  }
  sha1Digest(): Promise<string> {
    return Promise.resolve('digest');
  }
  close(): void {
    this.closed += 1;
  }
}

void test('a lazy hash service loads its pool on the first open only and hands every call to it', async () => {
  const pool = new FakePool();
  let loads = 0;
  const service = lazyHashService(() => {
    loads += 1;
    return Promise.resolve(pool);
  });
  service.dispose();
  assert.equal(loads, 0, 'dispose before any open loads nothing');
  const file = new Blob([new Uint8Array(10)]);
  const handle = service.open(file);
  assert.equal(handle.bytesHashed, 0);
  assert.equal(await handle.partChecksum('md5', 0, 4), 'md5:0');
  assert.deepEqual(await handle.sha1Advance(10), { offset: 10, state: new Uint8Array(1) });
  assert.equal(await handle.sha1Digest(), 'digest');
  assert.equal(handle.bytesHashed, 4, 'bytes hashed come from the pool handle');
  service.open(file);
  assert.equal(loads, 1);
  assert.equal(pool.handles[0]?.file, file);
  service.dispose();
  assert.equal(pool.disposed, 1);
});

void test('a handle closed before the pool has loaded closes the pool handle once it exists', async () => {
  const pool = new FakePool();
  let release: (value: HashService) => void = () => {};
  const service = lazyHashService(() => new Promise<HashService>((resolve) => (release = resolve)));
  const handle = service.open(new Blob([]));
  handle.close();
  release(pool);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(pool.handles[0]?.closed, 1);
});

void test('a pool that fails to load is a retryable network error, and the next open loads again', async () => {
  let loads = 0;
  const service = lazyHashService(() => {
    loads += 1;
    return loads === 1 ? Promise.reject(new TypeError('Failed to fetch dynamically imported module')) : Promise.resolve(new FakePool());
  });
  const error = await service.open(new Blob([])).partChecksum('md5', 0, 0).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof UploadError);
  assert.equal(error.code, 'network');
  assert.equal(error.kind, 'retry');
  assert.equal(await service.open(new Blob([])).partChecksum('crc32', 0, 0), 'crc32:0');
  assert.equal(loads, 2);
});

/** A store that counts what reaches it. */
function memoryStore(): UploadStore & { lists: number } {
  const records = new Map<string, UploadRecord>();
  return {
    lists: 0,
    durable: false,
    put(record) {
      records.set(record.id, record);
      return Promise.resolve();
    },
    delete(id) {
      records.delete(id);
      return Promise.resolve();
    },
    list() {
      this.lists += 1;
      return Promise.resolve([...records.values()]);
    },
  };
}

void test('a lazy store answers list() without loading when the look says nothing is stored', async () => {
  let loads = 0;
  const store = lazyUploadStore(() => {
    loads += 1;
    return Promise.resolve(memoryStore());
  }, { mayHoldRecords: () => Promise.resolve(false) });
  assert.deepEqual(await store.list(), []);
  assert.equal(loads, 0);
  assert.equal(store.durable, undefined, 'durability is unknown until the store loads');
  await store.put({ id: 'a' } as UploadRecord);
  assert.equal(loads, 1);
  assert.equal(store.durable, false, 'then it is the loaded store\'s');
  assert.deepEqual((await store.list()).map((r) => r.id), ['a'], 'once loaded, list() asks the store');
});

void test('a lazy store loads on list() when the look says records may exist, or when the look fails', async () => {
  for (const look of [() => Promise.resolve(true), () => Promise.reject(new Error('no look'))]) {
    const real = memoryStore();
    await real.put({ id: 'kept' } as UploadRecord);
    const store = lazyUploadStore(() => Promise.resolve(real), { mayHoldRecords: look });
    assert.deepEqual((await store.list()).map((r) => r.id), ['kept']);
    assert.equal(real.lists, 1);
    await store.clear?.();
    assert.deepEqual(await real.list(), [], 'clear without a clear() deletes every record');
  }
});
