// Issue 4 end to end, bad connections: the browser goes offline for 10 s mid-upload, and the
// provider expires the upload id mid-way. Both uploads finish on their own and the stored
// file is downloaded from the Feishu emulator and compared by SHA-1.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { startDemoStack, type DemoStack } from './support/demo-stack.js';
import { dropFile, uploads, waitForUpload } from './support/demo-page.js';
import { downloadFeishuFile, makeRandomFile, type TestFile } from './support/files.js';
import { expireFeishuUploads, historyNote, openDemo } from './support/resume.js';

const MiB = 1024 * 1024;
const DONE = "u.status === 'done' || u.status === 'failed'";
const OFFLINE_MS = 10_000;

describe('uploads ride out a lost network and an expired upload id (Feishu)', () => {
  let stack: DemoStack;
  let browser: Browser;
  let file: TestFile;

  before(async () => {
    [stack, browser, file] = await Promise.all([startDemoStack(), launchChromium(), makeRandomFile(64 * MiB, 'resume network 64MiB.bin')]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await file?.remove();
  });

  test('offline for 10 s mid-upload: it pauses without spending retries and resumes on its own when the network is back', async (t) => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await openDemo(page, stack.pageUrl);
      await dropFile(page, file.path);
      const running = await waitForUpload(page, "u.status === 'uploading' && u.progress >= 0.3", 120_000);
      await context.setOffline(true);
      const paused = await waitForUpload(page, "u.status === 'paused'", 10_000);
      assert.ok(historyNote(paused, /^offline/), 'paused because the network went away');
      // Stays paused, quietly, for as long as the network is gone.
      const deadline = Date.now() + OFFLINE_MS;
      while (Date.now() < deadline) {
        const [now] = await uploads(page);
        assert.equal(now?.status, 'paused', 'still paused while offline');
        assert.equal(now?.counters.retries, running.counters.retries, 'no retry spent while offline');
        assert.equal(now?.bytesUploaded, paused.bytesUploaded, 'nothing acknowledged while offline');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await context.setOffline(false);
      const done = await waitForUpload(page, DONE, 120_000);
      assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
      assert.equal(done.counters.retries, running.counters.retries, 'the offline spell cost no retry');
      assert.ok(historyNote(done, /online again/), 'resumed by the online event');
      const stored = await downloadFeishuFile(stack.emulatorUrl, stack.appId, stack.appSecret, done.result?.fileToken ?? '');
      assert.equal(stored.sha1, file.sha1);
      t.diagnostic(`offline at ${Math.round(paused.progress * 100)} % for ${OFFLINE_MS} ms: retries=${done.counters.retries}, bytesResent=${done.counters.bytesResent}`);
    } finally {
      await context.close();
    }
  });

  test('the provider expires the upload id mid-way: a new session opens by itself and the upload completes', async (t) => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await openDemo(page, stack.pageUrl);
      await dropFile(page, file.path);
      await waitForUpload(page, "u.status === 'uploading' && u.progress >= 0.4", 120_000);
      assert.ok((await expireFeishuUploads(stack.emulatorUrl)) >= 1, 'an upload id was expired');
      const done = await waitForUpload(page, DONE, 180_000);
      assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
      assert.equal(done.counters.sessionRenewals, 1);
      assert.ok(historyNote(done, /session expired \(session-expired\); opening a new session/), 'the renewal is in the history');
      // The new session reuses every checksum: nothing is hashed twice.
      assert.equal(done.counters.bytesRehashed, 0);
      const stored = await downloadFeishuFile(stack.emulatorUrl, stack.appId, stack.appSecret, done.result?.fileToken ?? '');
      assert.equal(stored.sha1, file.sha1);
      t.diagnostic(`upload id expired at ≥ 40 %: sessionRenewals=${done.counters.sessionRenewals}, bytesResent=${done.counters.bytesResent}, bytesRehashed=${done.counters.bytesRehashed}`);
    } finally {
      await context.close();
    }
  });
});
