// PDS helpers for e2e tests and the mode benchmark: pick PDS in the demo page, watch the
// part PUTs the browser makes, and check what the PDS emulator stored.
import type { Page } from 'playwright-core';
import { sha1OfResponse } from './files.js';

/** The bearer token both the emulator and the backend of a PDS demo stack use (PDS_ACCESS_TOKEN). */
export const E2E_PDS_ACCESS_TOKEN = 'pds-e2e-access-token-5b0d7c';
/** The emulator's one drive (PDS_DRIVE_ID default). */
const DRIVE_ID = '1';

/** Extra environment for startDemoStack: PDS with a token of our own. */
export function pdsStackEnv(): Record<string, string> {
  return { PDS_ACCESS_TOKEN: E2E_PDS_ACCESS_TOKEN };
}

/** One request from the emulator's log. */
export interface PdsLogEntry {
  route: string;
  status: number;
  bytesIn: number;
  fault?: string;
}

/** Choose PDS with the demo page's provider selector, as a user does; the target field follows. */
export async function choosePds(page: Page): Promise<void> {
  // demo/main.ts wires the selector after it has fetched its config, and then shows the backend URL.
  await page.waitForFunction(() => customElements.get('cloud-chunk-uploader') !== undefined
    && !['', '…'].includes(document.getElementById('backend-url')?.textContent?.trim() ?? ''));
  await page.selectOption('#provider', 'pds');
  await page.waitForFunction(() => {
    const el = document.querySelector('cloud-chunk-uploader') as unknown as { provider: string; target: string } | null;
    return el?.provider === 'pds' && el.target === 'root';
  });
}

/**
 * Count part PUTs to PDS storage (`/pds-data/`) the page has open at once; read it with
 * {@link maxOpenPartPuts}. Must run before the page loads (an init script).
 */
export async function watchPartPuts(page: Page): Promise<void> {
  // Plain JS text, not a function: tsx compiles functions with helpers (`__name`) the page lacks.
  await page.addInitScript({ content: COUNT_PART_PUTS });
}

/** The init script of {@link watchPartPuts}: the app sends part bodies with `new XMLHttpRequest()` (send-body.ts). */
const COUNT_PART_PUTS = `(() => {
  const stats = { open: 0, max: 0, total: 0, lastSendAt: 0 };
  window.__pdsPuts = stats;
  const parts = new WeakSet();
  const Base = window.XMLHttpRequest;
  window.XMLHttpRequest = class extends Base {
    open(...args) {
      if (args[0] === 'PUT' && String(args[1]).includes('/pds-data/')) parts.add(this);
      return super.open(...args);
    }
    send(body) {
      if (parts.has(this)) {
        stats.open += 1;
        stats.total += 1;
        stats.max = Math.max(stats.max, stats.open);
        stats.lastSendAt = performance.now();
        // Done at readyState 4, before 'load': the app may start its next PUT within the load handler's microtasks.
        let done = false;
        const end = () => { if (!done && this.readyState === 4) { done = true; stats.open -= 1; } };
        this.addEventListener('readystatechange', end);
        this.addEventListener('loadend', end);
      }
      return super.send(body);
    }
  };
})();`;

/**
 * Wait until a part PUT has been on its way for between `minMs` and `maxMs` (from
 * {@link watchPartPuts}): with storage latency injected, it is then waiting at the emulator.
 */
export async function waitForPartPutInFlight(page: Page, minMs: number, maxMs: number, timeoutMs = 60_000): Promise<void> {
  await page.waitForFunction(([min, max]) => {
    const stats = (window as unknown as { __pdsPuts?: { open: number; lastSendAt: number } }).__pdsPuts;
    if (stats === undefined || stats.open === 0) return false;
    const age = performance.now() - stats.lastSendAt;
    return age >= min && age <= max;
  }, [minMs, maxMs] as const, { timeout: timeoutMs, polling: 20 });
}

/** Most part PUTs open at once, and how many were sent, since the page loaded. */
export async function maxOpenPartPuts(page: Page): Promise<{ max: number; total: number }> {
  return page.evaluate(() => {
    const stats = (window as unknown as { __pdsPuts?: { max: number; total: number } }).__pdsPuts;
    return { max: stats?.max ?? 0, total: stats?.total ?? 0 };
  });
}

async function admin(emulatorUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulatorUrl}/__emulator/${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} /__emulator/${path}: HTTP ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/** Forget the emulator's request log. */
export async function clearLog(emulatorUrl: string): Promise<void> {
  await admin(emulatorUrl, 'DELETE', 'log');
}

/** Part PUTs the emulator's storage handled (route `pds.oss.put_part`), oldest first. */
export async function partPuts(emulatorUrl: string): Promise<PdsLogEntry[]> {
  const { entries } = (await admin(emulatorUrl, 'GET', 'log?route=pds.oss.put_part&limit=10000')) as { entries: PdsLogEntry[] };
  return entries;
}

/** Make every part URL issued so far answer "Request has expired." (docs/emulator.md admin routes). */
export async function expirePartUrls(emulatorUrl: string): Promise<void> {
  await admin(emulatorUrl, 'POST', 'pds/expire-urls');
}

/** Change the emulator's PDS run-time settings, e.g. `{ parallelUpload: false }` for serial mode. */
export async function setPdsSettings(emulatorUrl: string, patch: { parallelUpload?: boolean; exposeEtag?: boolean }): Promise<void> {
  await admin(emulatorUrl, 'PUT', 'pds/config', patch);
}

/** Replace the emulator's fault config (`{}` turns faults off). */
export async function setFaults(emulatorUrl: string, faults: unknown): Promise<void> {
  await admin(emulatorUrl, 'PUT', 'faults', faults);
}

/**
 * Download a stored PDS file the way any PDS client would: `get_download_url` with the
 * stack's token, then GET the link. Resolves with its SHA-1 and size.
 */
export async function downloadPdsFile(emulatorUrl: string, fileId: string): Promise<{ sha1: string; size: number }> {
  const response = await fetch(`${emulatorUrl}/v2/file/get_download_url`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${E2E_PDS_ACCESS_TOKEN}` },
    body: JSON.stringify({ drive_id: DRIVE_ID, file_id: fileId }),
  });
  if (!response.ok) throw new Error(`get_download_url: HTTP ${response.status} ${await response.text()}`);
  const { url } = (await response.json()) as { url: string };
  return sha1OfResponse(await fetch(url));
}
