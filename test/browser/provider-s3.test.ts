// The S3 browser client against the real backend presigning URLs for the emulator's S3 listener
// (test/support/wtr-backend-plugin.mjs: 64 KiB minimum parts). Parts go from the browser
// straight to the emulator, which checks each signature and Content-MD5; stored objects are
// downloaded through the result's presigned downloadUrl and compared by SHA-1.
import { UploadError } from '../../src/core/index.js';
import type { PartReceipt, UpcomingPart, UploadSession } from '../../src/core/index.js';
import { createProviderClient, createS3Client, supportedProviders } from '../../src/providers/index.js';
import { assert, equal, uploadRejection as rejection } from '../support/browser-assert.js';
import { admin, randomFile, sha1Hex, storedSha1, testEnv as runnerEnv } from '../support/test-env.js';
import type { TestEnv } from '../support/test-env.js';
import { countingFetch } from '../support/counting-fetch.js';
import { partOf } from '../support/part-of.js';

const testEnv = (): Promise<TestEnv> => runnerEnv('s3');

async function hints(session: UploadSession, file: Blob, indexes: number[]): Promise<UpcomingPart[]> {
  return Promise.all(indexes.map(async (index) => ({ index, checksum: (await partOf(session, file, index)).checksum })));
}

const never = new AbortController().signal;
const noProgress = (): void => {};

describe('S3 provider client (presigned parts straight to storage)', () => {
  it('is in the registry under s3 and stores empty files', async () => {
    const env = await testEnv();
    assert(supportedProviders().includes('s3'), 's3 is supported');
    const client = createProviderClient('s3', { endpoint: env.backendUrl });
    equal([client.name, client.acceptsEmptyFiles], ['s3', true], 'client');
    const file = new File([], 'empty.txt');
    const session = await client.createSession({ provider: 's3', target: 'browser/empty', fileName: file.name, size: 0 }, never);
    equal(session.plan.partCount, 1, 'one empty part');
    const receipt = await client.sendPart(session, { ...(await partOf(session, file, 0)) }, noProgress, never);
    const result = await client.complete(session, { parts: [receipt] }, never);
    equal([result.size, result.key], [0, 'browser/empty/empty.txt'], 'empty object');
    equal(await storedSha1(result.downloadUrl), await sha1Hex(new ArrayBuffer(0)), 'SHA-1 of the empty object');
  });

  it('sends parts in parallel with their signed Content-MD5 and completes into an object with the same bytes', async () => {
    const env = await testEnv();
    const client = createS3Client({ endpoint: env.backendUrl });
    const file = randomFile('parallel ✓.bin', 4 * env.s3.partSize + 1000);
    const session = await client.createSession({ provider: 's3', target: '/browser/parallel/', fileName: file.name, size: file.size, mimeType: file.type }, never);
    equal([session.provider, session.transport, session.partChecksum], ['s3', 'direct', 'md5'], 'session');
    equal(session.plan, { partSize: env.s3.partSize, partCount: 5 }, 'plan');
    assert(session.traffic.maxConcurrency > 1, 'parallel parts allowed');
    equal([session.providerData?.['bucket'], session.providerData?.['key']], [env.s3.bucket, 'browser/parallel/parallel ✓.bin'], 'bucket and key');

    const parts = await Promise.all([0, 1, 2, 3, 4].map((index) => partOf(session, file, index)));
    const progress = new Map<number, number[]>();
    const receipts = await Promise.all(parts.map(({ md5Hex: _, ...part }) => {
      progress.set(part.index, []);
      return client.sendPart(session, part, (loaded) => progress.get(part.index)?.push(loaded), never);
    }));
    equal(receipts.map((r) => r.etag), parts.map((p) => `"${p.md5Hex}"`), 'ETags are the quoted part MD5s');
    for (const part of parts) equal(progress.get(part.index)?.at(-1), part.end - part.start, `last progress of part ${part.index}`);

    const result = await client.complete(session, { parts: receipts }, never);
    equal([result.provider, result.bucket, result.key, result.size], ['s3', env.s3.bucket, 'browser/parallel/parallel ✓.bin', file.size], 'result');
    assert(result.etag?.endsWith('-5"') === true, `a multipart ETag, got ${String(result.etag)}`);
    equal(await storedSha1(result.downloadUrl), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored object');
  });

  it('lets storage verify each part: bytes that do not match the signed Content-MD5 are a checksum mismatch', async () => {
    const env = await testEnv();
    const client = createS3Client({ endpoint: env.backendUrl });
    const file = randomFile('bad-digest.bin', 2 * env.s3.partSize);
    const session = await client.createSession({ provider: 's3', target: 'browser', fileName: file.name, size: file.size }, never);
    const first = await partOf(session, file, 0);
    const second = await partOf(session, file, 1);
    // Part 0's bytes under part 1's checksum: the URL signs the header, storage checks the body.
    const error = await rejection(client.sendPart(session, { index: 0, start: 0, end: first.end, body: first.body, checksum: second.checksum }, noProgress, never));
    equal([error.code, error.kind, error.providerCode, error.status], ['checksum-mismatch', 'checksum-mismatch', 'BadDigest', 400], 'error');
    // The re-hashed checksum gets a URL of its own and goes through.
    const receipt = await client.sendPart(session, { index: 0, start: 0, end: first.end, body: first.body, checksum: first.checksum }, noProgress, never);
    equal(receipt.etag, `"${first.md5Hex}"`, 'stored after the right checksum');
    await client.abort(session);
  });

  it('asks for part URLs in small batches just ahead of need and reuses them', async () => {
    const env = await testEnv();
    const counter = countingFetch();
    const client = createS3Client({ endpoint: env.backendUrl, fetch: counter.fetch });
    const file = randomFile('batches.bin', 10 * env.s3.partSize);
    const session = await client.createSession({ provider: 's3', target: 'browser/batches', fileName: file.name, size: file.size }, never);
    const batch = Math.min(Number(session.providerData?.['maxUrlsPerRequest']), session.traffic.maxConcurrency);
    equal(batch, 6, 'URLs per batch: one per part in flight');
    const receipts: PartReceipt[] = [];
    const send = async (index: number, upcoming: UpcomingPart[]): Promise<void> => {
      const { md5Hex: _, ...part } = await partOf(session, file, index);
      receipts.push(await client.sendPart(session, { ...part, upcoming }, noProgress, never));
    };
    // Part 0 names parts 1..8 as next; 7 and 8 have no checksum yet, so they cannot be signed.
    await send(0, [...(await hints(session, file, [1, 2, 3, 4, 5, 6])), { index: 7 }, { index: 8 }]);
    equal(counter.batches, [[0, 1, 2, 3, 4, 5]], 'the first batch: part 0 and the next five with checksums');
    for (const index of [1, 2, 3, 4, 5]) await send(index, await hints(session, file, [index + 5].filter((i) => i < 10)));
    equal(counter.batches.length, 1, 'parts 1..5 used the cached URLs');
    await send(6, await hints(session, file, [7, 8, 9]));
    equal(counter.batches, [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9]], 'the second batch');
    for (const index of [7, 8, 9]) await send(index, []);
    equal(counter.batches.length, 2, 'every URL was asked for once');
    const result = await client.complete(session, { parts: receipts.sort((a, b) => a.index - b.index) }, never);
    equal(await storedSha1(result.downloadUrl), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored object');
  });

  it('re-signs a part URL that storage refuses as expired and sends the part again', async () => {
    const env = await testEnv();
    const counter = countingFetch();
    const client = createS3Client({ endpoint: env.backendUrl, fetch: counter.fetch });
    const file = randomFile('expiry.bin', 3 * env.s3.partSize - 10);
    const session = await client.createSession({ provider: 's3', target: 'browser/expiry', fileName: file.name, size: file.size }, never);
    const parts = await Promise.all([0, 1, 2].map((index) => partOf(session, file, index)));
    const receipts = [await client.sendPart(session, { ...parts[0]!, upcoming: await hints(session, file, [1, 2]) }, noProgress, never)];
    equal(counter.batches, [[0, 1, 2]], 'parts 1 and 2 have cached URLs');
    // Every URL signed up to this second now reads "Request has expired" (docs/emulator.md).
    await admin(env, 'DELETE', 'log');
    const { notBefore } = (await admin(env, 'POST', 's3/expire-presigned')) as { notBefore: number };
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, notBefore - Date.now()) + 50));
    const progress: number[] = [];
    receipts.push(await client.sendPart(session, { ...parts[1]!, upcoming: [] }, (loaded) => progress.push(loaded), never));
    equal(counter.batches, [[0, 1, 2], [1]], 'a fresh URL for part 1 after the 403');
    equal(progress.at(-1), parts[1]!.end - parts[1]!.start, 'progress ends at the part length');
    const refused = ((await admin(env, 'GET', 'log?route=s3.UploadPart&limit=20')) as { entries: { status: number }[] }).entries.filter((e) => e.status === 403);
    assert(refused.length >= 1, 'storage refused the expired URL');
    // The other cached URL was signed as early: it is asked for again instead of being tried.
    receipts.push(await client.sendPart(session, { ...parts[2]!, upcoming: [] }, noProgress, never));
    equal(counter.batches, [[0, 1, 2], [1], [2]], 'part 2 got a fresh URL without a failed PUT');
    const result = await client.complete(session, { parts: receipts }, never);
    equal(await storedSha1(result.downloadUrl), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored object');
  });

  it('reports a URL refused again after re-signing as a retryable forbidden error', async () => {
    const env = await testEnv();
    const counter = countingFetch();
    const client = createS3Client({ endpoint: env.backendUrl, fetch: counter.fetch });
    const file = randomFile('denied.bin', 1000);
    const session = await client.createSession({ provider: 's3', target: 'browser', fileName: file.name, size: file.size }, never);
    const { md5Hex: _, ...part } = await partOf(session, file, 0);
    await admin(env, 'PUT', 'faults', { routes: { 's3.UploadPart': { failNext: 2, errorCode: 'AccessDenied' } } });
    try {
      const error = await rejection(client.sendPart(session, part, noProgress, never));
      equal([error.code, error.kind, error.providerCode, error.status], ['forbidden', 'retry', 'AccessDenied', 403], 'error');
      equal(counter.batches, [[0], [0]], 'signed, then signed once more');
    } finally {
      await admin(env, 'PUT', 'faults', {});
    }
    const receipt = await client.sendPart(session, part, noProgress, never);
    assert(receipt.etag !== undefined, 'the next attempt goes through');
    await client.abort(session);
  });

  it('diagnoses ETags hidden by bucket CORS as etag-hidden and recovers them through ListParts', async () => {
    const env = await testEnv();
    const diagnostics: UploadError[] = [];
    const client = createS3Client({ endpoint: env.backendUrl, onDiagnostic: (d) => diagnostics.push(d) });
    const file = randomFile('hidden-etag.bin', 2 * env.s3.partSize + 7);
    await admin(env, 'PUT', 's3/cors', { exposeEtag: false });
    try {
      const session = await client.createSession({ provider: 's3', target: 'browser/cors', fileName: file.name, size: file.size }, never);
      const receipts = await Promise.all([0, 1, 2].map(async (index) => {
        const { md5Hex: _, ...part } = await partOf(session, file, index);
        return client.sendPart(session, part, noProgress, never);
      }));
      equal(receipts.map((r) => r.etag), [undefined, undefined, undefined], 'the browser could not read the ETags');
      equal(diagnostics.map((d) => d.code), ['etag-hidden'], 'one diagnostic for the session');
      assert(diagnostics[0]?.message.includes('ExposeHeaders') === true, 'the diagnostic says how to fix the bucket');
      const result = await client.complete(session, { parts: receipts }, never);
      assert(result.etag?.endsWith('-3"') === true, `completed with the listed ETags, got ${String(result.etag)}`);
      equal(await storedSha1(result.downloadUrl), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored object');

      // A part that storage does not hold cannot be recovered: complete says why.
      const other = await client.createSession({ provider: 's3', target: 'browser/cors', fileName: 'missing.bin', size: file.size }, never);
      const { md5Hex: _, ...part0 } = await partOf(other, file, 0);
      const sent = await client.sendPart(other, part0, noProgress, never);
      const error = await rejection(client.complete(other, { parts: [sent, { index: 1 }, { index: 2 }] }, never));
      equal([error.code, error.kind], ['etag-hidden', 'fatal'], 'unrecoverable');
      assert(error.message.includes('1, 2'), `names the parts: ${error.message}`);
      await client.abort(other);
    } finally {
      await admin(env, 'PUT', 's3/cors', { exposeEtag: true });
    }
  });

  it('lists the parts storage holds to reconcile receipts, and turns a vanished upload into session-expired', async () => {
    const env = await testEnv();
    const client = createS3Client({ endpoint: env.backendUrl });
    assert(client.listParts !== undefined, 'S3 can list parts');
    const file = randomFile('reconcile.bin', 3 * env.s3.partSize + 1);
    const session = await client.createSession({ provider: 's3', target: 'browser/resume', fileName: file.name, size: file.size }, never);
    const sent = new Map<number, PartReceipt>();
    for (const index of [0, 2]) {
      const { md5Hex: _, ...part } = await partOf(session, file, index);
      sent.set(index, await client.sendPart(session, part, noProgress, never));
    }
    const listed = await client.listParts(session, never);
    equal(listed.map((p) => [p.index, p.etag]), [0, 2].map((i) => [i, sent.get(i)?.etag]), 'listed parts and their ETags');
    for (const index of [1, 3]) {
      const { md5Hex: _, ...part } = await partOf(session, file, index);
      sent.set(index, await client.sendPart(session, part, noProgress, never));
    }
    const result = await client.complete(session, { parts: [...listed, sent.get(1)!, sent.get(3)!].sort((a, b) => a.index - b.index) }, never);
    equal(await storedSha1(result.downloadUrl), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored object');

    // A lifecycle rule (here the emulator's admin route) aborts an open upload: start anew.
    const gone = await client.createSession({ provider: 's3', target: 'browser/resume', fileName: 'gone.bin', size: 10 }, never);
    await admin(env, 'POST', 's3/expire-uploads');
    const error = await rejection(client.listParts(gone, never));
    equal([error.kind, error.providerCode], ['session-expired', 'NoSuchUpload'], 'list parts of an aborted upload');
    const tiny = new File([new Uint8Array(10)], 'gone.bin');
    const { md5Hex: _, ...part } = await partOf(gone, tiny, 0);
    const putError = await rejection(client.sendPart(gone, part, noProgress, never));
    equal([putError.kind, putError.providerCode, putError.status], ['session-expired', 'NoSuchUpload', 404], 'a part for an aborted upload');
  });
});
