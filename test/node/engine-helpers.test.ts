import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../src/engine/backoff-delay.js';
import { matchesAccept } from '../../src/engine/matches-accept.js';
import { PACER_MIN_GAP_SHARE, Pacer, RATE_LIMIT_GAP_START_MS } from '../../src/engine/pacer.js';
import { SlotPool } from '../../src/engine/slot-pool.js';
import { SpeedMeter } from '../../src/engine/speed-meter.js';
import { adler32, specPattern } from '../../src/engine/testing/index.js';

void test('backoff doubles its ceiling per attempt up to the maximum and jitters below it', () => {
  const bounds = { baseDelayMs: 500, maxDelayMs: 15_000 };
  const ceilings = [1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelay(attempt, bounds, () => 0.999999));
  assert.deepEqual(ceilings, [499, 999, 1999, 3999, 7999, 14999, 14999]);
  assert.equal(backoffDelay(3, bounds, () => 0), 0);
  assert.equal(backoffDelay(3, bounds, () => 0.5), 1000);
});

void test('accept lists match extensions, wildcards and exact types without regard to case', () => {
  const png = { name: 'Photo.PNG', type: 'image/png' };
  const pdf = { name: 'a.pdf', type: 'application/pdf' };
  const unknown = { name: 'blob', type: '' };
  assert.equal(matchesAccept(png, undefined), true);
  assert.equal(matchesAccept(png, ' '), true);
  assert.equal(matchesAccept(png, '.png'), true);
  assert.equal(matchesAccept(png, 'image/*'), true);
  assert.equal(matchesAccept(png, 'IMAGE/PNG'), true);
  assert.equal(matchesAccept(pdf, '.png, image/*'), false);
  assert.equal(matchesAccept(pdf, '.png, application/pdf'), true);
  assert.equal(matchesAccept(unknown, 'image/*'), false);
  assert.equal(matchesAccept({ name: 'x.tar.gz', type: '' }, '.gz'), true);
});

void test('the slot pool never grants more than its capacity and serves waiters in order', async () => {
  let capacity = 2;
  const pool = new SlotPool(() => capacity);
  const signal = new AbortController().signal;
  const order: number[] = [];
  const releases = await Promise.all([pool.acquire(signal), pool.acquire(signal)]);
  const waiting = [3, 4, 5].map((n) => pool.acquire(signal).then((release) => {
    order.push(n);
    return release;
  }));
  await new Promise((resolve) => setTimeout(resolve, 1));
  assert.equal(pool.taken, 2);
  assert.deepEqual(order, []);
  releases[0]?.();
  releases[0]?.(); // a second call is harmless
  const third = await waiting[0];
  assert.deepEqual(order, [3]);
  assert.equal(pool.taken, 2);
  capacity = 4;
  pool.poke();
  await Promise.all(waiting.slice(1));
  assert.deepEqual(order, [3, 4, 5]);
  assert.equal(pool.maxTaken, 4);
  third?.();
});

void test('an aborted wait for a slot leaves the queue and rejects with an AbortError', async () => {
  const pool = new SlotPool(() => 1);
  const release = await pool.acquire(new AbortController().signal);
  const controller = new AbortController();
  const waiting = pool.acquire(controller.signal);
  controller.abort();
  await assert.rejects(waiting, { name: 'AbortError' });
  release();
  assert.equal(pool.taken, 0);
});

void test('the pacer spaces starts, blocks them after a rate limit and relaxes after successes', async () => {
  let now = 1000;
  const pacer = new Pacer(() => now);
  const signal = new AbortController().signal;
  await pacer.wait(0, signal);
  await pacer.wait(0, signal);
  pacer.penalize(3);
  assert.equal(pacer.blockedUntil, 1003);
  assert.equal(pacer.adaptiveGapMs, RATE_LIMIT_GAP_START_MS);
  pacer.penalize(0);
  assert.equal(pacer.adaptiveGapMs, RATE_LIMIT_GAP_START_MS * 2);
  for (let i = 0; i < 40; i += 1) pacer.relax();
  assert.equal(pacer.adaptiveGapMs, 0);
  now = 5000;
  const started = Date.now();
  await pacer.wait(0, signal);
  await pacer.wait(8, signal);
  assert.ok(Date.now() - started >= 7, 'the second start waited for the interval');
});

void test('the pacer keeps the allowed rate on average when every timer fires late, without bunching starts', async () => {
  let now = 0;
  const lateMs = 7;
  // A busy main thread: every timer fires 7 ms late.
  const pacer = new Pacer(() => now, (ms) => {
    now += ms + lateMs;
    return Promise.resolve();
  });
  const signal = new AbortController().signal;
  const starts: number[] = [];
  for (let i = 0; i < 25; i += 1) {
    await pacer.wait(200, signal);
    starts.push(now);
    now += 40; // the request itself, sent one at a time
  }
  const span = (starts.at(-1) ?? 0) - (starts[0] ?? 0);
  // Spacing from the previous actual start would take 24 × 207 ms; the schedule keeps 24 × 200 (+ one late timer).
  assert.ok(span <= 24 * 200 + lateMs, `24 gaps took ${span} ms`);
  const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? t));
  assert.ok(Math.min(...gaps) >= 200 * PACER_MIN_GAP_SHARE, `smallest gap ${Math.min(...gaps)} ms`);
});

void test('the pacer restarts its schedule after an idle spell instead of bursting to catch up', async () => {
  let now = 0;
  const pacer = new Pacer(() => now, (ms) => {
    now += ms;
    return Promise.resolve();
  });
  const signal = new AbortController().signal;
  await pacer.wait(200, signal);
  now += 5_000; // nothing to send for a while
  const starts: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    await pacer.wait(200, signal);
    starts.push(now);
  }
  assert.deepEqual(starts, [5_000, 5_200, 5_400]);
});

void test('the speed meter follows a steady rate and decays when bytes stop', () => {
  const meter = new SpeedMeter();
  let bytes = 0;
  for (let t = 0; t <= 10_000; t += 250) {
    meter.sample(bytes, t);
    bytes += 250_000; // 1 MB/s
  }
  assert.ok(Math.abs(meter.at(10_000) - 1_000_000) < 1_000, `${meter.at(10_000)}`);
  assert.ok(meter.at(20_000) < 100_000, 'a long silence reads as slow');
  meter.sample(0, 20_000); // a failed attempt dropped its bytes
  assert.ok(meter.at(20_000) >= 0);
  meter.reset();
  assert.equal(meter.at(30_000), 0);
});

void test('the reference Adler-32 matches the spec\'s test vectors', () => {
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  assert.equal(adler32(text('')), '1');
  assert.equal(adler32(text('Wikipedia')), '300286872');
  assert.equal(adler32(text('hello world')), '436929629');
  const t = specPattern();
  assert.equal(adler32(t), '3187465499');
});
