// PDS helpers for e2e tests and the mode benchmark: pick PDS in the demo page, watch the
// part PUTs the browser makes, and check what the PDS emulator stored.
import type { Page } from 'playwright-core';
import { emulatorAdmin, emulatorLog, type EmulatorLogEntry } from '../../support/emulator-admin.js';
import { sha1OfResponse } from './files.js';
import { partPutStats, waitForPartPutAged, watchPartPutsTo } from './part-puts.js';

/** The bearer token both the emulator and the backend of a PDS demo stack use (PDS_ACCESS_TOKEN). */
export const E2E_PDS_ACCESS_TOKEN = 'pds-e2e-access-token-5b0d7c';
/** The emulator's one drive (PDS_DRIVE_ID default). */
const DRIVE_ID = '1';

/** Extra environment for startDemoStack: PDS with a token of our own. */
export function pdsStackEnv(): Record<string, string> {
  return { PDS_ACCESS_TOKEN: E2E_PDS_ACCESS_TOKEN };
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

/** Where the page keeps its PDS part PUT counts. */
const PDS_PUTS = '__pdsPuts';

/**
 * Count part PUTs to PDS storage (`/pds-data/`) the page has open at once; read it with
 * {@link maxOpenPartPuts}. Must run before the page loads (an init script).
 */
export async function watchPartPuts(page: Page): Promise<void> {
  await watchPartPutsTo(page, { global: PDS_PUTS, urlIncludes: '/pds-data/', closeAt: 'done' });
}

/**
 * Wait until a part PUT has been on its way for between `minMs` and `maxMs` (from
 * {@link watchPartPuts}): with storage latency injected, it is then waiting at the emulator.
 */
export async function waitForPartPutInFlight(page: Page, minMs: number, maxMs: number, timeoutMs = 60_000): Promise<void> {
  await waitForPartPutAged(page, PDS_PUTS, minMs, maxMs, timeoutMs);
}

/** Most part PUTs open at once, and how many were sent, since the page loaded. */
export async function maxOpenPartPuts(page: Page): Promise<{ max: number; total: number }> {
  return partPutStats(page, PDS_PUTS);
}


/** Part PUTs the emulator's storage handled (route `pds.oss.put_part`), oldest first. */
export async function partPuts(emulatorUrl: string): Promise<EmulatorLogEntry[]> {
  return emulatorLog(emulatorUrl, 'pds.oss.put_part');
}

/** Make every part URL issued so far answer "Request has expired." (docs/emulator.md admin routes). */
export async function expirePartUrls(emulatorUrl: string): Promise<void> {
  await emulatorAdmin(emulatorUrl, 'POST', 'pds/expire-urls');
}

/** Change the emulator's PDS run-time settings, e.g. `{ parallelUpload: false }` for serial mode. */
export async function setPdsSettings(emulatorUrl: string, patch: { parallelUpload?: boolean; exposeEtag?: boolean }): Promise<void> {
  await emulatorAdmin(emulatorUrl, 'PUT', 'pds/config', patch);
}

// bench/pds-modes.ts and the PDS e2e tests take these from here with the PDS helpers.
export { clearLog, setFaults } from '../../support/emulator-admin.js';

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
