// Issue 4 end to end: a person uploading a large file reloads the page (or restarts the
// browser) half-way; the demo shows the upload can continue, they pick the same file again,
// and it finishes without re-sending or re-hashing what was done. The stored file is
// downloaded from the Feishu emulator and compared by SHA-1. The figures (bytes re-sent,
// bytes re-hashed, time from re-pick to the first new part request) are reported as test
// diagnostics.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, launchPersistent } from './support/browser.js';
import { startDemoStack, type DemoStack } from './support/demo-stack.js';
import { dropFile, pickFiles, waitForUpload } from './support/demo-page.js';
import { downloadFeishuFile, makeRandomFile, type TestFile } from './support/files.js';
import { historyNote, openDemo, pageNow, partText } from './support/resume.js';
import { clearLog, emulatorLog } from '../support/emulator-admin.js';

const MiB = 1024 * 1024;
/** Feishu's block size (the emulator's default, specs/cloud-apis.md §1.4). */
const PART = 4 * MiB;
/** The element's default concurrency. */
const CONCURRENCY = 3;
const DONE = "u.status === 'done' || u.status === 'failed'";
const FIRST_PART_NOTE = /first part request (\d+) ms after the file came back/;

describe('resume after a reload or a browser restart (Feishu)', () => {
  let stack: DemoStack;
  let browser: Browser;
  let big: TestFile;

  before(async () => {
    [stack, browser, big] = await Promise.all([startDemoStack(), launchChromium(), makeRandomFile(128 * MiB, 'resume reload 128MiB ✓.bin')]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await big?.remove();
  });

  test('reload at ~50 % of a 128 MiB upload, pick the file again: at most concurrency × part size re-sent, nothing re-hashed', async (t) => {
    const page = await browser.newPage();
    await openDemo(page, stack.pageUrl);
    await clearLog(stack.emulatorUrl);
    await dropFile(page, big.path);
    const before = await waitForUpload(page, "u.status === 'uploading' && u.bytesUploaded >= 0.5 * u.size", 180_000);
    await page.reload();
    await openDemo(page, stack.pageUrl);

    const restored = await waitForUpload(page, "u.waitingFor === 'file'", 60_000);
    assert.equal(restored.id, before.id, 'the same upload is shown');
    assert.equal(restored.status, 'paused');
    // The last acknowledgement's record may still have been on its way when the page went.
    assert.ok(restored.bytesUploaded >= before.bytesUploaded - PART, `progress kept: ${restored.bytesUploaded} of ${before.bytesUploaded}`);
    assert.ok(restored.progress >= 0.45, `shown at ${Math.round(restored.progress * 100)} %`);
    assert.equal(await partText(page, 'resume-notice'), '1 upload can continue — choose or drop the same file again');

    const pickedAt = await pageNow(page);
    await pickFiles(page, big.path);
    const done = await waitForUpload(page, DONE, 180_000);
    assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
    assert.equal(done.id, before.id);
    const stored = await downloadFeishuFile(stack.emulatorUrl, stack.appId, stack.appSecret, done.result?.fileToken ?? '');
    assert.equal(stored.size, big.size);
    assert.equal(stored.sha1, big.sha1);

    const { bytesResent, bytesRehashed, bytesSent, bytesHashed } = done.counters;
    assert.ok(bytesResent <= CONCURRENCY * PART, `re-sent ${bytesResent} bytes`);
    assert.equal(bytesRehashed, 0, 're-hashed bytes');
    assert.equal(bytesSent - bytesResent, big.size, 'every byte went out once, besides re-sends');
    const accepted = (await emulatorLog(stack.emulatorUrl, 'feishu.*.upload_part')).filter((e) => e.status === 200);
    assert.ok(accepted.length <= done.partCount + CONCURRENCY, `${accepted.length} parts stored for ${done.partCount}`);
    const first = historyNote(done, FIRST_PART_NOTE);
    assert.ok(first, 'the first part after the re-pick is noted');
    const engineMs = Number(FIRST_PART_NOTE.exec(first.note)?.[1]);
    t.diagnostic(`reload at ${Math.round((before.bytesUploaded / big.size) * 100)} %: bytesResent=${bytesResent} (${(bytesResent / MiB).toFixed(1)} MiB), `
      + `bytesRehashed=${bytesRehashed}, bytesHashed=${bytesHashed} of ${big.size}, bytesSent=${bytesSent}, `
      + `re-pick → first part request: ${engineMs} ms in the engine, ${first.at - pickedAt} ms from the test's setInputFiles`);
    await page.close();
  });

  test('restart the browser (persistent profile) mid-upload, pick the file again, and it finishes', async (t) => {
    const profile = await mkdtemp(join(tmpdir(), 'ccu-e2e-profile-'));
    const file = await makeRandomFile(48 * MiB, 'resume restart.bin');
    try {
      let context = await launchPersistent(profile);
      let page = await context.newPage();
      await openDemo(page, stack.pageUrl);
      await dropFile(page, file.path);
      const before = await waitForUpload(page, "u.status === 'uploading' && u.bytesUploaded >= 0.4 * u.size", 180_000);
      await context.close();

      context = await launchPersistent(profile);
      try {
        page = await context.newPage();
        await openDemo(page, stack.pageUrl);
        const restored = await waitForUpload(page, "u.waitingFor === 'file'", 60_000);
        assert.equal(restored.id, before.id, 'the same upload survives the restart');
        assert.ok(restored.bytesUploaded >= before.bytesUploaded - PART, `progress kept: ${restored.bytesUploaded} of ${before.bytesUploaded}`);
        await pickFiles(page, file.path);
        const done = await waitForUpload(page, DONE, 180_000);
        assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
        const stored = await downloadFeishuFile(stack.emulatorUrl, stack.appId, stack.appSecret, done.result?.fileToken ?? '');
        assert.equal(stored.sha1, file.sha1);
        assert.ok(done.counters.bytesResent <= CONCURRENCY * PART, `re-sent ${done.counters.bytesResent} bytes`);
        assert.equal(done.counters.bytesRehashed, 0);
        t.diagnostic(`restart at ${Math.round((before.bytesUploaded / file.size) * 100)} %: bytesResent=${done.counters.bytesResent}, bytesRehashed=${done.counters.bytesRehashed}`);
      } finally {
        await context.close();
      }
    } finally {
      await rm(profile, { recursive: true, force: true });
      await file.remove();
    }
  });
});
