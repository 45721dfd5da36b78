// Issue 6 end to end: a person opens the demo, picks cos-legacy and a directory, drops a
// 96 MiB file, pauses and resumes, reloads the page mid-upload and drops the file again, and
// keeps uploading while slice signatures expire; every stored file is downloaded from its
// result URL and compared with the original by SHA-1.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { UploadSnapshot } from '../../src/core/upload-snapshot.js';
import { FINGERPRINT_SAMPLE_BYTES } from '../../src/engine/file-fingerprint.js';
import { launchChromium } from './support/browser.js';
import { cosSliceLog, downloadCosLegacyFile, useCosLegacy } from './support/cos-legacy.js';
import { clickRowButton, dropFile, uploads, waitForUpload } from './support/demo-page.js';
import { startDemoStack, type DemoStack } from './support/demo-stack.js';
import { makeRandomFile, type TestFile } from './support/files.js';
import { setFaults } from '../support/emulator-admin.js';

const MiB = 1024 * 1024;
const SIZE = 96 * MiB;
/** COS slices the client uses when the element sets no chunk size (cloud-apis.md §3.9 `-284`). */
const SLICE = MiB;
const FINISHED = "u.status === 'done' || u.status === 'failed'";

async function openDemo(browser: Browser, stack: DemoStack, directory: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(stack.pageUrl);
  await useCosLegacy(page, directory);
  return page;
}

async function assertStored(done: UploadSnapshot, file: TestFile, directory: string, name: string): Promise<void> {
  assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
  assert.equal(done.result?.provider, 'cos-legacy');
  assert.equal(done.result?.resourcePath, `/1250000000/emulator${directory}/${name}`, 'upload-success carries result.resourcePath');
  const stored = await downloadCosLegacyFile(done.result?.downloadUrl);
  assert.equal(stored.size, file.size);
  assert.equal(stored.sha1, file.sha1);
}

/** ms from `queued` to `done`, from the upload's own history (page clock). */
function uploadMs(done: UploadSnapshot): number {
  const start = done.history[0]?.at ?? 0;
  const end = done.history.find((h) => h.status === 'done')?.at ?? 0;
  return end - start;
}

describe('demo page → backend → COS legacy emulator', () => {
  let stack: DemoStack;
  let browser: Browser;
  const files: TestFile[] = [];
  // Each test its own content: COS answers a SHA-1 it already stores with a rapid upload.
  const newFile = async (name: string): Promise<TestFile> => {
    const file = await makeRandomFile(SIZE, name);
    files.push(file);
    return file;
  };

  before(async () => {
    [stack, browser] = await Promise.all([startDemoStack(), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await Promise.all(files.map((f) => f.remove()));
  });

  test('a dropped 96 MiB file uploads and downloads byte-identical from result.resourcePath', async (t) => {
    const file = await newFile('cos 96MiB ✓.bin');
    const page = await openDemo(browser, stack, '/e2e/plain');
    await dropFile(page, file.path);
    const done = await waitForUpload(page, FINISHED, 120_000);
    await assertStored(done, file, '/e2e/plain', 'cos 96MiB ✓.bin');
    assert.equal(done.counters.bytesSent, file.size, 'every slice sent once');
    // Read once for uploadparts, plus the engine's fingerprint sample (64 KiB head and tail).
    assert.equal(done.counters.bytesHashed, file.size + 2 * FINGERPRINT_SAMPLE_BYTES, 'the file was hashed once');
    t.diagnostic(`cos-legacy 96 MiB: ${uploadMs(done)} ms from drop to done (${(SIZE / MiB / (uploadMs(done) / 1000)).toFixed(1)} MiB/s)`);
    await page.locator('.file-token', { hasText: '/e2e/plain/' }).first().waitFor();
    await page.close();
  });

  test('the same file dropped into another directory is stored by rapid upload, without sending a slice', async () => {
    const file = files[0];
    assert.ok(file !== undefined, 'the first test stored a file');
    const page = await openDemo(browser, stack, '/e2e/again');
    await dropFile(page, file.path);
    const done = await waitForUpload(page, FINISHED, 120_000);
    assert.equal(done.result?.rapid, true, 'COS already held the content');
    assert.equal(done.counters.bytesSent, 0, 'no slice sent');
    await assertStored(done, file, '/e2e/again', file.path.split('/').at(-1) ?? '');
    await page.close();
  });

  test('pausing at ~30 % holds the upload; resuming finishes it without re-sending acknowledged slices', async () => {
    const file = await newFile('pause.bin');
    const page = await openDemo(browser, stack, '/e2e/pause');
    await dropFile(page, file.path);
    await waitForUpload(page, "u.status === 'uploading' && u.progress >= 0.3", 120_000);
    await clickRowButton(page, 'pause');
    const paused = await waitForUpload(page, "u.status === 'paused'");
    assert.ok(paused.bytesUploaded < file.size, 'paused before the end');
    await new Promise((r) => setTimeout(r, 1500));
    const [still] = await uploads(page);
    assert.equal(still?.status, 'paused');
    assert.equal(still?.bytesUploaded, paused.bytesUploaded, 'nothing acknowledged while paused');

    await clickRowButton(page, 'resume');
    const done = await waitForUpload(page, FINISHED, 120_000);
    await assertStored(done, file, '/e2e/pause', 'pause.bin');
    // At most the slices in flight at the pause go again (5 parallel slices of 1 MiB).
    assert.ok(done.counters.bytesSent <= file.size + 5 * SLICE, `sent ${done.counters.bytesSent} bytes for ${file.size}`);
    await page.close();
  });

  test('after a reload mid-upload the page offers the upload again; dropping the file finishes it without re-sending stored slices', async () => {
    const file = await newFile('reload.bin');
    const page = await openDemo(browser, stack, '/e2e/reload');
    await dropFile(page, file.path);
    const before = await waitForUpload(page, "u.status === 'uploading' && u.bytesUploaded >= 0.4 * u.size", 120_000);
    await page.reload();
    await useCosLegacy(page, '/e2e/reload');
    // Restored from IndexedDB: paused, waiting for the same file to be chosen again.
    const restored = await waitForUpload(page, "u.waitingFor === 'file'");
    assert.equal(restored.id, before.id, 'the same upload');
    assert.ok(restored.bytesUploaded >= before.bytesUploaded, 'its acknowledged slices were kept');
    await dropFile(page, file.path);
    const done = await waitForUpload(page, FINISHED, 120_000);
    await assertStored(done, file, '/e2e/reload', 'reload.bin');
    // Counters span the reload: beyond the file, only slices in flight when the page went (5 × 1 MiB).
    assert.ok(done.counters.bytesSent <= file.size + 5 * SLICE, `sent ${done.counters.bytesSent} bytes for ${file.size}`);
    const accepted = (await cosSliceLog(stack.emulatorUrl)).filter((e) => e.path?.includes('/e2e/reload/') === true && e.status === 200);
    assert.ok(accepted.length <= SIZE / SLICE + 5, `COS took ${accepted.length} slices for ${SIZE / SLICE}`);
    await page.close();
  });
});

describe('demo page → COS legacy emulator with 2-second slice signatures', () => {
  let stack: DemoStack;
  let browser: Browser;
  let file: TestFile;

  before(async () => {
    [stack, browser, file] = await Promise.all([
      startDemoStack({ COS_SIGNATURE_TTL_S: '2' }),
      launchChromium(),
      makeRandomFile(SIZE, 'expiry.bin'),
    ]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await file?.remove();
  });

  test('signatures that expire mid-upload, and slices COS answers -59, are re-signed and the file completes', async () => {
    // 100 ms per slice request stretches the upload well past several 2 s signature lifetimes.
    await setFaults(stack.emulatorUrl, { routes: { 'cos-legacy.upload_slice_data': { latencyMs: 100 } } });
    try {
      const page = await openDemo(browser, stack, '/e2e/expiry');
      await dropFile(page, file.path);
      await waitForUpload(page, "u.status === 'uploading' && u.progress >= 0.2", 120_000);
      // On demand too: the next three slices are told their signature expired.
      await setFaults(stack.emulatorUrl, { routes: { 'cos-legacy.upload_slice_data': { latencyMs: 100, failNext: 3, errorCode: -59 } } });
      const done = await waitForUpload(page, FINISHED, 120_000);
      await assertStored(done, file, '/e2e/expiry', 'expiry.bin');
      const uploading = done.history.find((h) => h.status === 'uploading')?.at ?? 0;
      const finished = done.history.find((h) => h.status === 'done')?.at ?? 0;
      assert.ok(finished - uploading > 4000, `slices went for ${finished - uploading} ms, past the 2 s signatures`);
      const expired = (await cosSliceLog(stack.emulatorUrl)).filter((e) => e.fault === 'error' && String(e.code) === '-59');
      assert.equal(expired.length, 3, 'three slices were answered -59');
      await page.close();
    } finally {
      await setFaults(stack.emulatorUrl, {});
    }
  });
});
