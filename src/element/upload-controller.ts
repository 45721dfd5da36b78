import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { UploadSnapshot } from '../core/upload-snapshot.js';
import type { UploadEngine, UploadEventDetail, UploadListEventDetail } from '../engine/index.js';

export type { UploadEventDetail, UploadListEventDetail };

/** Engine events about one upload; the element re-dispatches them under the same names. */
export const UPLOAD_EVENT_TYPES = [
  'upload-added',
  'upload-progress',
  'upload-paused',
  'upload-resumed',
  'upload-success',
  'upload-error',
  'upload-cancelled',
] as const;

/** One of the per-upload event names. */
export type UploadEventType = (typeof UPLOAD_EVENT_TYPES)[number];

/** Everything the element re-dispatches, with its detail type. */
export interface UploadEventDetailMap {
  'upload-added': UploadEventDetail;
  'upload-progress': UploadEventDetail;
  'upload-paused': UploadEventDetail;
  'upload-resumed': UploadEventDetail;
  'upload-success': UploadEventDetail;
  'upload-error': UploadEventDetail;
  'upload-cancelled': UploadEventDetail;
  'queue-complete': UploadListEventDetail;
}

/** A forwarded event name. */
export type ForwardedEventType = keyof UploadEventDetailMap;

const FORWARDED: readonly ForwardedEventType[] = [...UPLOAD_EVENT_TYPES, 'queue-complete'];

/** Progress comes often; the throttled 'change' event already repaints for it. */
const REPAINT_ON: ReadonlySet<string> = new Set(['change', ...FORWARDED.filter((t) => t !== 'upload-progress')]);

/** How the controller builds its engine and tells the host about events. */
export interface UploadControllerOptions {
  /** Builds the engine on first use (the element is the composition root). */
  readonly create: () => UploadEngine;
  /** Called after each forwarded event was dispatched on the host (e.g. to announce it). */
  readonly onEvent?: <K extends ForwardedEventType>(type: K, detail: UploadEventDetailMap[K]) => void;
}

function isDeepFrozen(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return true;
  return Object.isFrozen(node) && Object.values(node).every(isDeepFrozen);
}

function deepFreeze(node: unknown): void {
  if (node === null || typeof node !== 'object' || Object.isFrozen(node)) return;
  Object.freeze(node);
  for (const child of Object.values(node)) deepFreeze(child);
}

/**
 * Event details are frozen all the way down, so one listener cannot change what the
 * next one sees. Data the engine already froze is passed through; anything else is
 * copied first, so an object the engine still owns is never frozen under it.
 */
function frozenDetail<T extends object>(detail: T): T {
  if (isDeepFrozen(detail)) return detail;
  const entries = Object.entries(detail).map(([key, value]: [string, unknown]) => {
    if (isDeepFrozen(value)) return [key, value];
    const copy = structuredClone(value);
    deepFreeze(copy);
    return [key, copy];
  });
  return Object.freeze(Object.fromEntries(entries)) as T;
}

/**
 * The bridge between the element and the headless engine (Lit's ReactiveController
 * pattern). It owns the engine, repaints the host on the engine's throttled 'change'
 * and on status events, and re-dispatches the engine's events from the host, bubbling
 * and composed, with frozen details.
 *
 * Disconnecting the host never cancels or pauses: uploads keep running, and events
 * keep reaching listeners on the element while it is detached.
 *
 * @example
 * this.#uploads = new UploadController(this, { create: () => new UploadEngine({ provider, hasher, target }) });
 */
export class UploadController implements ReactiveController {
  readonly #host: ReactiveControllerHost & EventTarget;
  readonly #options: UploadControllerOptions;
  #engine: UploadEngine | undefined;

  constructor(host: ReactiveControllerHost & EventTarget, options: UploadControllerOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  /** The engine, built on first use. */
  get engine(): UploadEngine {
    if (this.#engine === undefined) {
      const engine = this.#options.create();
      for (const type of [...FORWARDED, 'change']) engine.addEventListener(type, this.#onEngineEvent);
      this.#engine = engine;
    }
    return this.#engine;
  }

  /** The engine if one was built, without building it. */
  get existing(): UploadEngine | undefined {
    return this.#engine;
  }

  /** Snapshots of every upload, oldest first; empty before the first file. */
  get uploads(): readonly UploadSnapshot[] {
    return this.#engine?.uploads ?? [];
  }

  hostConnected(): void {
    // Events that arrived while detached were painted into the detached shadow root
    // already; one more update picks up anything that changed in between.
    this.#host.requestUpdate();
  }

  hostDisconnected(): void {
    // Deliberately nothing: leaving the page's DOM must not stop an upload.
  }

  readonly #onEngineEvent = (event: Event): void => {
    const type = event.type;
    if (type !== 'change' && (FORWARDED as readonly string[]).includes(type)) {
      const forwardedType = type as ForwardedEventType;
      const detail = frozenDetail((event as CustomEvent<UploadEventDetailMap[typeof forwardedType]>).detail);
      this.#host.dispatchEvent(new CustomEvent(forwardedType, { detail, bubbles: true, composed: true }));
      try {
        this.#options.onEvent?.(forwardedType, detail);
      } catch {
        // A failing view hook must not break event delivery for the next upload.
      }
    }
    if (REPAINT_ON.has(type)) this.#host.requestUpdate();
  };
}
