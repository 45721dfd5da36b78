// Drives the demo page's <cloud-chunk-uploader> the way a user does: drop a file, click
// the row's buttons, watch the row; reads state through the element's public `uploads`.
import type { Page } from 'playwright-core';
import type { UploadSnapshot } from '../../../src/core/upload-snapshot.js';

/** Drop a file from disk on the element's drop zone (a real disk-backed File, as a user's drop gives). */
export async function dropFile(page: Page, path: string): Promise<void> {
  await page.evaluate(() => {
    const source = document.createElement('input');
    source.type = 'file';
    source.id = 'e2e-drop-source';
    source.hidden = true;
    document.body.append(source);
  });
  await page.setInputFiles('#e2e-drop-source', path);
  await page.evaluate(() => {
    const source = document.getElementById('e2e-drop-source') as HTMLInputElement;
    const file = source.files?.[0];
    if (!file) throw new Error('no file picked');
    const transfer = new DataTransfer();
    transfer.items.add(file);
    const zone = document.querySelector('cloud-chunk-uploader')?.shadowRoot?.querySelector('[part~="drop-zone"]');
    if (!zone) throw new Error('no drop zone');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { bubbles: true, composed: true, cancelable: true, dataTransfer: transfer }));
    }
    source.remove();
  });
}

/** Pick files through the element's own <input type="file"> (what the picker does). */
export async function pickFiles(page: Page, paths: string | string[]): Promise<void> {
  await page.locator('cloud-chunk-uploader input[type="file"]').setInputFiles(paths);
}

/** Current snapshots, from the element's read-only `uploads` property. */
export async function uploads(page: Page): Promise<UploadSnapshot[]> {
  return page.evaluate(() => {
    const el = document.querySelector('cloud-chunk-uploader') as unknown as { uploads: readonly unknown[] } | null;
    return JSON.parse(JSON.stringify(el?.uploads ?? [])) as never;
  });
}

/** Wait until the first upload satisfies `test` (evaluated in the page on its snapshot). */
export async function waitForUpload(
  page: Page,
  test: string,
  timeoutMs = 180_000,
): Promise<UploadSnapshot> {
  const handle = await page.waitForFunction(
    (source) => {
      const el = document.querySelector('cloud-chunk-uploader') as unknown as { uploads: readonly Record<string, unknown>[] } | null;
      const upload = el?.uploads[0];
      if (!upload) return false;
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the predicate is test code
      const ok = (new Function('u', `return (${source});`) as (u: unknown) => boolean)(upload);
      return ok ? (JSON.parse(JSON.stringify(upload)) as Record<string, unknown>) : false;
    },
    test,
    { timeout: timeoutMs, polling: 50 },
  ).catch(async (error: unknown) => {
    // Say where it stood, so a timeout is diagnosable from the CI log alone.
    const [upload] = await uploads(page).catch(() => []);
    throw new Error(`upload never satisfied \`${test}\`; it stood at ${JSON.stringify(upload)}`, { cause: error });
  });
  return (await handle.jsonValue()) as unknown as UploadSnapshot;
}

/** Click the row button for `action` (pause | resume | cancel | retry) of the first upload. */
export async function clickRowButton(page: Page, action: 'pause' | 'resume' | 'cancel' | 'retry'): Promise<void> {
  await page.locator(`cloud-chunk-uploader [part~="${action}-button"]`).first().click();
}
