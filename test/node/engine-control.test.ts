import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UploadError } from '../../src/core/index.js';
import { FakeProviderClient, assertStoredBytes, engineFixture, patternFile } from '../../src/engine/testing/index.js';

void test('pause aborts the parts in flight and resume sends only the parts not acknowledged', async (t) => {
  const { provider, engine, h } = engineFixture(t, { sendDelayMs: 1 }, { concurrency: 2 });
  const release = provider.hold((c) => (c.index ?? 0) >= 2);
  t.after(release);
  const file = patternFile('movie.bin', 64);
  const [added] = engine.add([file]);
  assert.ok(added);
  await h.waitUntil(() => (h.get(added.id).partsDone === 2 && provider.inFlight === 2 ? true : undefined));
  const inFlightAtPause = provider.partCalls().filter((c) => c.outcome === undefined).map((c) => c.index);

  engine.pause(added.id);
  const paused = h.get(added.id);
  assert.equal(paused.status, 'paused');
  await h.waitUntil(() => (provider.inFlight === 0 ? true : undefined));
  assert.deepEqual(provider.partCalls().filter((c) => inFlightAtPause.includes(c.index)).map((c) => c.outcome), ['aborted', 'aborted']);
  const ackedAtPause = provider.partCalls().filter((c) => c.outcome === 'ok').map((c) => c.index);
  const sentBeforeResume = provider.partCalls().length;
  release();

  engine.resume(added.id);
  const done = await h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  const afterResume = provider.partCalls().slice(sentBeforeResume).map((c) => c.index ?? -1);
  assert.ok(afterResume.every((index) => !ackedAtPause.includes(index)), 'no acknowledged part was sent again');
  assert.deepEqual(new Set(afterResume), new Set([0, 1, 2, 3, 4, 5, 6, 7].filter((i) => !ackedAtPause.includes(i))));
  assert.equal(done.counters.bytesResent, 8 * inFlightAtPause.length);
  assert.equal(h.of('upload-paused', added.id).length, 1);
  assert.equal(h.of('upload-resumed', added.id).length, 1);
  assert.equal(h.of('upload-error').length, 0, 'an abort is never an error');
  assert.equal(provider.calls.filter((c) => c.method === 'createSession').length, 1, 'the session was kept across the pause');
});

void test('cancel aborts the requests, drops the session at the provider and reports no error', async (t) => {
  const { provider, hasher, engine, h } = engineFixture(t);
  const release = provider.hold();
  t.after(release);
  const [added] = engine.add([patternFile('oops.bin', 40)]);
  assert.ok(added);
  await h.waitUntil(() => (provider.inFlight > 0 ? true : undefined));
  engine.cancel(added.id);
  assert.equal(h.get(added.id).status, 'cancelled');
  await h.waitUntil(() => (provider.inFlight === 0 ? true : undefined));
  assert.equal(provider.aborted.length, 1);
  assert.equal(provider.aborted[0]?.uploadId, provider.partCalls()[0]?.uploadId);
  assert.ok(provider.partCalls().every((c) => c.outcome === 'aborted'));
  assert.equal(h.of('upload-cancelled', added.id).length, 1);
  assert.equal(h.of('upload-error').length, 0);
  await h.waitUntil(() => (hasher.openHandles === 0 ? true : undefined));
});

void test('with autoStart off nothing is requested until start()', async (t) => {
  const { provider, engine, h } = engineFixture(t, {}, { autoStart: false });
  const [added] = engine.add([patternFile('later.bin', 16)]);
  assert.ok(added);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(h.get(added.id).status, 'queued');
  assert.equal(provider.calls.length, 0);
  engine.start();
  assert.equal((await h.waitFor(added.id, ['done'])).partsDone, 2);
});

void test('retry after a failure goes on from the acknowledged parts of the same session', async (t) => {
  const { provider, engine, h } = engineFixture(t, {}, { concurrency: 1 });
  provider.fail('sendPart', new UploadError({ code: 'quota-exceeded', kind: 'fatal', message: 'full' }), { when: (c) => c.index === 3 });
  const file = patternFile('again.bin', 48);
  const [added] = engine.add([file]);
  assert.ok(added);
  const failed = await h.waitFor(added.id, ['failed']);
  assert.equal(failed.partsDone, 3);
  engine.retry(added.id);
  const done = await h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(done.error, undefined);
  assert.deepEqual(provider.partCalls().map((c) => c.index), [0, 1, 2, 3, 3, 4, 5]);
  assert.equal(provider.calls.filter((c) => c.method === 'createSession').length, 1);
});

void test('pause and cancel without an id act on every upload, with an id on that one only', async (t) => {
  const { provider, engine, h } = engineFixture(t);
  const release = provider.hold();
  t.after(release);
  const [a, b, c] = engine.add([patternFile('a.bin', 16), patternFile('b.bin', 16), patternFile('c.bin', 16)]);
  assert.ok(a && b && c);
  engine.pause(a.id);
  assert.deepEqual(engine.uploads.map((u) => u.status === 'paused'), [true, false, false]);
  engine.pause();
  assert.deepEqual(engine.uploads.map((u) => u.status), ['paused', 'paused', 'paused']);
  engine.cancel();
  assert.deepEqual(engine.uploads.map((u) => u.status), ['cancelled', 'cancelled', 'cancelled']);
  engine.resume();
  assert.deepEqual(engine.uploads.map((u) => u.status), ['cancelled', 'cancelled', 'cancelled'], 'a cancelled upload stays cancelled');
  await h.waitUntil(() => (provider.inFlight === 0 ? true : undefined));
});

void test('dispose stops everything without cancelling sessions and fires no more events', async (t) => {
  const { provider, engine, h } = engineFixture(t);
  const release = provider.hold();
  t.after(release);
  const [added] = engine.add([patternFile('unmount.bin', 24)]);
  assert.ok(added);
  await h.waitUntil(() => (provider.inFlight > 0 ? true : undefined));
  const before = h.events.length;
  engine.dispose();
  await h.waitUntil(() => (provider.inFlight === 0 ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(provider.aborted.length, 0);
  assert.equal(h.events.length, before);
  assert.equal(engine.uploads[0]?.status, 'paused');
  assert.deepEqual(engine.add([patternFile('late.bin', 8)]), []);
});

void test('new options apply to files added afterwards, including a new provider', async (t) => {
  const { provider, engine, h } = engineFixture(t);
  const [a] = engine.add([patternFile('a.bin', 8)]);
  assert.ok(a);
  await h.waitFor(a.id, ['done']);
  const other = new FakeProviderClient({ name: 'lark', partSize: 4 });
  engine.setOptions({ target: 'fld-other', provider: other, providerOptions: { api: 'medias' } });
  const [b] = engine.add([patternFile('b.bin', 8)]);
  assert.ok(b);
  const done = await h.waitFor(b.id, ['done']);
  assert.equal(done.result?.provider, 'lark');
  assert.equal(done.partCount, 2);
  assert.deepEqual(provider.sessionRequests.map((r) => r.target), ['fld-test']);
  assert.deepEqual(other.sessionRequests.map((r) => [r.provider, r.target, r.providerOptions]), [['lark', 'fld-other', { api: 'medias' }]]);
});

void test('a paused upload whose session expired meanwhile opens a new one on resume', async (t) => {
  const { provider, engine, h } = engineFixture(t, { sendDelayMs: 1 }, { concurrency: 1 });
  const file = patternFile('overnight.bin', 32);
  const [added] = engine.add([file]);
  assert.ok(added);
  await h.waitUntil(() => (h.get(added.id).partsDone >= 1 ? true : undefined));
  engine.pause(added.id);
  provider.expireSessions();
  engine.resume(added.id);
  const done = await h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(done.counters.sessionRenewals, 1);
  assert.equal(provider.calls.filter((c) => c.method === 'createSession').length, 2);
});

void test('a provider that lists parts is asked on resume, so parts it holds are not sent again', async (t) => {
  const { provider, engine, h } = engineFixture(t, { canListParts: true, sendDelayMs: 1 }, { concurrency: 1 });
  const file = patternFile('listed.bin', 32);
  const [added] = engine.add([file]);
  assert.ok(added);
  await h.waitUntil(() => (h.get(added.id).partsDone >= 2 ? true : undefined));
  engine.pause(added.id);
  engine.resume(added.id);
  const done = await h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(provider.calls.filter((c) => c.method === 'listParts').length, 1);
  const okPerIndex = new Map<number, number>();
  for (const c of provider.partCalls()) if (c.outcome === 'ok') okPerIndex.set(c.index ?? -1, (okPerIndex.get(c.index ?? -1) ?? 0) + 1);
  assert.ok([...okPerIndex.values()].every((n) => n === 1), 'each part stored once');
});
