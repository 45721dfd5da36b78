// Issue 3 end to end: a person opens the demo, drops a large file, pauses, resumes and
// downloads the identical file back from the (emulated) Feishu drive.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { startDemoStack, type DemoStack } from './support/demo-stack.js';
import { clickRowButton, dropFile, uploads, waitForUpload } from './support/demo-page.js';
import { downloadFeishuFile, makeRandomFile, type TestFile } from './support/files.js';
import { emulatorLog, setFaults } from '../support/emulator-admin.js';

const MiB = 1024 * 1024;

describe('demo page → backend → Feishu emulator', () => {
  let stack: DemoStack;
  let browser: Browser;
  let file: TestFile;

  before(async () => {
    [stack, browser, file] = await Promise.all([startDemoStack(), launchChromium(), makeRandomFile(64 * MiB, 'e2e 64MiB ✓.bin')]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await file?.remove();
  });

  test('a dropped 64 MiB file pauses at ~30 %, resumes, and downloads byte-identical', async () => {
    const page = await browser.newPage();
    await page.goto(stack.pageUrl);
    await page.waitForFunction(() => customElements.get('cloud-chunk-uploader') !== undefined);
    await dropFile(page, file.path);

    await waitForUpload(page, 'u.progress >= 0.3');
    await clickRowButton(page, 'pause');
    const paused = await waitForUpload(page, "u.status === 'paused'");
    assert.ok(paused.bytesUploaded < file.size, 'paused before the end');
    // Paused means paused: nothing is acknowledged while it stays paused.
    await new Promise((r) => setTimeout(r, 1500));
    const [still] = await uploads(page);
    assert.equal(still?.status, 'paused');
    assert.equal(still?.bytesUploaded, paused.bytesUploaded);

    await clickRowButton(page, 'resume');
    const done = await waitForUpload(page, "u.status === 'done' || u.status === 'failed'", 90_000);
    assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
    const token = done.result?.fileToken;
    assert.ok(token, 'upload-success carries result.fileToken');
    // Resume re-sends at most the part that was in flight when pause aborted it (Feishu: one at a time).
    assert.ok(done.counters.bytesSent <= file.size + 4 * MiB, `sent ${done.counters.bytesSent} bytes for ${file.size}`);

    const stored = await downloadFeishuFile(stack.emulatorUrl, stack.appId, stack.appSecret, token);
    assert.equal(stored.size, file.size);
    assert.equal(stored.sha1, file.sha1);

    // The page shows the token and a download link for it.
    await page.locator('.file-token', { hasText: token }).waitFor();
    await page.close();
  });

  test('with 10 % of part requests failing, the upload still completes byte-identical', async () => {
    await setFaults(stack.emulatorUrl, { routes: { 'feishu.files.upload_part': { errorRate: 0.1 } }, seed: 7 });
    try {
      const page = await browser.newPage();
      await page.goto(stack.pageUrl);
      await page.waitForFunction(() => customElements.get('cloud-chunk-uploader') !== undefined);
      await dropFile(page, file.path);
      const done = await waitForUpload(page, "u.status === 'done' || u.status === 'failed'", 90_000);
      assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
      const injected = (await emulatorLog(stack.emulatorUrl)).filter((e) => e.route.endsWith('upload_part') && e.fault === 'error');
      assert.ok(injected.length > 0, 'faults were injected');
      assert.ok(done.counters.retries >= injected.length, `retries ${done.counters.retries} ≥ injected ${injected.length}`);
      const stored = await downloadFeishuFile(stack.emulatorUrl, stack.appId, stack.appSecret, done.result?.fileToken ?? '');
      assert.equal(stored.sha1, file.sha1);
      await page.close();
    } finally {
      await setFaults(stack.emulatorUrl, {});
    }
  });
});
