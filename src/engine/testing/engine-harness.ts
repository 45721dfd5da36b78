import type { UploadSnapshot, UploadStatus } from '../../core/index.js';
import type { UploadEngine } from '../upload-engine.js';
import { UPLOAD_ENGINE_EVENTS } from '../upload-engine-events.js';
import type { UploadEngineEventMap } from '../upload-engine-events.js';
import { specPattern } from './spec-pattern.js';

/** One event the harness saw. */
export interface RecordedEvent {
  type: keyof UploadEngineEventMap;
  /** Per-upload events. */
  upload?: UploadSnapshot;
  /** `change` and `queue-complete`. */
  uploads?: readonly UploadSnapshot[];
}

/**
 * Records an engine's events and waits for statuses, so tests read as behaviour
 * (Material Web's testing harness idea, for a headless engine).
 *
 * @example
 * const h = new EngineHarness(engine);
 * const [added] = engine.add([file]);
 * const done = await h.waitFor(added.id, ['done']);
 */
export class EngineHarness {
  readonly events: RecordedEvent[] = [];
  readonly engine: UploadEngine;

  constructor(engine: UploadEngine) {
    this.engine = engine;
    for (const type of UPLOAD_ENGINE_EVENTS) {
      engine.addEventListener(type, (event) => {
        const detail: unknown = event.detail;
        const { upload, uploads } = detail as { upload?: UploadSnapshot; uploads?: readonly UploadSnapshot[] };
        this.events.push({ type, ...(upload !== undefined && { upload }), ...(uploads !== undefined && { uploads }) });
      });
    }
  }

  /** Events of one type, optionally for one upload. */
  of(type: keyof UploadEngineEventMap, id?: string): RecordedEvent[] {
    return this.events.filter((e) => e.type === type && (id === undefined || e.upload?.id === id));
  }

  /** The engine's current snapshot of an upload. */
  get(id: string): UploadSnapshot {
    const found = this.engine.uploads.find((u) => u.id === id);
    if (found === undefined) throw new Error(`no upload ${id}`);
    return found;
  }

  /** Resolve when the upload reaches one of `statuses`; reject with its history after `timeoutMs`. */
  waitFor(id: string, statuses: readonly UploadStatus[], timeoutMs = 5000): Promise<UploadSnapshot> {
    return this.waitUntil(() => {
      const upload = this.get(id);
      return statuses.includes(upload.status) ? upload : undefined;
    }, timeoutMs, () => {
      const upload = this.get(id);
      return `upload ${upload.name} is ${upload.status}, not ${statuses.join('/')}; history: ${JSON.stringify(upload.history)}`;
    });
  }

  /** Resolve with the first truthy value `probe` returns, checked on every engine event. */
  waitUntil<T>(probe: () => T | undefined, timeoutMs = 5000, describe: () => string = () => 'condition not met'): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const listeners: Array<() => void> = [];
      const stop = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        for (const off of listeners) off();
      };
      const check = (): void => {
        const value = probe();
        if (value === undefined) return;
        stop();
        resolve(value);
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`timed out after ${timeoutMs} ms: ${describe()}`));
      }, timeoutMs);
      // Events cover status changes; the poll covers throttled progress between events.
      const poll = setInterval(check, 5);
      for (const type of UPLOAD_ENGINE_EVENTS) {
        const listener = (): void => check();
        this.engine.addEventListener(type, listener);
        listeners.push(() => this.engine.removeEventListener(type, listener));
      }
    });
  }
}

/**
 * A File of the spec's test pattern `T[i] = (7·i + 3) mod 256` (specs/cloud-apis.md §6),
 * so any stored copy can be checked byte for byte.
 */
export function patternFile(name: string, size: number, type = 'application/octet-stream'): File {
  return new File([specPattern(size)], name, { type, lastModified: 1_700_000_000_000 });
}
