import type { UploadSnapshot } from '../core/index.js';

/** Detail of every per-upload event. */
export interface UploadEventDetail {
  readonly upload: UploadSnapshot;
}

/** Detail of `change` and `queue-complete`: every upload the engine holds, in the order added. */
export interface UploadListEventDetail {
  readonly uploads: readonly UploadSnapshot[];
}

/**
 * Events of UploadEngine by name, each a `CustomEvent` whose detail is frozen.
 * `upload-progress` and `change` are throttled to `progressIntervalMs`; status events are not.
 */
export interface UploadEngineEventMap {
  'upload-added': CustomEvent<UploadEventDetail>;
  'upload-progress': CustomEvent<UploadEventDetail>;
  'upload-paused': CustomEvent<UploadEventDetail>;
  'upload-resumed': CustomEvent<UploadEventDetail>;
  'upload-success': CustomEvent<UploadEventDetail>;
  'upload-error': CustomEvent<UploadEventDetail>;
  'upload-cancelled': CustomEvent<UploadEventDetail>;
  /** Every upload is done, failed or cancelled (fires when the engine goes from busy to idle). */
  'queue-complete': CustomEvent<UploadListEventDetail>;
  /** Any snapshot changed (for views). */
  change: CustomEvent<UploadListEventDetail>;
}

/** Names of the events that carry one upload. */
export type UploadEventName = Exclude<keyof UploadEngineEventMap, 'queue-complete' | 'change'>;

/** Every event name UploadEngine dispatches (e.g. for an element that re-dispatches them). */
export const UPLOAD_ENGINE_EVENTS: readonly (keyof UploadEngineEventMap)[] = Object.freeze([
  'upload-added', 'upload-progress', 'upload-paused', 'upload-resumed', 'upload-success',
  'upload-error', 'upload-cancelled', 'queue-complete', 'change',
]);
