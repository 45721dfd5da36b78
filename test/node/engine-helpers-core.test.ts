import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAbort, UploadError } from '../../src/core/index.js';
import { abortError } from '../../src/core/abort-error.js';
import { loadOnce } from '../../src/core/load-once.js';
import { untilAborted } from '../../src/core/until-aborted.js';

void test('loadOnce shares one load between callers, and a failed load is a retryable network error that the next call retries', async () => {
  let loads = 0;
  const failure = new TypeError('Failed to fetch dynamically imported module');
  const value = loadOnce(() => {
    loads += 1;
    return loads === 1 ? Promise.reject(failure) : Promise.resolve({ loaded: loads });
  }, 'The thing could not be loaded');
  assert.equal(value.started, false);
  const error: unknown = await value.get().catch((reason: unknown) => reason);
  assert.ok(error instanceof UploadError);
  assert.equal(error.code, 'network');
  assert.equal(error.retryable, true);
  assert.equal(error.message, 'The thing could not be loaded');
  assert.equal(error.cause, failure);
  assert.equal(value.started, false, 'a failed load is forgotten');
  assert.equal(value.value, undefined);
  const [first, second] = await Promise.all([value.get(), value.get()]);
  assert.equal(first, second);
  assert.deepEqual(first, { loaded: 2 });
  assert.equal(value.value, first);
  assert.equal(value.started, true);
  await value.get();
  assert.equal(loads, 2, 'once loaded, nothing loads again');
});

void test('untilAborted follows its promise, or rejects with the signal\'s AbortError while the promise goes on', async () => {
  assert.equal(await untilAborted(Promise.resolve(7), new AbortController().signal), 7);
  const controller = new AbortController();
  let release: (value: number) => void = () => undefined;
  const slow = new Promise<number>((resolve) => (release = resolve));
  const waiting = untilAborted(slow, controller.signal);
  controller.abort();
  const reason: unknown = await waiting.catch((error: unknown) => error);
  assert.ok(isAbort(reason));
  assert.equal(reason, controller.signal.reason, 'the caller\'s own abort travels through');
  release(1);
  assert.equal(await slow, 1);
  assert.ok(isAbort(await untilAborted(slow, controller.signal).catch((error: unknown) => error)), 'an aborted signal rejects at once');
});

void test('abortError makes an AbortError when the signal has no AbortError reason of its own', () => {
  const controller = new AbortController();
  controller.abort(new Error('not an abort'));
  assert.ok(isAbort(abortError(controller.signal)));
  assert.ok(isAbort(abortError()));
});
