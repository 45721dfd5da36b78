// Issue 4 in the headless engine: records in a store survive a "reload" (a second engine
// over the same store and the same fake provider), re-adding the file resumes it, and
// nothing already acknowledged is sent or hashed again.
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UploadError } from '../../src/core/index.js';
import type {
  CompleteRequest,
  HashHandle,
  HashService,
  PartChecksumKind,
  ProviderClient,
  Sha1Checkpoint,
  UploadSession,
} from '../../src/core/index.js';
import { UploadEngine, isUploadRecord } from '../../src/engine/index.js';
import type { Connectivity, PersistentFileHandle, UploadEngineOptions, UploadRecord, UploadStore } from '../../src/engine/index.js';
import { EngineHarness, FakeHashService, FakeProviderClient, FakeUploadLocks, adler32, assertStoredBytes, patternFile } from '../../src/engine/testing/index.js';
import type { FakeProviderOptions } from '../../src/engine/testing/index.js';
import { MemoryRecordStore } from '../../src/persistence/index.js';

type After = { after: (fn: () => void) => void };

const PART = 8;

/**
 * A store shared by "page loads". `freeze()` plays the page going away: writes after it are
 * lost, as they would be when the tab closes. File handles are kept by reference (a test
 * double with methods cannot be structured-cloned the way a real FileSystemFileHandle is).
 */
class PageStore implements UploadStore {
  readonly durable = true;
  readonly records = new Map<string, UploadRecord>();
  readonly marks = new Map<string, { key: string; result: NonNullable<UploadRecord['result']>; expiresAt: number }>();
  frozen = false;
  puts = 0;
  now: () => number = Date.now;

  put(record: UploadRecord): Promise<void> {
    if (this.frozen) return Promise.resolve();
    this.puts += 1;
    const { fileHandle, ...plain } = record;
    this.records.set(record.id, { ...structuredClone(plain), ...(fileHandle !== undefined && { fileHandle }) });
    return Promise.resolve();
  }

  delete(id: string): Promise<void> {
    if (!this.frozen) this.records.delete(id);
    return Promise.resolve();
  }

  list(): Promise<UploadRecord[]> {
    const now = this.now();
    const kept: UploadRecord[] = [];
    for (const [id, record] of this.records) {
      if (isUploadRecord(record) && record.expiresAt > now) kept.push({ ...structuredClone({ ...record, fileHandle: undefined }), ...(record.fileHandle !== undefined && { fileHandle: record.fileHandle }) });
      else this.records.delete(id);
    }
    return Promise.resolve(kept);
  }

  clear(): Promise<void> {
    this.records.clear();
    this.marks.clear();
    return Promise.resolve();
  }

  markFinished(mark: { key: string; result: NonNullable<UploadRecord['result']>; expiresAt: number }): Promise<void> {
    if (!this.frozen) this.marks.set(mark.key, structuredClone(mark));
    return Promise.resolve();
  }

  finished(key: string): Promise<{ key: string; result: NonNullable<UploadRecord['result']>; expiresAt: number } | undefined> {
    return Promise.resolve(this.marks.get(key));
  }
}

interface Page<H extends HashService> {
  engine: UploadEngine;
  h: EngineHarness;
  hasher: H;
}

/** One page load: an engine over the shared store, provider and locks. */
function openPage(t: After, provider: ProviderClient, store: UploadStore, options?: Partial<UploadEngineOptions>): Page<FakeHashService>;
function openPage<H extends HashService>(t: After, provider: ProviderClient, store: UploadStore, options: Partial<UploadEngineOptions>, hasher: H): Page<H>;
function openPage(t: After, provider: ProviderClient, store: UploadStore, options: Partial<UploadEngineOptions> = {}, hasher: HashService = new FakeHashService()): Page<HashService> {
  const engine = new UploadEngine({
    provider,
    hasher,
    target: 'fld-test',
    store,
    storeScope: 'https://backend.test/upload/',
    concurrency: 3,
    locks: new FakeUploadLocks(),
    retry: { baseDelayMs: 1, maxDelayMs: 4 },
    ...options,
  });
  t.after(() => engine.dispose());
  return { engine, h: new EngineHarness(engine), hasher };
}

/**
 * Upload `file` on a first page until parts [0, acked) are acknowledged and the next ones
 * are in flight, then close that page (the store keeps what was written until then).
 */
async function uploadThenClose(t: After, provider: FakeProviderClient, store: PageStore, file: File, acked: number, options: Partial<UploadEngineOptions> = {}): Promise<string> {
  const release = provider.hold((call) => (call.index ?? 0) >= acked);
  const first = openPage(t, provider, store, options);
  const [added] = first.engine.add([file]);
  assert.ok(added);
  await first.h.waitUntil(() => (first.h.get(added.id).partsDone >= acked && provider.partCalls().some((c) => c.index === acked) ? true : undefined));
  // Let the record of the last acknowledged part reach the store.
  await new Promise((resolve) => setTimeout(resolve, 5));
  store.frozen = true;
  first.engine.dispose();
  release();
  store.frozen = false;
  return added.id;
}

function partCallsSince(provider: FakeProviderClient, mark: number, fileName: string): number[] {
  return provider.calls.slice(mark).filter((c) => c.method === 'sendPart' && c.fileName === fileName).map((c) => c.index ?? -1);
}

void test('after a reload the unfinished upload is shown waiting for its file, and re-adding it sends only the missing parts', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART });
  const store = new PageStore();
  const file = patternFile('movie.bin', 8 * PART);
  const id = await uploadThenClose(t, provider, store, file, 3);

  const page = openPage(t, provider, store);
  const restored = await page.engine.restore();
  assert.equal(restored.length, 1);
  const [waiting] = restored;
  assert.equal(waiting?.id, id);
  assert.equal(waiting?.status, 'paused');
  assert.equal(waiting?.waitingFor, 'file');
  assert.equal(waiting?.partsDone, 3);
  assert.equal(waiting?.bytesUploaded, 3 * PART);
  assert.equal(waiting?.progress, 3 / 8);
  assert.ok(waiting?.history.some((e) => e.note?.includes('restored') === true));
  assert.equal(provider.calls.filter((c) => c.method === 'sendPart').length > 0, true);

  const mark = provider.calls.length;
  const [again] = page.engine.add([file]);
  assert.equal(again?.id, id, 're-adding continues the same upload');
  assert.equal(page.engine.uploads.length, 1);
  const done = await page.h.waitFor(id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);

  const sent = partCallsSince(provider, mark, 'movie.bin');
  assert.deepEqual([...sent].sort(), [3, 4, 5, 6, 7], 'acknowledged parts are never sent again');
  assert.equal(provider.sessionRequests.length, 1, 'the stored session is reused');
  // Parts 3–5 were in flight when the page went away: re-sent, and counted as such.
  assert.equal(done.counters.bytesResent, 3 * PART);
  assert.ok(done.counters.bytesResent <= 3 * PART, 'at most concurrency × part size re-sent');
  assert.equal(done.counters.bytesRehashed, 0);
  const rehashed = page.hasher.calls.filter((c) => c.kind === 'adler32' && c.start < 3 * PART);
  assert.deepEqual(rehashed, [], 'no checksum of an acknowledged part is computed again');
  assert.ok(done.history.some((e) => /first part request \d+ ms after the file came back/.test(e.note ?? '')));
  assert.equal(store.records.size, 0, 'the record is deleted on success');
  assert.equal(page.h.of('upload-added').length, 0, 'a restored upload is not announced as new');
});

void test('a different file with the same name, size and date is never resumed onto', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART });
  const store = new PageStore();
  const original = patternFile('report.bin', 4 * PART);
  const id = await uploadThenClose(t, provider, store, original, 2);

  const page = openPage(t, provider, store);
  await page.engine.restore();
  const bytes = new Uint8Array(4 * PART).fill(0x5a);
  const impostor = new File([bytes], 'report.bin', { lastModified: original.lastModified });
  page.engine.add([impostor]);
  const fresh = await page.h.waitUntil(() => page.engine.uploads.find((u) => u.id !== id && u.status === 'done'));
  assert.deepEqual(provider.stored.get(fresh.result?.fileToken ?? ''), bytes);
  const kept = page.h.get(id);
  assert.equal(kept.status, 'paused');
  assert.equal(kept.waitingFor, 'file');
  assert.equal(kept.partsDone, 2);
  assert.ok(kept.history.some((e) => e.note?.includes('other content') === true));

  page.engine.add([original]);
  const done = await page.h.waitFor(id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, original);
});

void test('restore takes only unexpired records of its own scope and provider, and drops ones with nothing to resume', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART });
  const store = new PageStore();
  const file = patternFile('scoped.bin', 4 * PART);
  const id = await uploadThenClose(t, provider, store, file, 2);
  const record = store.records.get(id);
  assert.ok(record);
  store.records.set('other-scope', { ...structuredClone(record), id: 'other-scope', scope: 'https://elsewhere.test/' });
  store.records.set('other-provider', { ...structuredClone(record), id: 'other-provider', provider: 'lark' });
  store.records.set('refused', { ...structuredClone(record), id: 'refused', status: 'failed', session: undefined, receipts: {} });
  store.records.set('expired', { ...structuredClone(record), id: 'expired', expiresAt: Date.now() - 1 });
  store.records.set('corrupt', { id: 'corrupt', expiresAt: Date.now() + 1000 } as unknown as UploadRecord);

  const page = openPage(t, provider, store);
  const restored = await page.engine.restore();
  assert.deepEqual(restored.map((u) => u.id), [id]);
  assert.deepEqual(await page.engine.restore(), [], 'restoring again adds nothing');
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual([...store.records.keys()].sort(), ['other-provider', 'other-scope', id].sort());
});

void test('records expire with the provider session lifetime', async (t) => {
  const provider = Object.assign(new FakeProviderClient({ partSize: PART }), { sessionLifetimeMs: 60_000 });
  const store = new PageStore();
  const id = await uploadThenClose(t, provider, store, patternFile('old.bin', 4 * PART), 1);
  const record = store.records.get(id);
  assert.ok(record);
  assert.ok(record.expiresAt > Date.now() + 50_000 && record.expiresAt <= Date.now() + 60_000, `expiresAt ${String(record.expiresAt)}`);
  store.now = () => Date.now() + 61_000;
  const page = openPage(t, provider, store);
  assert.deepEqual(await page.engine.restore(), []);
  assert.equal(store.records.size, 0);
});

void test('Feishu cannot list parts: a parts-missing complete re-sends the parts only the stored record vouched for', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART });
  const store = new PageStore();
  const file = patternFile('trust.bin', 6 * PART);
  const id = await uploadThenClose(t, provider, store, file, 3);
  provider.fail('complete', new UploadError({ code: 'parts-missing', kind: 'fatal', message: 'block missing, please upload all blocks.', providerCode: '1062010', status: 409 }));

  const page = openPage(t, provider, store);
  await page.engine.restore();
  const mark = provider.calls.length;
  page.engine.add([file]);
  const done = await page.h.waitFor(id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  const sent = partCallsSince(provider, mark, 'trust.bin');
  const afterMissing = sent.slice(sent.length - 3);
  assert.deepEqual([...afterMissing].sort(), [0, 1, 2], 'then the three restored parts, and nothing verified in this page');
  assert.ok(done.history.some((e) => e.note?.includes('missing parts (1062010); sending 3 part(s) again') === true));
});

void test('parts-missing without any unverified part re-sends everything once, and a third one fails the upload', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART });
  const missing = (): UploadError => new UploadError({ code: 'parts-missing', kind: 'fatal', message: 'block missing', providerCode: '1062010', status: 409 });
  const page = openPage(t, provider, new PageStore());
  provider.fail('complete', missing(), { times: 2, when: (c) => c.fileName === 'twice.bin' });
  const file = patternFile('twice.bin', 3 * PART);
  const [twice] = page.engine.add([file]);
  assert.ok(twice);
  const done = await page.h.waitFor(twice.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(provider.partCalls('twice.bin').length, 9, 'every part sent three times');

  provider.fail('complete', missing(), { times: 3, when: (c) => c.fileName === 'never.bin' });
  const [never] = page.engine.add([patternFile('never.bin', 2 * PART)]);
  assert.ok(never);
  const failed = await page.h.waitFor(never.id, ['failed']);
  assert.equal(failed.error?.code, 'parts-missing');
});

/** A FakeProviderClient whose part list can be told to forget parts (a provider that lost them). */
function listingProvider(options: FakeProviderOptions = {}): { provider: ProviderClient; fake: FakeProviderClient; forget: Set<number> } {
  const fake = new FakeProviderClient({ partSize: PART, canListParts: true, ...options });
  const forget = new Set<number>();
  const provider: ProviderClient = {
    name: fake.name,
    createSession: (request, signal) => fake.createSession(request, signal),
    sendPart: (session, part, progress, signal) => fake.sendPart(session, part, progress, signal),
    listParts: async (session, signal) => ((await fake.listParts?.(session, signal)) ?? []).filter((p) => !forget.has(p.index)),
    complete: (session, request, signal) => fake.complete(session, request, signal),
    abort: (session) => fake.abort(session),
  };
  return { provider, fake, forget };
}

void test('where the provider lists its parts, resume trusts that list over the record', async (t) => {
  const { provider, fake, forget } = listingProvider();
  const store = new PageStore();
  const file = patternFile('listed.bin', 6 * PART);
  const id = await uploadThenClose(t, fake, store, file, 3);
  forget.add(1);
  const page = openPage(t, provider, store);
  const [restored] = await page.engine.restore();
  assert.equal(restored?.partsDone, 3);
  const mark = fake.calls.length;
  page.engine.add([file]);
  const done = await page.h.waitFor(id, ['done']);
  await assertStoredBytes(fake, done.result?.fileToken, file);
  assert.deepEqual(partCallsSince(fake, mark, 'listed.bin').sort(), [1, 3, 4, 5]);
  assert.ok(done.history.some((e) => e.note?.includes('lacks 1 part(s)') === true));
});

void test('a session that expired while the page was away is replaced, and no part is hashed again', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART });
  const store = new PageStore();
  const file = patternFile('expired.bin', 6 * PART);
  const id = await uploadThenClose(t, provider, store, file, 3);
  const checksumsKept = Object.keys(store.records.get(id)?.checksums ?? {}).map(Number);
  provider.expireSessions();

  const page = openPage(t, provider, store);
  await page.engine.restore();
  page.engine.add([file]);
  const done = await page.h.waitFor(id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(done.counters.sessionRenewals, 1);
  assert.equal(provider.sessionRequests.length, 2);
  assert.ok(done.history.some((e) => e.note?.includes('session expired') === true));
  const hashedAgain = page.hasher.calls.filter((c) => c.kind === 'adler32' && checksumsKept.includes(c.start / PART));
  assert.deepEqual(hashedAgain, [], 'checksums from the record are reused by the new session');
  assert.equal(done.counters.bytesRehashed, 0);
});

void test('two tabs with the same file: one uploads, the other waits and ends with the same result', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART, sendDelayMs: 5 });
  const store = new PageStore();
  const locks = new FakeUploadLocks();
  const tabA = openPage(t, provider, store, { locks });
  const tabB = openPage(t, provider, store, { locks });
  const file = patternFile('shared.bin', 8 * PART);
  const [a] = tabA.engine.add([file]);
  assert.ok(a);
  await tabA.h.waitUntil(() => (tabA.h.get(a.id).partsDone >= 1 ? true : undefined));
  const [b] = tabB.engine.add([file]);
  assert.ok(b);
  const blocked = await tabB.h.waitUntil(() => {
    const upload = tabB.h.get(b.id);
    return upload.waitingFor === 'other-tab' ? upload : undefined;
  });
  assert.ok(blocked.history.some((e) => e.note?.includes('another tab') === true));
  const doneA = await tabA.h.waitFor(a.id, ['done']);
  const doneB = await tabB.h.waitFor(b.id, ['done']);
  assert.equal(doneB.result?.fileToken, doneA.result?.fileToken);
  assert.equal(doneB.waitingFor, undefined);
  assert.ok(doneB.history.some((e) => e.note === 'uploaded in another tab'));
  assert.equal(provider.sessionRequests.length, 1, 'the file was uploaded once');
  assert.equal(provider.partCalls('shared.bin').length, 8);
  await assertStoredBytes(provider, doneA.result?.fileToken, file);
});

void test('a file left unfinished by a closed tab is taken over when it is added in another tab', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART });
  const store = new PageStore();
  const locks = new FakeUploadLocks();
  const other = openPage(t, provider, store, { locks });
  assert.deepEqual(await other.engine.restore(), []);
  const file = patternFile('orphan.bin', 6 * PART);
  const orphanId = await uploadThenClose(t, provider, store, file, 3, { locks });

  const mark = provider.calls.length;
  const [added] = other.engine.add([file]);
  assert.ok(added);
  assert.notEqual(added.id, orphanId);
  const done = await other.h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.deepEqual(partCallsSince(provider, mark, 'orphan.bin').sort(), [3, 4, 5]);
  assert.equal(provider.sessionRequests.length, 1);
  assert.ok(done.history.some((e) => e.note?.includes('left by an earlier page') === true));
  assert.equal(store.records.has(orphanId), false);
});

void test('the offline event pauses a running upload at once without spending a retry, and online resumes it', async (t) => {
  const listeners = { online: new Set<() => void>(), offline: new Set<() => void>() };
  let online = true;
  const network: Connectivity = {
    get online() {
      return online;
    },
    onOnline: (listener) => (listeners.online.add(listener), () => listeners.online.delete(listener)),
    onOffline: (listener) => (listeners.offline.add(listener), () => listeners.offline.delete(listener)),
  };
  const provider = new FakeProviderClient({ partSize: PART });
  const release = provider.hold((c) => c.index === 2);
  const page = openPage(t, provider, new PageStore(), { connectivity: network });
  const file = patternFile('train.bin', 4 * PART);
  const [added] = page.engine.add([file]);
  assert.ok(added);
  await page.h.waitUntil(() => provider.partCalls().find((c) => c.index === 2));
  online = false;
  for (const listener of listeners.offline) listener();
  const paused = page.h.get(added.id);
  assert.equal(paused.status, 'paused', 'paused synchronously on the event');
  await page.h.waitUntil(() => provider.partCalls().find((c) => c.index === 2 && c.outcome === 'aborted'));
  release();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(page.h.get(added.id).status, 'paused');
  online = true;
  for (const listener of listeners.online) listener();
  const done = await page.h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(done.counters.retries, 0);
  assert.ok(done.history.some((e) => e.note?.startsWith('offline') === true));
});

void test('clearStoredUploads forgets every record and the uploads that were waiting for their file', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART });
  const store = new PageStore();
  await uploadThenClose(t, provider, store, patternFile('one.bin', 4 * PART), 1);
  await uploadThenClose(t, provider, store, patternFile('two.bin', 4 * PART), 2);
  const page = openPage(t, provider, store);
  assert.equal((await page.engine.restore()).length, 2);
  await page.engine.clearStoredUploads();
  assert.equal(page.engine.uploads.length, 0);
  assert.equal(store.records.size, 0);
  const next = openPage(t, provider, store);
  assert.deepEqual(await next.engine.restore(), []);
});

void test('persistence says whether a reload keeps uploads: durable, memory only, or off', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART });
  assert.equal(openPage(t, provider, new PageStore()).engine.persistence, 'durable');
  assert.equal(openPage(t, provider, new MemoryRecordStore<UploadRecord>()).engine.persistence, 'memory');
  const plain = new UploadEngine({ provider, hasher: new FakeHashService(), target: 'fld-test' });
  t.after(() => plain.dispose());
  assert.equal(plain.persistence, 'off');

  const full: UploadStore = {
    put: () => Promise.reject(new DOMException('full', 'QuotaExceededError')),
    delete: () => Promise.resolve(),
    list: () => Promise.resolve([]),
  };
  const page = openPage(t, provider, full);
  const [added] = page.engine.add([patternFile('quota.bin', 2 * PART)]);
  assert.ok(added);
  const done = await page.h.waitFor(added.id, ['done']);
  assert.equal(done.partsDone, 2, 'the upload works in memory');
  assert.equal(page.engine.persistence, 'memory');
});

/** A handle double: cloneable like a real one (its methods live on the prototype), counting prompts. */
class FakeHandle implements PersistentFileHandle {
  readonly kind = 'file' as const;
  readonly name: string;
  #file: File;
  #answer: 'granted' | 'denied';
  prompts = 0;
  constructor(file: File, answer: 'granted' | 'denied' = 'granted') {
    this.name = file.name;
    this.#file = file;
    this.#answer = answer;
  }
  getFile(): Promise<File> {
    return Promise.resolve(this.#file);
  }
  requestPermission(): Promise<'granted' | 'denied'> {
    this.prompts += 1;
    return Promise.resolve(this.#answer);
  }
}

void test('an upload with a stored file handle resumes with one permission request instead of a re-pick', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART });
  const store = new PageStore();
  const file = patternFile('handle.bin', 6 * PART);
  const handle = new FakeHandle(file);
  const release = provider.hold((call) => (call.index ?? 0) >= 2);
  const first = openPage(t, provider, store);
  const [added] = first.engine.add([file]);
  assert.ok(added);
  first.engine.attachHandle(added.id, handle);
  await first.h.waitUntil(() => (first.h.get(added.id).partsDone >= 2 ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 5));
  store.frozen = true;
  first.engine.dispose();
  release();
  store.frozen = false;

  const page = openPage(t, provider, store);
  const [restored] = await page.engine.restore();
  assert.equal(restored?.waitingFor, 'permission');
  page.engine.resume(added.id);
  const done = await page.h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(handle.prompts, 1);
});

void test('a denied permission leaves the upload waiting, and picking the file still resumes it', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART });
  const store = new PageStore();
  const file = patternFile('denied.bin', 4 * PART);
  const id = await uploadThenClose(t, provider, store, file, 2);
  const record = store.records.get(id);
  assert.ok(record);
  const handle = new FakeHandle(file, 'denied');
  record.fileHandle = handle;
  const page = openPage(t, provider, store);
  await page.engine.restore();
  page.engine.resume(id);
  await page.h.waitUntil(() => (handle.prompts === 1 && page.h.get(id).history.some((e) => e.note?.includes('not allowed') === true) ? true : undefined));
  assert.equal(page.h.get(id).status, 'paused');
  assert.equal(page.h.get(id).waitingFor, 'permission');
  page.engine.add([file]);
  const done = await page.h.waitFor(id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
});

// ---- SHA-1 checkpoints ----

/**
 * A hash service whose sequential "SHA-1" is a position: its state is the offset it covers,
 * tagged with a build id (like hash-wasm's state header), so the test sees exactly which byte
 * ranges were hashed. The digest is the real SHA-1 of the file.
 */
class SequentialHashService implements HashService {
  readonly sha1Ranges: Array<[number, number]> = [];
  constructor(readonly build = 1) {}

  open(file: Blob): HashHandle {
    let position = 0;
    let bytesHashed = 0;
    const advance = async (end: number, from?: Sha1Checkpoint): Promise<Sha1Checkpoint> => {
      if (from !== undefined) {
        if (from.state[0] !== this.build) throw new Error('This state was written by an incompatible hash implementation');
        position = from.offset;
      }
      if (end < position) position = 0;
      if (end > position) {
        this.sha1Ranges.push([position, end]);
        bytesHashed += end - position;
        position = end;
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
      return { offset: end, state: Uint8Array.of(this.build, ...new TextEncoder().encode(String(end))) };
    };
    return {
      get bytesHashed() {
        return bytesHashed;
      },
      partChecksum: async (kind: PartChecksumKind, start: number, end: number) => {
        const bytes = new Uint8Array(await file.slice(start, end).arrayBuffer());
        bytesHashed += bytes.length;
        return kind === 'sha1' ? createHash('sha1').update(bytes).digest('hex') : adler32(bytes);
      },
      sha1Advance: (end, from) => advance(end, from),
      sha1Digest: async () => {
        await advance(file.size);
        return createHash('sha1').update(new Uint8Array(await file.arrayBuffer())).digest('hex');
      },
      close() {},
    };
  }

  dispose(): void {}
}

/** A provider whose sessions want the whole-file SHA-1 at complete (like PDS and COS legacy), checked there. */
function sha1Provider(): { provider: ProviderClient; fake: FakeProviderClient; digests: string[] } {
  const fake = new FakeProviderClient({ partSize: PART });
  const digests: string[] = [];
  const provider: ProviderClient = {
    name: 'pds',
    createSession: async (request, signal) => ({ ...(await fake.createSession(request, signal)), wholeFileHashes: ['sha1'] }) satisfies UploadSession,
    sendPart: (session, part, progress, signal) => fake.sendPart(session, part, progress, signal),
    complete: async (session, request: CompleteRequest, signal) => {
      digests.push(request.sha1 ?? '');
      return fake.complete(session, request, signal);
    },
    abort: (session) => fake.abort(session),
  };
  return { provider, fake, digests };
}

async function sha1Of(file: File): Promise<string> {
  return createHash('sha1').update(new Uint8Array(await file.arrayBuffer())).digest('hex');
}

async function sha1UploadThenClose(t: After, provider: ProviderClient, fake: FakeProviderClient, store: PageStore, file: File, acked: number): Promise<string> {
  const release = fake.hold((call) => (call.index ?? 0) >= acked);
  const first = openPage(t, provider, store, {}, new SequentialHashService());
  const [added] = first.engine.add([file]);
  assert.ok(added);
  await first.h.waitUntil(() => (first.h.get(added.id).partsDone >= acked ? true : undefined));
  // The follower runs ahead of the network; the next acknowledged record carries its state.
  await new Promise((resolve) => setTimeout(resolve, 20));
  store.frozen = true;
  first.engine.dispose();
  release();
  store.frozen = false;
  return added.id;
}

void test('the whole-file SHA-1 state is saved as parts are acknowledged and a reload continues from it', async (t) => {
  const { provider, fake, digests } = sha1Provider();
  const store = new PageStore();
  const file = patternFile('sha.bin', 8 * PART);
  const id = await sha1UploadThenClose(t, provider, fake, store, file, 3);
  const saved = store.records.get(id)?.sha1;
  assert.ok(saved !== undefined && saved.offset >= 3 * PART, `a checkpoint was stored (${JSON.stringify(saved)})`);

  const hasher = new SequentialHashService();
  const page = openPage(t, provider, store, {}, hasher);
  await page.engine.restore();
  page.engine.add([file]);
  const done = await page.h.waitFor(id, ['done']);
  await assertStoredBytes(fake, done.result?.fileToken, file);
  assert.deepEqual(digests, [await sha1Of(file)]);
  assert.ok(hasher.sha1Ranges.every(([start]) => start >= saved.offset), `no SHA-1 before the checkpoint: ${JSON.stringify(hasher.sha1Ranges)}`);
  assert.equal(done.counters.bytesRehashed, 0);
});

void test('a SHA-1 state from another hash build is thrown away and the bytes hashed again are counted', async (t) => {
  const { provider, fake, digests } = sha1Provider();
  const store = new PageStore();
  const file = patternFile('upgraded.bin', 8 * PART);
  const id = await sha1UploadThenClose(t, provider, fake, store, file, 3);
  const covered = store.records.get(id)?.sha1Covered ?? 0;
  assert.ok(covered >= 3 * PART);

  const hasher = new SequentialHashService(2);
  const page = openPage(t, provider, store, {}, hasher);
  await page.engine.restore();
  page.engine.add([file]);
  const done = await page.h.waitFor(id, ['done']);
  assert.deepEqual(digests, [await sha1Of(file)]);
  assert.equal(hasher.sha1Ranges[0]?.[0], 0, 'started over');
  assert.equal(done.counters.bytesRehashed, covered);
});

void test('with a store, a file is fingerprinted once per page, not on every resume', async (t) => {
  const provider = new FakeProviderClient({ partSize: PART });
  const release = provider.hold((c) => c.index === 2);
  const page = openPage(t, provider, new PageStore());
  const file = patternFile('twice-paused.bin', 4 * PART);
  const [added] = page.engine.add([file]);
  assert.ok(added);
  await page.h.waitUntil(() => provider.partCalls().find((c) => c.index === 2));
  page.engine.pause(added.id);
  release();
  page.engine.resume(added.id);
  const done = await page.h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  // A file smaller than the sample has one (head) sample: one SHA-1 job, in the first run only.
  assert.equal(page.hasher.calls.filter((c) => c.kind === 'sha1').length, 1);
});
