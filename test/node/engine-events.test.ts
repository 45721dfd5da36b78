import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UploadError } from '../../src/core/index.js';
import type { UploadRecord, UploadStore } from '../../src/engine/index.js';
import { engineFixture, patternFile } from '../../src/engine/testing/index.js';

void test('progress and change events are throttled to the progress interval', async (t) => {
  const { provider, engine, h } = engineFixture(t, { sendDelayMs: 0 }, { progressIntervalMs: 40, concurrency: 3 });
  const [added] = engine.add([patternFile('many-parts.bin', 8 * 120)]);
  assert.ok(added);
  const started = Date.now();
  await h.waitFor(added.id, ['done']);
  const elapsed = Date.now() - started;
  const progressCallbacks = provider.partCalls().length * 2;
  const progress = h.of('upload-progress').length;
  assert.ok(progress >= 1, 'progress was reported');
  assert.ok(progress <= Math.ceil(elapsed / 40) + 2, `${progress} progress events in ${elapsed} ms`);
  assert.ok(progress < progressCallbacks / 4, `${progress} events for ${progressCallbacks} byte callbacks`);
  const statusChanges = h.of('change').filter((e, i, all) => {
    const prev = all[i - 1]?.uploads?.[0]?.status;
    return prev !== e.uploads?.[0]?.status;
  }).length;
  assert.ok(h.of('change').length <= Math.ceil(elapsed / 40) + statusChanges + 4, `${h.of('change').length} change events`);
});

void test('snapshots are frozen and their byte counts stay within the file size', async (t) => {
  const { engine, h } = engineFixture(t, { sendDelayMs: 1 }, { progressIntervalMs: 0 });
  const [added] = engine.add([patternFile('counted.bin', 8 * 10 + 3)]);
  assert.ok(added);
  await h.waitFor(added.id, ['done']);
  const seen = h.events.flatMap((e) => [...(e.upload ? [e.upload] : []), ...(e.uploads ?? [])]);
  assert.ok(seen.length > 10);
  let last = 0;
  for (const s of seen) {
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.counters) && Object.isFrozen(s.history), 'frozen');
    assert.ok(s.bytesUploaded <= s.bytesTransferred && s.bytesTransferred <= s.size, `${s.bytesUploaded} ≤ ${s.bytesTransferred} ≤ ${s.size}`);
    assert.ok(s.progress >= 0 && s.progress <= 1);
    assert.ok(s.bytesUploaded >= last, 'acknowledged bytes never go back');
    last = s.bytesUploaded;
  }
  assert.ok(Object.isFrozen(engine.uploads));
  const one = h.of('upload-success')[0]?.upload as { status: string } | undefined;
  assert.ok(one !== undefined);
  assert.throws(() => {
    one.status = 'hacked';
  }, TypeError);
});

void test('speed and time left are reported while parts move', async (t) => {
  const { engine, h } = engineFixture(t, { sendDelayMs: 25 }, { progressIntervalMs: 0, concurrency: 1 });
  const [added] = engine.add([patternFile('slow.bin', 8 * 16)]);
  assert.ok(added);
  await h.waitFor(added.id, ['done']);
  const moving = h.of('upload-progress').map((e) => e.upload).filter((u) => u !== undefined && u.speed > 0);
  assert.ok(moving.length > 0, 'some progress event had a speed');
  assert.ok(moving.every((u) => u?.eta !== null && (u?.eta ?? -1) >= 0));
  const done = h.get(added.id);
  assert.equal(done.speed, 0);
});

void test('a listener that throws does not stop or corrupt the engine', async (t) => {
  const reported: unknown[] = [];
  // Node reports a throwing EventTarget listener as an uncaught exception (like a browser's
  // window error event); take them over for this test, then give them back.
  const previous = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const catcher = (error: unknown): void => {
    reported.push(error);
  };
  process.on('uncaughtException', catcher);
  t.after(() => {
    process.off('uncaughtException', catcher);
    for (const listener of previous) process.on('uncaughtException', listener);
  });
  const { provider, engine, h } = engineFixture(t, { sendDelayMs: 1 }, { progressIntervalMs: 0 });
  for (const type of ['upload-added', 'upload-progress', 'change', 'upload-success'] as const) {
    engine.addEventListener(type, () => {
      throw new Error(`listener of ${type} is broken`);
    });
  }
  const file = patternFile('robust.bin', 40);
  const [added] = engine.add([file]);
  assert.ok(added);
  const done = await h.waitFor(added.id, ['done']);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(provider.stored.get(done.result?.fileToken ?? ''), new Uint8Array(await file.arrayBuffer()));
  assert.deepEqual(done.history.map((e) => e.status), ['queued', 'preparing', 'uploading', 'completing', 'done']);
  assert.equal(h.of('upload-success').length, 1, 'listeners after the throwing one still ran');
  assert.ok(reported.length >= 4, 'the errors were reported, not swallowed');
});

void test('queue-complete fires once, after the last of several files ends, with every snapshot', async (t) => {
  const { provider, engine, h } = engineFixture(t, { sendDelayMs: 1 }, { concurrency: 2 });
  provider.fail('sendPart', new UploadError({ code: 'forbidden', kind: 'fatal', message: 'no' }), { when: (c) => c.fileName === 'b.bin' });
  const added = engine.add([patternFile('a.bin', 24), patternFile('b.bin', 24), patternFile('c.bin', 24)]);
  await h.waitUntil(() => (h.of('queue-complete').length > 0 ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 10));
  const complete = h.of('queue-complete');
  assert.equal(complete.length, 1);
  assert.deepEqual(complete[0]?.uploads?.map((u) => u.status), ['done', 'failed', 'done']);
  assert.deepEqual(complete[0]?.uploads?.map((u) => u.id), added.map((u) => u.id));
  const lastEnd = Math.max(...h.events.filter((e) => e.type === 'upload-success' || e.type === 'upload-error').map((e) => h.events.indexOf(e)));
  assert.ok(h.events.indexOf(complete[0] ?? { type: 'change' }) > lastEnd);
});

void test('the store gets a plain record after every acknowledged part and loses it when the upload is done', async (t) => {
  const puts: UploadRecord[] = [];
  const deleted: string[] = [];
  const store: UploadStore = {
    put: (record) => {
      puts.push(record);
      return Promise.resolve();
    },
    delete: (id) => {
      deleted.push(id);
      return Promise.resolve();
    },
    list: () => Promise.resolve([]),
  };
  const { engine, h } = engineFixture(t, { sendDelayMs: 1 }, { store, concurrency: 1 });
  const [added] = engine.add([patternFile('kept.bin', 24)]);
  assert.ok(added);
  await h.waitFor(added.id, ['done']);
  assert.deepEqual(deleted, [added.id]);
  const withParts = puts.map((r) => Object.keys(r.receipts).length);
  for (const n of [1, 2, 3]) assert.ok(withParts.includes(n), `a record with ${n} acknowledged parts was stored`);
  for (const record of puts) assert.deepEqual(JSON.parse(JSON.stringify(record)), record, 'records are plain JSON data');
  const last = puts.at(-1);
  assert.equal(last?.session?.plan.partCount, 3);
  assert.equal(last?.checksumPlan?.kind, 'adler32');
  assert.equal(Object.keys(last?.checksums ?? {}).length, 3);
});

void test('a store that fails does not fail the upload', async (t) => {
  const store: UploadStore = {
    put: () => Promise.reject(new Error('QuotaExceededError')),
    delete: () => Promise.reject(new Error('closed')),
    list: () => Promise.resolve([]),
  };
  const { engine, h } = engineFixture(t, {}, { store });
  const [added] = engine.add([patternFile('private-mode.bin', 16)]);
  assert.ok(added);
  assert.equal((await h.waitFor(added.id, ['done'])).partsDone, 2);
});
