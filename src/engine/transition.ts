import type { UploadStatus } from '../core/index.js';

/**
 * What can happen to one upload. Every status change in the engine goes through
 * `transition`, so the life of an upload is this table and nothing else.
 */
export type UploadTransitionEvent =
  /** The scheduler picked a queued upload: open (or reuse) a session. */
  | 'start'
  /** A session is open and parts remain to be sent. */
  | 'session-opened'
  /** The provider finished the file at session creation (rapid upload). */
  | 'rapid-done'
  /** Every part is acknowledged: ask the provider to assemble the file. */
  | 'parts-acked'
  /** The provider assembled the file. */
  | 'completed'
  /** The session expired mid-upload: open a new one and go on (DESIGN.md "Failure handling"). */
  | 'session-lost'
  /** The user (or the engine, when offline) paused the upload. */
  | 'pause'
  /** Back to the queue after a pause. */
  | 'resume'
  /** Refused before any request, or failed for good (fatal, retries exhausted). */
  | 'fail'
  /** The user asked to try a failed upload again. */
  | 'retry'
  /** The user gave up on the upload. */
  | 'cancel';

/** Every event, in a stable order (the exhaustive tests walk this). */
export const UPLOAD_TRANSITION_EVENTS: readonly UploadTransitionEvent[] = Object.freeze([
  'start', 'session-opened', 'rapid-done', 'parts-acked', 'completed', 'session-lost',
  'pause', 'resume', 'fail', 'retry', 'cancel',
]);

type Table = { readonly [S in UploadStatus]: Partial<Readonly<Record<UploadTransitionEvent, UploadStatus>>> };

// `done` and `cancelled` are terminal; `failed` only leaves by retry or cancel.
// Pausing while completing is allowed: the complete call is aborted and repeated on resume.
const TABLE: Table = {
  queued: { start: 'preparing', pause: 'paused', fail: 'failed', cancel: 'cancelled' },
  preparing: { 'session-opened': 'uploading', 'rapid-done': 'done', pause: 'paused', fail: 'failed', cancel: 'cancelled' },
  uploading: { 'parts-acked': 'completing', 'session-lost': 'preparing', pause: 'paused', fail: 'failed', cancel: 'cancelled' },
  completing: { completed: 'done', 'session-lost': 'preparing', pause: 'paused', fail: 'failed', cancel: 'cancelled' },
  paused: { resume: 'queued', cancel: 'cancelled' },
  done: {},
  failed: { retry: 'queued', cancel: 'cancelled' },
  cancelled: {},
};

/**
 * The one place that decides status changes.
 *
 * @returns the next status, or `null` when the event does not apply in this status
 *   (the engine then ignores it, e.g. `pause` on a finished upload).
 * @example
 * transition('uploading', 'pause'); // 'paused'
 * transition('done', 'cancel');     // null
 */
export function transition(state: UploadStatus, event: UploadTransitionEvent): UploadStatus | null {
  return TABLE[state][event] ?? null;
}
