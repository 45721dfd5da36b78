import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UploadError } from '../../src/core/index.js';
import type { UploadErrorData } from '../../src/core/index.js';
import type { Connectivity } from '../../src/engine/index.js';
import { assertStoredBytes, engineFixture, patternFile } from '../../src/engine/testing/index.js';

function error(data: Omit<UploadErrorData, 'message'> & { message?: string }): UploadError {
  return new UploadError({ message: `injected ${data.code}`, ...data });
}

/** A switchable network for offline tests. */
function fakeNetwork(online: boolean): Connectivity & { set(online: boolean): void } {
  const listeners = new Set<() => void>();
  let state = online;
  return {
    get online() {
      return state;
    },
    onOnline(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      state = next;
      if (next) for (const listener of listeners) listener();
    },
  };
}

void test('a retryable failure is retried after a jittered backoff and the upload then succeeds', async (t) => {
  const { provider, engine, h } = engineFixture(t, {}, { retry: { baseDelayMs: 20, maxDelayMs: 1000 }, random: () => 0.5 });
  provider.fail('sendPart', error({ code: 'network', kind: 'retry' }), { times: 2, when: (c) => c.index === 1 });
  const file = patternFile('flaky.bin', 24);
  const [added] = engine.add([file]);
  assert.ok(added);
  const done = await h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(done.counters.retries, 2);
  const tries = provider.partCalls().filter((c) => c.index === 1);
  assert.equal(tries.length, 3);
  // Full jitter with random 0.5: waits of 0.5·20 = 10 ms, then 0.5·40 = 20 ms.
  assert.ok((tries[1]?.startedAt ?? 0) - (tries[0]?.endedAt ?? 0) >= 9);
  assert.ok((tries[2]?.startedAt ?? 0) - (tries[1]?.endedAt ?? 0) >= 19);
  const waiting = h.of('change').flatMap((e) => e.uploads ?? []).find((u) => u.retryAt !== undefined);
  assert.ok(waiting !== undefined, 'a snapshot announced when the retry fires');
  assert.equal(done.retryAt, undefined);
  assert.ok(done.history.some((e) => e.note?.includes('retrying in') === true));
});

void test('when every attempt fails the upload fails with the provider\'s typed error', async (t) => {
  const { provider, engine, h } = engineFixture(t, {}, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
  provider.fail('sendPart', error({ code: 'server-error', kind: 'retry', status: 502 }), { times: 100, when: (c) => c.index === 0 });
  const [added] = engine.add([patternFile('doomed.bin', 16)]);
  assert.ok(added);
  const failed = await h.waitFor(added.id, ['failed']);
  assert.equal(failed.error?.code, 'server-error');
  assert.equal(failed.error?.kind, 'retry');
  assert.equal(failed.error?.status, 502);
  assert.equal(provider.partCalls().filter((c) => c.index === 0).length, 3);
  assert.equal(h.of('upload-error', added.id).length, 1);
  assert.equal(h.of('upload-error', added.id)[0]?.upload?.error?.code, 'server-error');
  assert.equal(provider.calls.filter((c) => c.method === 'complete').length, 0);
});

void test('a try that gets further than any before resets the part\'s attempt counter', async (t) => {
  const { provider, engine, h } = engineFixture(t, {}, { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
  for (const afterBytes of [1, 3, 5]) {
    provider.fail('sendPart', error({ code: 'network', kind: 'retry' }), { when: (c) => c.index === 0, afterBytes });
  }
  const file = patternFile('progressing.bin', 8);
  const [added] = engine.add([file]);
  assert.ok(added);
  const done = await h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(provider.partCalls().length, 4);
});

void test('a rate-limited answer holds back every part of the provider for the wait it asks, without spending attempts', async (t) => {
  const { provider, engine, h } = engineFixture(t, { sendDelayMs: 2 }, { concurrency: 2, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 2 } });
  provider.fail('sendPart', error({ code: 'rate-limited', kind: 'rate-limited', status: 429, retryAfterMs: 60 }), {
    when: (c) => c.fileName === 'a.bin' && c.index === 1,
  });
  const files = [patternFile('a.bin', 48), patternFile('b.bin', 48)];
  const added = engine.add(files);
  const done = await Promise.all(added.map((u) => h.waitFor(u.id, ['done'])));
  for (const [i, u] of done.entries()) await assertStoredBytes(provider, u.result?.fileToken, files[i] as File);
  const limited = provider.partCalls().find((c) => c.outcome === 'error');
  assert.ok(limited?.endedAt !== undefined);
  // A part already past the pacer when the 429 came back may start a moment later; 5 ms covers that.
  const during = provider.partCalls().filter((c) => c.startedAt > (limited.endedAt ?? 0) + 5 && c.startedAt < (limited.endedAt ?? 0) + 55);
  assert.deepEqual(during.map((c) => `${c.fileName}#${c.index}`), [], 'no part of any file started inside the rate-limit window');
  assert.equal(done[0]?.counters.retries, 1);
});

void test('an expired session is replaced and only the parts the new session lacks are sent again', async (t) => {
  const { provider, hasher, engine, h } = engineFixture(t, { keepPartsAcrossSessions: true }, { concurrency: 1 });
  provider.fail('sendPart', error({ code: 'session-expired', kind: 'session-expired', providerCode: '1061021' }), {
    when: (c) => {
      if (c.index !== 3) return false;
      provider.expireSessions();
      return true;
    },
  });
  const file = patternFile('long.bin', 48);
  const [added] = engine.add([file]);
  assert.ok(added);
  const done = await h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  const creates = provider.calls.filter((c) => c.method === 'createSession');
  assert.equal(creates.length, 2);
  const second = provider.calls.indexOf(creates[1] ?? creates[0]!);
  const after = provider.calls.slice(second).filter((c) => c.method === 'sendPart').map((c) => c.index);
  assert.deepEqual(after, [3, 4, 5]);
  assert.equal(done.counters.sessionRenewals, 1);
  assert.equal(done.counters.bytesResent, 8, 'only the part that hit the expiry was sent twice');
  assert.equal(hasher.calls.length, 6, 'hash results were reused, not recomputed');
  assert.ok(done.history.some((e) => e.status === 'preparing' && e.note?.includes('session expired') === true));
});

void test('a rejected part checksum is recomputed and the part sent once more', async (t) => {
  const { provider, hasher, engine, h } = engineFixture(t);
  hasher.corrupt(16, 1);
  const file = patternFile('bitflip.bin', 32);
  const [added] = engine.add([file]);
  assert.ok(added);
  const done = await h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(provider.partCalls().filter((c) => c.index === 2).length, 2);
  assert.equal(hasher.calls.filter((c) => c.start === 16).length, 2);
  assert.equal(done.counters.bytesRehashed, 8);
  assert.ok(done.history.some((e) => e.note?.includes('checksum rejected') === true));
});

void test('a part whose checksum is rejected twice fails the upload loudly', async (t) => {
  const { provider, hasher, engine, h } = engineFixture(t);
  hasher.corrupt(16, 2);
  const [added] = engine.add([patternFile('bad-disk.bin', 32)]);
  assert.ok(added);
  const failed = await h.waitFor(added.id, ['failed']);
  assert.equal(failed.error?.code, 'checksum-mismatch');
  assert.equal(failed.error?.providerCode, '1062008');
  assert.equal(provider.partCalls().filter((c) => c.index === 2).length, 2);
});

void test('a fatal error fails its own file while the other files finish', async (t) => {
  const { provider, engine, h } = engineFixture(t, {}, { concurrency: 2 });
  provider.fail('sendPart', error({ code: 'forbidden', kind: 'fatal', status: 403, providerCode: '1061004' }), { when: (c) => c.fileName === 'a.bin' });
  const files = [patternFile('a.bin', 40), patternFile('b.bin', 40)];
  const [a, b] = engine.add(files);
  assert.ok(a && b);
  const failed = await h.waitFor(a.id, ['failed']);
  const done = await h.waitFor(b.id, ['done']);
  assert.equal(failed.error?.code, 'forbidden');
  assert.equal(failed.error?.providerCode, '1061004');
  await assertStoredBytes(provider, done.result?.fileToken, files[1] as File);
  assert.equal(provider.partCalls('a.bin').filter((c) => c.outcome === 'error').length, 1, 'a fatal error is not retried');
  assert.equal(h.of('queue-complete').length, 1);
});

void test('a part without progress for the stall timeout is aborted and retried', async (t) => {
  const { provider, engine, h } = engineFixture(t, {}, { stallTimeoutMs: 30 });
  const release = provider.hold();
  const file = patternFile('stuck.bin', 8);
  const [added] = engine.add([file]);
  assert.ok(added);
  await h.waitUntil(() => provider.partCalls().find((c) => c.outcome === 'aborted'));
  release();
  const done = await h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(done.counters.retries, 1);
  assert.ok(done.history.some((e) => e.note?.includes('stalled') === true));
});

void test('while offline an upload waits paused without a request and resumes when the network is back', async (t) => {
  const network = fakeNetwork(false);
  const { provider, engine, h } = engineFixture(t, {}, { connectivity: network });
  const file = patternFile('train.bin', 24);
  const [added] = engine.add([file]);
  assert.ok(added);
  await h.waitFor(added.id, ['paused']);
  assert.equal(provider.calls.length, 0);
  network.set(true);
  const done = await h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(h.of('upload-paused', added.id).length, 1);
  assert.equal(h.of('upload-resumed', added.id).length, 1);
});

void test('a network failure while offline pauses the upload instead of spending its attempts', async (t) => {
  const network = fakeNetwork(true);
  const { provider, engine, h } = engineFixture(t, {}, { connectivity: network, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 2 } });
  provider.fail('sendPart', error({ code: 'network', kind: 'retry' }), {
    when: (c) => {
      if (c.index !== 1) return false;
      network.set(false);
      return true;
    },
  });
  const file = patternFile('tunnel.bin', 24);
  const [added] = engine.add([file]);
  assert.ok(added);
  const paused = await h.waitFor(added.id, ['paused', 'failed']);
  assert.equal(paused.status, 'paused');
  assert.equal(paused.error, undefined);
  network.set(true);
  const done = await h.waitFor(added.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
});

void test('a failing session creation is retried and a fatal one fails the upload', async (t) => {
  const { provider, engine, h } = engineFixture(t);
  provider.fail('createSession', error({ code: 'server-error', kind: 'retry', status: 503 }), { when: (c) => c.fileName === 'a.bin' });
  provider.fail('createSession', error({ code: 'not-found', kind: 'fatal', status: 404, providerCode: '1061044' }), { when: (c) => c.fileName === 'b.bin' });
  const [a, b] = engine.add([patternFile('a.bin', 10), patternFile('b.bin', 10)]);
  assert.ok(a && b);
  assert.equal((await h.waitFor(a.id, ['done'])).counters.retries, 1);
  assert.equal((await h.waitFor(b.id, ['failed'])).error?.providerCode, '1061044');
});

void test('a hash worker that crashed is retried, while a file that cannot be read fails the upload', async (t) => {
  const { provider, hasher, engine, h } = engineFixture(t);
  hasher.fail(8, error({ code: 'unknown', kind: 'retry', message: 'The hash worker stopped' }));
  const file = patternFile('crash.bin', 24);
  const [crash] = engine.add([file]);
  assert.ok(crash);
  const done = await h.waitFor(crash.id, ['done']);
  await assertStoredBytes(provider, done.result?.fileToken, file);
  assert.equal(done.counters.retries, 1);

  hasher.fail(0, new DOMException('The requested file could not be read', 'NotReadableError'));
  const [gone] = engine.add([patternFile('gone.bin', 8)]);
  assert.ok(gone);
  const failed = await h.waitFor(gone.id, ['failed']);
  assert.equal(failed.error?.kind, 'fatal');
  assert.match(failed.error?.message ?? '', /NotReadableError/);
  assert.equal(provider.partCalls('gone.bin').length, 0);
});
