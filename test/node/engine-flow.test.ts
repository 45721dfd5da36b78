import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adler32, engineFixture, patternFile } from '../../src/engine/testing/index.js';

async function bytesOf(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

void test('a multi-part file is stored byte for byte and the upload ends done with its result', async (t) => {
  const { provider, engine, h } = engineFixture(t, { partSize: 8 });
  const file = patternFile('report.bin', 37);
  const [added] = engine.add([file]);
  assert.ok(added);
  assert.ok(['queued', 'preparing'].includes(added.status), added.status);
  const done = await h.waitFor(added.id, ['done']);

  const token = done.result?.fileToken;
  assert.ok(token !== undefined);
  assert.deepEqual(provider.stored.get(token), await bytesOf(file));
  assert.equal(done.result?.name, 'report.bin');
  assert.equal(done.partCount, 5);
  assert.equal(done.partsDone, 5);
  assert.equal(done.bytesUploaded, 37);
  assert.equal(done.bytesTransferred, 37);
  assert.equal(done.progress, 1);
  assert.equal(done.counters.bytesSent, 37);
  assert.equal(done.counters.bytesResent, 0);
  assert.equal(done.counters.bytesHashed, 37);
  assert.deepEqual(done.history.map((e) => e.status), ['queued', 'preparing', 'uploading', 'completing', 'done']);
  assert.deepEqual(provider.sessionRequests, [{
    provider: 'feishu', target: 'fld-test', fileName: 'report.bin', size: 37,
    mimeType: 'application/octet-stream', lastModified: 1_700_000_000_000,
  }]);
  const expected = await bytesOf(file);
  for (const call of provider.partCalls()) {
    const index = call.index ?? -1;
    assert.equal(call.checksum, adler32(expected.subarray(index * 8, index * 8 + 8)));
  }
  assert.equal(h.of('upload-added').length, 1);
  assert.equal(h.of('upload-success').length, 1);
  assert.equal(h.of('upload-error').length, 0);
  assert.equal(h.of('queue-complete').length, 1);
});

void test('a rapid upload is done at session creation without sending a part', async (t) => {
  const { provider, hasher, engine, h } = engineFixture(t, { rapid: () => true });
  const [added] = engine.add([patternFile('known.bin', 100)]);
  assert.ok(added);
  const done = await h.waitFor(added.id, ['done']);
  assert.equal(done.result?.rapid, true);
  assert.equal(done.progress, 1);
  assert.equal(done.counters.bytesSent, 0);
  assert.equal(provider.partCalls().length, 0);
  assert.equal(provider.calls.filter((c) => c.method === 'complete').length, 0);
  assert.equal(hasher.calls.length, 0);
});

void test('parts in flight across several files never exceed the concurrency option', async (t) => {
  const { provider, engine, h } = engineFixture(t, { partSize: 8, sendDelayMs: 4 }, { concurrency: 3 });
  const files = ['a', 'b', 'c', 'd'].map((n) => patternFile(`${n}.bin`, 80));
  const added = engine.add(files);
  const done = await Promise.all(added.map((u) => h.waitFor(u.id, ['done'])));
  assert.equal(done.length, 4);
  assert.ok(provider.maxInFlight <= 3, `max in flight ${provider.maxInFlight}`);
  assert.ok(provider.maxInFlight >= 2, 'parts should overlap');
  for (const [i, u] of done.entries()) {
    assert.deepEqual(provider.stored.get(u.result?.fileToken ?? ''), await bytesOf(files[i] as File));
  }
});

void test('each upload keeps to its session\'s maxConcurrency while files share the pool', async (t) => {
  const { provider, engine, h } = engineFixture(t, { partSize: 8, sendDelayMs: 4, maxConcurrency: 1 }, { concurrency: 4 });
  const added = engine.add([patternFile('a.bin', 48), patternFile('b.bin', 48)]);
  await Promise.all(added.map((u) => h.waitFor(u.id, ['done'])));
  for (const [uploadId, max] of provider.maxInFlightPerSession) assert.equal(max, 1, uploadId);
  assert.equal(provider.maxInFlight, 2);
});

void test('part starts are spaced by the session\'s minimum interval', async (t) => {
  const { provider, engine, h } = engineFixture(t, { partSize: 8, minIntervalMs: 15, sendDelayMs: 1 }, { concurrency: 3 });
  const [added] = engine.add([patternFile('paced.bin', 40)]);
  assert.ok(added);
  await h.waitFor(added.id, ['done']);
  const starts = provider.partCalls().map((c) => c.startedAt).sort((a, b) => a - b);
  assert.equal(starts.length, 5);
  for (let i = 1; i < starts.length; i += 1) {
    const gap = (starts[i] ?? 0) - (starts[i - 1] ?? 0);
    assert.ok(gap >= 10, `gap ${gap} ms between part starts`);
  }
});

void test('checksums are ready before their part is sent, computed once, and kept a bounded step ahead', async (t) => {
  const { provider, hasher, engine, h } = engineFixture(t, { partSize: 8, sendDelayMs: 3 }, { concurrency: 2 });
  hasher.delayMs = 2;
  const [added] = engine.add([patternFile('ahead.bin', 8 * 30)]);
  assert.ok(added);
  const done = await h.waitFor(added.id, ['done']);
  assert.equal(hasher.calls.length, 30, 'each part hashed exactly once');
  assert.ok(hasher.calls.every((c) => c.kind === 'adler32'));
  for (const call of provider.partCalls()) {
    const hashed = hasher.calls.find((c) => c.start === (call.index ?? -1) * 8);
    assert.ok(hashed?.doneAt !== undefined && hashed.doneAt <= call.startedAt, `part ${call.index} waited for its hash`);
  }
  // 2 lanes each hashing their own part plus a look-ahead of lanes + 2.
  assert.ok(hasher.maxRunning <= 2 + 4, `max hashing at once ${hasher.maxRunning}`);
  assert.ok(hasher.maxRunning >= 2, 'hashing should run ahead of sending');
  assert.equal(done.counters.bytesHashed, 240);
  assert.equal(hasher.openHandles, 0, 'the hash handle is closed at the end');
});

void test('a provider that wants no part checksum gets none and the file is never hashed', async (t) => {
  const { provider, hasher, engine, h } = engineFixture(t, { partSize: 8, partChecksum: null });
  const [added] = engine.add([patternFile('plain.bin', 20)]);
  assert.ok(added);
  await h.waitFor(added.id, ['done']);
  assert.equal(hasher.calls.length, 0);
  assert.ok(provider.partCalls().every((c) => c.checksum === undefined));
});

void test('files that are too large, of a refused type or empty fail before any request', async (t) => {
  const { provider, engine, h } = engineFixture(t, { partSize: 8 }, { maxFileSize: 10, accept: '.bin, image/*' });
  const added = engine.add([
    patternFile('big.bin', 11),
    patternFile('notes.txt', 5, 'text/plain'),
    patternFile('empty.bin', 0),
    patternFile('photo.PNG', 9, 'image/png'),
  ]);
  assert.deepEqual(added.map((u) => u.status === 'failed'), [true, true, true, false]);
  assert.deepEqual(added.map((u) => u.error?.code), ['file-too-large', 'file-type-rejected', 'file-empty', undefined]);
  assert.ok(added.slice(0, 3).every((u) => u.error?.kind === 'fatal'));
  await h.waitFor(added[3]?.id ?? '', ['done']);
  assert.deepEqual(provider.sessionRequests.map((r) => r.fileName), ['photo.PNG']);
  assert.equal(h.of('upload-error').length, 3);
  assert.equal(h.of('upload-added').length, 4);
});

void test('an empty file is uploaded when the provider stores empty files', async (t) => {
  const { provider, engine, h } = engineFixture(t, { partSize: 8, acceptsEmptyFiles: true });
  const [added] = engine.add([patternFile('empty.bin', 0)]);
  assert.ok(added);
  const done = await h.waitFor(added.id, ['done']);
  assert.equal(done.partCount, 0);
  assert.equal(provider.partCalls().length, 0);
  assert.deepEqual(provider.stored.get(done.result?.fileToken ?? ''), new Uint8Array(0));
});

void test('a chunk size is passed to providers that let the client choose', async (t) => {
  const { provider, engine, h } = engineFixture(t, { honourPartSize: true }, { chunkSize: 16 });
  const [added] = engine.add([patternFile('sized.bin', 40)]);
  assert.ok(added);
  const done = await h.waitFor(added.id, ['done']);
  assert.equal(provider.sessionRequests[0]?.partSize, 16);
  assert.equal(done.partCount, 3);
});
