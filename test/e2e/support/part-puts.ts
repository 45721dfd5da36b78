// Part PUTs as the page makes them, counted in the page, for the provider helpers (pds.ts,
// s3.ts) whose parts go from the browser straight to storage.
import type { Page } from 'playwright-core';

/** Part PUT counts kept in the page (`window[global]`). */
export interface PartPutStats {
  /** PUTs open now. */
  open: number;
  /** Most open at once. */
  max: number;
  /** PUTs sent. */
  total: number;
  /** `performance.now()` of the last send. */
  lastSendAt: number;
}

/** Which PUTs to count, and where. */
export interface PartPutWatch {
  /** The window property the counts live in, e.g. `__pdsPuts`. */
  global: string;
  /** A PUT is a part PUT when its URL contains this, e.g. `/pds-data/`. */
  urlIncludes: string;
  /**
   * When a PUT stops being open: `done` at readyState 4, before 'load' (the app may start its
   * next PUT within the load handler's microtasks), or `loadend`.
   */
  closeAt: 'done' | 'loadend';
}

/**
 * Count the part PUTs the page has open at once; read them with {@link partPutStats}. Must run
 * before the page loads (an init script).
 */
export async function watchPartPutsTo(page: Page, watch: PartPutWatch): Promise<void> {
  // Plain JS text, not a function: tsx compiles functions with helpers (`__name`) the page lacks.
  await page.addInitScript({ content: countPartPuts(watch) });
}

/**
 * The init script of {@link watchPartPutsTo}: part bodies go out with `new XMLHttpRequest()` in
 * the page (send-body.ts) or through the element's body worker (worker-body-sender.ts).
 */
function countPartPuts(watch: PartPutWatch): string {
  const close = watch.closeAt === 'done'
    ? `let done = false;
        const end = () => { if (!done && this.readyState === 4) { done = true; stats.open -= 1; } };
        this.addEventListener('readystatechange', end);
        this.addEventListener('loadend', end);`
    : `this.addEventListener('loadend', () => (stats.open -= 1), { once: true });`;
  return `(() => {
  const stats = { open: 0, max: 0, total: 0, lastSendAt: 0 };
  window[${JSON.stringify(watch.global)}] = stats;
  const parts = new WeakSet();
  const Base = window.XMLHttpRequest;
  window.XMLHttpRequest = class extends Base {
    open(...args) {
      if (args[0] === 'PUT' && String(args[1]).includes(${JSON.stringify(watch.urlIncludes)})) parts.add(this);
      return super.open(...args);
    }
    send(body) {
      if (parts.has(this)) {
        stats.open += 1;
        stats.total += 1;
        stats.max = Math.max(stats.max, stats.open);
        stats.lastSendAt = performance.now();
        ${close}
      }
      return super.send(body);
    }
  };
  // The element sends part bodies from its body worker (worker-body-sender.ts): a part opens when
  // handed to the worker and closes when its answer arrives. The listener is added in the
  // constructor, before the sender's own, so a part closes before the next one can start.
  const BaseWorker = window.Worker;
  window.Worker = class extends BaseWorker {
    constructor(...args) {
      super(...args);
      const open = new Set();
      this.addEventListener('message', (event) => {
        const reply = event.data;
        if (reply && reply.kind === 'done' && open.delete(reply.id)) stats.open -= 1;
      });
      this.__partPutsOpen = open;
    }
    postMessage(message, ...rest) {
      if (message && message.kind === 'send' && message.method === 'PUT' && String(message.url).includes(${JSON.stringify(watch.urlIncludes)})) {
        this.__partPutsOpen.add(message.id);
        stats.open += 1;
        stats.total += 1;
        stats.max = Math.max(stats.max, stats.open);
        stats.lastSendAt = performance.now();
      }
      return super.postMessage(message, ...rest);
    }
  };
})();`;
}

/** Most part PUTs open at once, and how many were sent, since the page loaded. */
export async function partPutStats(page: Page, global: string): Promise<{ max: number; total: number }> {
  return page.evaluate((name) => {
    const stats = (window as unknown as Record<string, Partial<PartPutStats> | undefined>)[name];
    return { max: stats?.max ?? 0, total: stats?.total ?? 0 };
  }, global);
}

/**
 * Wait until a part PUT has been on its way for between `minMs` and `maxMs`: with storage
 * latency injected, it is then waiting at the emulator.
 */
export async function waitForPartPutAged(page: Page, global: string, minMs: number, maxMs: number, timeoutMs = 60_000): Promise<void> {
  await page.waitForFunction(([name, min, max]) => {
    const stats = (window as unknown as Record<string, PartPutStats | undefined>)[name];
    if (stats === undefined || stats.open === 0) return false;
    const age = performance.now() - stats.lastSendAt;
    return age >= min && age <= max;
  }, [global, minMs, maxMs] as const, { timeout: timeoutMs, polling: 20 });
}
