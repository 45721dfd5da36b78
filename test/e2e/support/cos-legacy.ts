// COS legacy in the demo: pick it with the page's own controls, and check what the emulator
// stored by downloading it from the result's `downloadUrl` (COS `source_url`, no credential).
import type { Page } from 'playwright-core';
import { emulatorLog, type EmulatorLogEntry } from '../../support/emulator-admin.js';
import { sha1OfResponse } from './files.js';

/** Choose `cos-legacy` in the demo's provider selector and type a directory into its target field. */
export async function useCosLegacy(page: Page, directory: string): Promise<void> {
  await page.waitForFunction(() => customElements.get('cloud-chunk-uploader') !== undefined);
  await page.locator('#provider option[value="cos-legacy"]:not([disabled])').waitFor({ state: 'attached' });
  await page.selectOption('#provider', 'cos-legacy');
  await page.fill('#target', directory);
  await page.waitForFunction((dir) => {
    const el = document.querySelector('cloud-chunk-uploader') as unknown as { provider: string; target: string } | null;
    return el?.provider === 'cos-legacy' && el.target === dir;
  }, directory);
}

/** SHA-1 and size of a stored COS legacy file, streamed from its download URL. */
export async function downloadCosLegacyFile(downloadUrl: string | undefined): Promise<{ sha1: string; size: number }> {
  if (downloadUrl === undefined) throw new Error('the upload result has no downloadUrl');
  return sha1OfResponse(await fetch(downloadUrl));
}

/** The emulator's log entries for COS slice uploads. */
export async function cosSliceLog(emulatorUrl: string): Promise<EmulatorLogEntry[]> {
  return emulatorLog(emulatorUrl, 'cos-legacy.upload_slice_data');
}
