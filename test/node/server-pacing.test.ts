import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../../src/server/http-error.js';
import { PacingQueue } from '../../src/server/pacing-queue.js';

/** A manual clock whose sleep advances time, so pacing is tested without waiting. */
function fakeTime() {
  let now = 0;
  const starts: number[] = [];
  return {
    now: () => now,
    sleep: (ms: number) => {
      now = Math.max(now, now + ms);
      return Promise.resolve();
    },
    mark: () => starts.push(now),
    starts,
    set: (t: number) => {
      now = t;
    },
  };
}

void describe('PacingQueue', () => {
  void it('spaces starts by 1000 / rate ms so no one-second window holds more than the rate', async () => {
    let clock = 0;
    const granted: number[] = [];
    const pacer = new PacingQueue({
      ratePerSecond: 5, maxWaitMs: 10_000, now: () => clock,
      sleep: (ms) => new Promise((resolve) => setImmediate(() => resolve(undefined))).then(() => { clock = Math.max(clock, ms); }),
    });
    // 12 callers at t=0: each reserved start is 200 ms after the previous one.
    const releases = await Promise.all(Array.from({ length: 12 }, (_, i) => pacer.acquire(`u${i}`).then((r) => { granted.push(clock); return r; })));
    releases.forEach((r) => r());
    const sorted = [...granted].sort((a, b) => a - b);
    assert.deepEqual(sorted, Array.from({ length: 12 }, (_, i) => i * 200));
    for (const start of sorted) assert.ok(sorted.filter((t) => t >= start && t < start + 1000).length <= 5);
  });

  void it('answers 429 rate-limited with the wait as retryAfterMs when the queue is longer than maxWaitMs', async () => {
    const time = fakeTime();
    const pacer = new PacingQueue({ ratePerSecond: 5, maxWaitMs: 2000, now: time.now, sleep: () => Promise.resolve() });
    for (let i = 0; i <= 10; i++) (await pacer.acquire(undefined))();
    await assert.rejects(pacer.acquire(undefined), (error: unknown) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 429);
      assert.equal(error.data.code, 'rate-limited');
      assert.equal(error.data.retryAfterMs, 2200);
      assert.equal(error.toResponse().headers.get('retry-after'), '3');
      return true;
    });
  });

  void it('frees the queue as time passes', async () => {
    const time = fakeTime();
    const pacer = new PacingQueue({ ratePerSecond: 5, maxWaitMs: 0, now: time.now, sleep: () => Promise.resolve() });
    (await pacer.acquire(undefined))();
    await assert.rejects(pacer.acquire(undefined));
    time.set(200);
    (await pacer.acquire(undefined))();
  });

  void it('refuses a second call for a key that is in flight, and accepts it after release', async () => {
    const time = fakeTime();
    const pacer = new PacingQueue({ ratePerSecond: 1000, maxWaitMs: 2000, now: time.now, sleep: () => Promise.resolve() });
    const release = await pacer.acquire('upload-1');
    await assert.rejects(pacer.acquire('upload-1'), (error: unknown) => error instanceof HttpError && error.status === 429);
    (await pacer.acquire('upload-2'))();
    release();
    release();
    time.set(10);
    (await pacer.acquire('upload-1'))();
  });

  void it('unlocks the key when the caller aborts while queued', async () => {
    let blockSleep = true;
    const pacer = new PacingQueue({
      ratePerSecond: 1, maxWaitMs: 5000, now: () => 0,
      sleep: (_ms, signal) => blockSleep
        ? new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))
        : Promise.resolve(),
    });
    (await pacer.acquire(undefined))();
    const controller = new AbortController();
    const queued = pacer.acquire('k', controller.signal);
    controller.abort();
    await assert.rejects(queued, { name: 'AbortError' });
    blockSleep = false;
    (await pacer.acquire('k'))();
  });
});
