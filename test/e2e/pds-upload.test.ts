// Issue 5 end to end: a person picks PDS in the demo, drops a 96 MiB file that goes straight
// to (emulated) PDS storage in parallel parts, drops it again and it is stored instantly
// (rapid upload), an upload survives its part URLs expiring, and one resumes after a page
// reload. Every stored file is downloaded from the emulator and compared by SHA-1.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { startDemoStack, type DemoStack } from './support/demo-stack.js';
import { dropFile, waitForUpload } from './support/demo-page.js';
import { makeRandomFile, type TestFile } from './support/files.js';
import { choosePds, clearLog, downloadPdsFile, expirePartUrls, maxOpenPartPuts, partPuts, pdsStackEnv, setFaults, waitForPartPutInFlight, watchPartPuts } from './support/pds.js';

const MiB = 1024 * 1024;
/** The backend's default PDS part size (PDS_PART_SIZE, docs/protocol.md §PDS). */
const PART = 10 * MiB;
const DONE = "u.status === 'done' || u.status === 'failed'";

describe('demo page → backend → PDS emulator (parts straight to storage)', () => {
  let stack: DemoStack;
  let browser: Browser;
  let big: TestFile;

  before(async () => {
    [stack, browser, big] = await Promise.all([startDemoStack(pdsStackEnv()), launchChromium(), makeRandomFile(96 * MiB, 'pds e2e 96MiB ✓.bin')]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await big?.remove();
  });

  async function pdsPage(): Promise<Page> {
    const page = await browser.newPage();
    await watchPartPuts(page);
    await page.goto(stack.pageUrl);
    await choosePds(page);
    return page;
  }

  test('a dropped 96 MiB file goes to PDS in parallel parts and downloads byte-identical', async () => {
    const page = await pdsPage();
    await clearLog(stack.emulatorUrl);
    await dropFile(page, big.path);
    const done = await waitForUpload(page, DONE, 120_000);
    assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
    assert.equal(done.partCount, Math.ceil(big.size / PART));
    const fileId = done.result?.fileId;
    assert.ok(fileId, 'upload-success carries result.fileId');
    assert.notEqual(done.result?.rapid, true);
    const puts = await maxOpenPartPuts(page);
    assert.ok(puts.max >= 2, `parts went in parallel (at most ${puts.max} open at once)`);
    const stored = await partPuts(stack.emulatorUrl);
    assert.equal(stored.filter((e) => e.status === 200).length, done.partCount, 'one accepted PUT per part');
    assert.equal(stored.reduce((sum, e) => sum + (e.status === 200 ? e.bytesIn : 0), 0), big.size, 'storage received the file once');

    const downloaded = await downloadPdsFile(stack.emulatorUrl, fileId);
    assert.equal(downloaded.size, big.size);
    assert.equal(downloaded.sha1, big.sha1);
    await page.locator('.file-token', { hasText: fileId }).waitFor();
    await page.close();
  });

  test('the same file dropped again is stored instantly by rapid upload, sending no part bytes', async () => {
    const page = await pdsPage();
    await clearLog(stack.emulatorUrl);
    await dropFile(page, big.path);
    const done = await waitForUpload(page, DONE, 120_000);
    assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
    assert.equal(done.result?.rapid, true, 'rapid upload');
    assert.equal(done.counters.bytesSent, 0);
    assert.deepEqual(await partPuts(stack.emulatorUrl), [], 'the emulator got no part PUT');
    assert.equal((await maxOpenPartPuts(page)).total, 0, 'the page sent no part PUT');
    // The row and the results table say "instant".
    await page.getByText('Done (instant)').first().waitFor();
    await page.locator('.file-token', { hasText: '(instant)' }).waitFor();

    const fileId = done.result?.fileId;
    assert.ok(fileId);
    const downloaded = await downloadPdsFile(stack.emulatorUrl, fileId);
    assert.equal(downloaded.sha1, big.sha1);
    await page.close();
  });

  test('part URLs that expire mid-upload are re-signed and the file still downloads byte-identical', async () => {
    const file = await makeRandomFile(64 * MiB, 'pds e2e expiry.bin');
    // Storage holds each part PUT a moment before handling it, so PUTs are in flight when the URLs expire.
    await setFaults(stack.emulatorUrl, { routes: { 'pds.oss.put_part': { latencyMs: 1500 } } });
    try {
      const page = await pdsPage();
      await clearLog(stack.emulatorUrl);
      await dropFile(page, file.path);
      await waitForUpload(page, 'u.partsDone >= 1', 60_000);
      // A PUT sent a little while ago is still held by storage (1.5 s): its URL expires under it.
      await waitForPartPutInFlight(page, 100, 800);
      await expirePartUrls(stack.emulatorUrl);
      const done = await waitForUpload(page, DONE, 120_000);
      assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
      const puts = await partPuts(stack.emulatorUrl);
      const expired = puts.filter((e) => e.status === 403);
      assert.ok(expired.length >= 1, `some PUTs met an expired URL (${JSON.stringify(puts.map((e) => e.status))})`);
      assert.equal(puts.filter((e) => e.status === 200).length, done.partCount, 'each part stored once');
      const downloaded = await downloadPdsFile(stack.emulatorUrl, done.result?.fileId ?? '');
      assert.equal(downloaded.sha1, file.sha1);
      await page.close();
    } finally {
      await setFaults(stack.emulatorUrl, {});
      await file.remove();
    }
  });

  test('after a reload mid-upload the page offers the upload again; dropping the file finishes it from the parts storage holds', async () => {
    const file = await makeRandomFile(64 * MiB, 'pds e2e reload.bin');
    try {
      const page = await pdsPage();
      await clearLog(stack.emulatorUrl);
      await dropFile(page, file.path);
      const before = await waitForUpload(page, "u.status === 'uploading' && u.bytesUploaded >= 0.4 * u.size", 120_000);
      await page.reload();
      await choosePds(page);
      // Restored from IndexedDB: paused, waiting for the same file to be chosen again.
      const restored = await waitForUpload(page, "u.waitingFor === 'file'", 60_000);
      assert.equal(restored.id, before.id, 'the same upload');
      assert.ok(restored.bytesUploaded >= before.bytesUploaded, 'its acknowledged parts were kept');
      await dropFile(page, file.path);
      const done = await waitForUpload(page, DONE, 120_000);
      assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
      assert.notEqual(done.result?.rapid, true);
      // Beyond the file, at most the parts in flight when the page went (3 lanes) are sent again.
      assert.ok(done.counters.bytesSent <= file.size + 3 * PART, `sent ${done.counters.bytesSent} bytes for ${file.size}`);
      const accepted = (await partPuts(stack.emulatorUrl)).filter((e) => e.status === 200);
      assert.ok(accepted.length <= done.partCount + 3, `storage took ${accepted.length} PUTs for ${done.partCount} parts`);
      const downloaded = await downloadPdsFile(stack.emulatorUrl, done.result?.fileId ?? '');
      assert.equal(downloaded.sha1, file.sha1);
      await page.close();
    } finally {
      await file.remove();
    }
  });
});
