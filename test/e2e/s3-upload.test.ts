// Issue 6 end to end (S3): a person picks S3 in the demo, drops a 96 MiB file whose parts go
// from the browser straight to the (emulated) bucket in parallel, pauses and resumes one,
// reloads the page mid-upload and continues it, and one survives its presigned URLs expiring
// mid-upload. Every object is fetched back with
// GetObject from the emulator's S3 listener and compared by SHA-1.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { startDemoStack, type DemoStack } from './support/demo-stack.js';
import { clickRowButton, dropFile, uploads, waitForUpload } from './support/demo-page.js';
import { makeRandomFile, type TestFile } from './support/files.js';
import { clearLog, setFaults } from '../support/emulator-admin.js';
import {
  DEMO_S3_PREFIX,
  E2E_S3,
  chooseS3,
  downloadS3Object,
  expirePresignedUrls,
  openS3PartPuts,
  s3Log,
  s3PartPuts,
  s3StackEnv,
  watchS3PartPuts,
} from './support/s3.js';

const MiB = 1024 * 1024;
/** The backend's default S3 part size (S3_PART_SIZE, docs/protocol.md §S3). */
const PART = 8 * MiB;
/** Parts in flight per S3 upload (S3_MAX_CONCURRENCY). */
const LANES = 6;
const DONE = "u.status === 'done' || u.status === 'failed'";

describe('demo page → backend → S3 emulator (presigned parts straight to the bucket)', () => {
  let stack: DemoStack;
  let browser: Browser;
  let big: TestFile;

  before(async () => {
    [stack, browser, big] = await Promise.all([startDemoStack(s3StackEnv()), launchChromium(), makeRandomFile(96 * MiB, 's3 e2e 96MiB ✓.bin')]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await big?.remove();
  });

  async function s3Page(): Promise<Page> {
    const page = await browser.newPage();
    await watchS3PartPuts(page);
    await page.goto(stack.pageUrl);
    await chooseS3(page);
    return page;
  }

  test('a dropped 96 MiB file goes to the bucket in parallel parts and downloads byte-identical', async (t) => {
    const page = await s3Page();
    await clearLog(stack.emulatorUrl);
    const started = performance.now();
    await dropFile(page, big.path);
    const done = await waitForUpload(page, DONE, 120_000);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
    t.diagnostic(`96 MiB to S3 in ${seconds.toFixed(2)} s (${(96 / seconds).toFixed(1)} MiB/s), drop to done, ${done.partCount} parts`);
    assert.equal(done.partCount, Math.ceil(big.size / PART));
    const key = `${DEMO_S3_PREFIX}/${big.path.split('/').at(-1) ?? ''}`;
    assert.deepEqual([done.result?.bucket, done.result?.key], [E2E_S3.bucket, key], 'upload-success carries result.bucket and result.key');
    assert.match(done.result?.etag ?? '', new RegExp(`^"[0-9a-f]{32}-${done.partCount}"$`), 'and the multipart ETag');
    const puts = await openS3PartPuts(page);
    assert.ok(puts.max >= 2 && puts.max <= LANES, `parts went in parallel within the traffic budget (at most ${puts.max} open at once)`);
    const stored = await s3PartPuts(stack.emulatorUrl);
    assert.equal(stored.filter((e) => e.status === 200).length, done.partCount, 'one accepted PUT per part');
    assert.equal(stored.reduce((sum, e) => sum + (e.status === 200 ? e.bytesIn : 0), 0), big.size, 'storage received the file once');
    // Each byte hashed once (Content-MD5 in the worker pool), besides the small head/tail sample
    // that fingerprints the file for resume after a reload.
    assert.equal(done.counters.bytesRehashed, 0, 'nothing hashed twice');
    assert.ok(done.counters.bytesHashed >= big.size && done.counters.bytesHashed <= big.size + MiB, `hashed ${done.counters.bytesHashed} bytes for ${big.size}`);

    const downloaded = await downloadS3Object(stack.s3Url, E2E_S3.bucket, key);
    assert.equal(downloaded.size, big.size);
    assert.equal(downloaded.sha1, big.sha1);
    // The page lists the key with the backend's presigned download link.
    await page.locator('.file-token', { hasText: key }).waitFor();
    await page.close();
  });

  test('pausing at ~30 % stops the upload, and resuming finishes it byte-identical', async () => {
    // Storage holds each part PUT a moment, so the upload is still running when pause is clicked.
    await setFaults(stack.emulatorUrl, { routes: { 's3.UploadPart': { latencyMs: 400 } } });
    try {
      const page = await s3Page();
      await dropFile(page, big.path);
      await waitForUpload(page, 'u.progress >= 0.3', 60_000);
      await clickRowButton(page, 'pause');
      const paused = await waitForUpload(page, "u.status === 'paused'", 10_000);
      assert.ok(paused.bytesUploaded < big.size, 'paused before the end');
      await new Promise((r) => setTimeout(r, 1500));
      const [still] = await uploads(page);
      assert.equal(still?.status, 'paused');
      assert.equal(still?.bytesUploaded, paused.bytesUploaded, 'nothing is acknowledged while paused');

      await clickRowButton(page, 'resume');
      const done = await waitForUpload(page, DONE, 120_000);
      assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
      // Resume re-sends at most the parts that were in flight when pause aborted them.
      assert.ok(done.counters.bytesSent <= big.size + LANES * PART, `sent ${done.counters.bytesSent} bytes for ${big.size}`);
      assert.ok(done.history.some((entry) => entry.status === 'paused'), 'its history shows the pause');
      const downloaded = await downloadS3Object(stack.s3Url, E2E_S3.bucket, done.result?.key ?? '');
      assert.equal(downloaded.sha1, big.sha1);
      await page.close();
    } finally {
      await setFaults(stack.emulatorUrl, {});
    }
  });

  test('a reload mid-upload continues the same multipart upload once the file is dropped again, byte-identical', async () => {
    // Storage holds each part PUT a moment, so the reload comes with parts stored and parts in flight.
    await setFaults(stack.emulatorUrl, { routes: { 's3.UploadPart': { latencyMs: 400 } } });
    try {
      const page = await s3Page();
      await clearLog(stack.emulatorUrl);
      await dropFile(page, big.path);
      const before = await waitForUpload(page, 'u.partsDone >= 3', 60_000);
      await page.reload();
      await setFaults(stack.emulatorUrl, {});

      // The stored upload comes back for S3 (IndexedDB, scoped to the backend) and waits for its file.
      await chooseS3(page);
      const restored = await waitForUpload(page, "u.waitingFor === 'file'", 30_000);
      assert.equal(restored.id, before.id, 'the same upload, restored');
      assert.ok(restored.partsDone >= before.partsDone, `parts acknowledged before the reload are kept (${restored.partsDone} ≥ ${before.partsDone})`);
      await page.locator('cloud-chunk-uploader [part~="resume-notice"]').waitFor();

      await dropFile(page, big.path);
      const done = await waitForUpload(page, DONE, 120_000);
      assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
      assert.equal(done.id, before.id);
      assert.ok(done.history.some((entry) => entry.note?.startsWith('the file is back') === true), 'its history shows the file came back');
      const log = (await s3Log(stack.emulatorUrl)).filter((e) => e.route === 's3.CreateMultipartUpload');
      assert.equal(log.length, 1, 'one multipart upload, continued rather than started again');
      // Parts stored before the reload are listed (ListParts) and not sent again; at most the ones
      // in flight are. (A part stored as the page went away may be logged without its 200.)
      const stored = (await s3PartPuts(stack.emulatorUrl)).filter((e) => e.status === 200);
      assert.ok(stored.length <= done.partCount + LANES, `${stored.length} part PUTs stored for ${done.partCount} parts`);
      const downloaded = await downloadS3Object(stack.s3Url, E2E_S3.bucket, done.result?.key ?? '');
      assert.equal(downloaded.sha1, big.sha1);
      await page.close();
    } finally {
      await setFaults(stack.emulatorUrl, {});
    }
  });

  test('presigned part URLs that expire mid-upload are signed again and the object downloads byte-identical', async () => {
    // Storage holds each PUT before checking it, so PUTs signed before the expiry are in flight.
    await setFaults(stack.emulatorUrl, { routes: { 's3.UploadPart': { latencyMs: 1500 } } });
    try {
      const page = await s3Page();
      await clearLog(stack.emulatorUrl);
      await dropFile(page, big.path);
      await waitForUpload(page, 'u.partsDone >= 1', 60_000);
      await expirePresignedUrls(stack.emulatorUrl);
      const done = await waitForUpload(page, DONE, 120_000);
      assert.equal(done.status, 'done', `upload failed: ${JSON.stringify(done.error)}`);
      const puts = await s3PartPuts(stack.emulatorUrl);
      const expired = puts.filter((e) => e.status === 403);
      assert.ok(expired.length >= 1, `some PUTs met an expired URL (${JSON.stringify(puts.map((e) => e.status))})`);
      assert.equal(puts.filter((e) => e.status === 200).length, done.partCount, 'each part stored once');
      const downloaded = await downloadS3Object(stack.s3Url, E2E_S3.bucket, done.result?.key ?? '');
      assert.equal(downloaded.sha1, big.sha1);
      await page.close();
    } finally {
      await setFaults(stack.emulatorUrl, {});
    }
  });
});
