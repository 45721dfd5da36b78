// Helpers for the resume e2e tests (issue 4): what the emulator saw, its admin switches, and
// what the element shows about restored uploads.
import type { Page } from 'playwright-core';
import type { UploadSnapshot } from '../../../src/core/upload-snapshot.js';
import { emulatorAdmin } from '../../support/emulator-admin.js';

/** Expire every open Feishu upload id: the next part or finish answers 1061021. */
export async function expireFeishuUploads(emulatorUrl: string): Promise<number> {
  return ((await emulatorAdmin(emulatorUrl, 'POST', 'feishu/expire-uploads')) as { expired: number }).expired;
}

/** Files the Feishu emulator stores, by name. */
export async function feishuFilesNamed(emulatorUrl: string, name: string): Promise<{ fileToken: string; size: number }[]> {
  const { files } = (await emulatorAdmin(emulatorUrl, 'GET', 'feishu/files')) as { files: { fileToken: string; fileName: string; size: number }[] };
  return files.filter((f) => f.fileName === name);
}

/** Open the demo and wait for its element to be defined and configured. */
export async function openDemo(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => {
    const el = document.querySelector('cloud-chunk-uploader') as unknown as { endpoint?: string } | null;
    return customElements.get('cloud-chunk-uploader') !== undefined && (el?.endpoint ?? '') !== '';
  });
}

/** Text of a part inside the element's shadow root (`resume-notice`, `storage-notice`...), or undefined. */
export async function partText(page: Page, part: string): Promise<string | undefined> {
  return page.evaluate((name) => {
    const found = document.querySelector('cloud-chunk-uploader')?.shadowRoot?.querySelector(`[part~="${name}"]`);
    return found?.textContent?.trim() ?? undefined;
  }, part);
}

/** The first upload's history note matching `pattern`, with its time. */
export function historyNote(upload: UploadSnapshot, pattern: RegExp): { at: number; note: string } | undefined {
  const entry = upload.history.find((e) => e.note !== undefined && pattern.test(e.note));
  return entry?.note === undefined ? undefined : { at: entry.at, note: entry.note };
}

/** Page clock (ms since epoch), the clock the engine stamps history with. */
export async function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => Date.now());
}
