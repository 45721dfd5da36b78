import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UploadStatus } from '../../src/core/index.js';
import { transition, UPLOAD_TRANSITION_EVENTS } from '../../src/engine/index.js';
import type { UploadTransitionEvent } from '../../src/engine/index.js';

const STATUSES: readonly UploadStatus[] = ['queued', 'preparing', 'uploading', 'paused', 'completing', 'done', 'failed', 'cancelled'];

// The expected table, written out independently of the implementation: every pair not
// listed here must be refused (null).
const ALLOWED: Record<UploadStatus, Partial<Record<UploadTransitionEvent, UploadStatus>>> = {
  queued: { start: 'preparing', pause: 'paused', fail: 'failed', cancel: 'cancelled' },
  preparing: { 'session-opened': 'uploading', 'rapid-done': 'done', pause: 'paused', fail: 'failed', cancel: 'cancelled' },
  uploading: { 'parts-acked': 'completing', 'session-lost': 'preparing', pause: 'paused', fail: 'failed', cancel: 'cancelled' },
  completing: { completed: 'done', 'session-lost': 'preparing', pause: 'paused', fail: 'failed', cancel: 'cancelled' },
  paused: { resume: 'queued', cancel: 'cancelled' },
  done: {},
  failed: { retry: 'queued', cancel: 'cancelled' },
  cancelled: {},
};

void test('every status and event pair gives exactly the expected next status or null', () => {
  let checked = 0;
  for (const status of STATUSES) {
    for (const event of UPLOAD_TRANSITION_EVENTS) {
      assert.equal(transition(status, event), ALLOWED[status][event] ?? null, `${status} + ${event}`);
      checked += 1;
    }
  }
  assert.equal(checked, STATUSES.length * 11);
});

void test('done and cancelled accept no event at all', () => {
  for (const event of UPLOAD_TRANSITION_EVENTS) {
    assert.equal(transition('done', event), null);
    assert.equal(transition('cancelled', event), null);
  }
});

void test('every unfinished upload can be cancelled, and only active or queued ones paused', () => {
  for (const status of STATUSES) {
    const cancellable = status !== 'done' && status !== 'cancelled';
    assert.equal(transition(status, 'cancel') === 'cancelled', cancellable, status);
    const pausable = ['queued', 'preparing', 'uploading', 'completing'].includes(status);
    assert.equal(transition(status, 'pause') === 'paused', pausable, status);
  }
});

void test('every status is reachable from queued', () => {
  const seen = new Set<UploadStatus>(['queued']);
  const frontier: UploadStatus[] = ['queued'];
  while (frontier.length > 0) {
    const status = frontier.pop() as UploadStatus;
    for (const event of UPLOAD_TRANSITION_EVENTS) {
      const next = transition(status, event);
      if (next !== null && !seen.has(next)) {
        seen.add(next);
        frontier.push(next);
      }
    }
  }
  assert.deepEqual([...seen].sort(), [...STATUSES].sort());
});

void test('the happy path and the session-renewal loop follow the table', () => {
  const walk = (events: UploadTransitionEvent[]): UploadStatus | null =>
    events.reduce<UploadStatus | null>((status, event) => (status === null ? null : transition(status, event)), 'queued');
  assert.equal(walk(['start', 'session-opened', 'parts-acked', 'completed']), 'done');
  assert.equal(walk(['start', 'session-opened', 'session-lost', 'session-opened', 'parts-acked', 'completed']), 'done');
  assert.equal(walk(['start', 'session-opened', 'pause', 'resume', 'start']), 'preparing');
  assert.equal(walk(['start', 'fail', 'retry', 'start', 'rapid-done']), 'done');
  assert.equal(walk(['start', 'session-opened', 'parts-acked', 'completed', 'cancel']), null);
});
