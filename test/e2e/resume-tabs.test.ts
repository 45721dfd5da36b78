// Issue 4 end to end, two tabs: the same file dropped in two tabs of the demo is uploaded
// once. The second tab says the file is uploading in another tab and finishes with the first
// tab's result; the emulator stores one file, whose SHA-1 is compared with the original.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { startDemoStack, type DemoStack } from './support/demo-stack.js';
import { dropFile, waitForUpload } from './support/demo-page.js';
import { downloadFeishuFile, makeRandomFile, type TestFile } from './support/files.js';
import { feishuFilesNamed, historyNote, openDemo } from './support/resume.js';
import { clearLog, emulatorLog } from '../support/emulator-admin.js';

const MiB = 1024 * 1024;
const DONE = "u.status === 'done' || u.status === 'failed'";

describe('the same file in two tabs (Feishu)', () => {
  let stack: DemoStack;
  let browser: Browser;
  let file: TestFile;

  before(async () => {
    [stack, browser, file] = await Promise.all([startDemoStack(), launchChromium(), makeRandomFile(64 * MiB, 'resume two tabs 64MiB.bin')]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await file?.remove();
  });

  test('is uploaded once: the second tab waits, shows it is uploading elsewhere, and ends with the same file', async (t) => {
    const context = await browser.newContext();
    try {
      const [first, second] = [await context.newPage(), await context.newPage()];
      await Promise.all([openDemo(first, stack.pageUrl), openDemo(second, stack.pageUrl)]);
      await clearLog(stack.emulatorUrl);

      await dropFile(first, file.path);
      await waitForUpload(first, "u.status === 'uploading' && u.partsDone >= 1", 60_000);
      await dropFile(second, file.path);
      const waiting = await waitForUpload(second, "u.waitingFor === 'other-tab'", 30_000);
      assert.notEqual(waiting.status, 'done');
      const notice = await second.evaluate(() =>
        document.querySelector('cloud-chunk-uploader')?.shadowRoot?.querySelector('[part~="file-notice"]')?.textContent?.trim());
      assert.equal(notice, 'Uploading in another tab');

      const doneFirst = await waitForUpload(first, DONE, 180_000);
      assert.equal(doneFirst.status, 'done', `first tab failed: ${JSON.stringify(doneFirst.error)}`);
      const doneSecond = await waitForUpload(second, DONE, 60_000);
      assert.equal(doneSecond.status, 'done', `second tab failed: ${JSON.stringify(doneSecond.error)}`);
      assert.equal(doneSecond.result?.fileToken, doneFirst.result?.fileToken, 'both tabs report the one stored file');
      assert.ok(historyNote(doneSecond, /^uploaded in another tab$/));
      assert.equal(doneSecond.counters.bytesSent, 0, 'the second tab sent nothing');

      const prepares = await emulatorLog(stack.emulatorUrl, 'feishu.*.upload_prepare');
      assert.equal(prepares.length, 1, 'one upload session at the provider');
      const stored = await feishuFilesNamed(stack.emulatorUrl, 'resume two tabs 64MiB.bin');
      assert.equal(stored.length, 1, 'one stored file');
      const downloaded = await downloadFeishuFile(stack.emulatorUrl, stack.appId, stack.appSecret, doneFirst.result?.fileToken ?? '');
      assert.equal(downloaded.sha1, file.sha1);
      t.diagnostic(`first tab sent ${doneFirst.counters.bytesSent} bytes; second tab sent ${doneSecond.counters.bytesSent}; upload_prepare calls: ${prepares.length}`);
    } finally {
      await context.close();
    }
  });
});
