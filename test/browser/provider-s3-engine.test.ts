// The whole browser side with S3: UploadEngine + HashPool (real workers computing each part's
// Content-MD5) + the S3 client, against the backend presigning URLs for the emulator's S3
// listener (test/support/wtr-backend-plugin.mjs). Stored objects are compared by SHA-1.
import type { UploadSnapshot, UploadStatus } from '../../src/core/index.js';
import { UploadEngine } from '../../src/engine/index.js';
import { HashPool } from '../../src/hashing/index.js';
import { createS3Client } from '../../src/providers/index.js';
import { assert, equal } from '../support/browser-assert.js';
import { admin, randomFile, sha1Hex, storedSha1, testEnv as runnerEnv } from '../support/test-env.js';
import type { TestEnv } from '../support/test-env.js';
import { countingFetch } from '../support/counting-fetch.js';
import { waitForUpload } from '../support/wait-for-upload.js';

const testEnv = (): Promise<TestEnv> => runnerEnv('s3');
const waitFor = (engine: UploadEngine, id: string, statuses: UploadStatus[], timeoutMs = 25_000): Promise<UploadSnapshot> => waitForUpload(engine, id, statuses, timeoutMs);

describe('UploadEngine + HashPool + S3 client against the backend and the S3 emulator', () => {
  let engine: UploadEngine | undefined;
  let pool: HashPool | undefined;

  afterEach(() => {
    engine?.dispose();
    pool?.dispose();
    engine = undefined;
    pool = undefined;
  });

  it('uploads 20 parts six at a time, each URL asked for once in batches of at most six', async () => {
    const env = await testEnv();
    const counter = countingFetch();
    pool = new HashPool();
    engine = new UploadEngine({ provider: createS3Client({ endpoint: env.backendUrl, fetch: counter.fetch }), hasher: pool, target: 'browser/engine', concurrency: 6 });
    const file = randomFile('engine.bin', 20 * env.s3.partSize - 123);
    const [added] = engine.add([file]);
    assert(added !== undefined, 'added');
    const done = await waitFor(engine, added.id, ['done', 'failed']);
    equal(done.status, 'done', `status (error: ${JSON.stringify(done.error)})`);
    equal([done.partsDone, done.partCount], [20, 20], 'parts');
    equal(done.counters.bytesSent, file.size, 'bytes sent once each');
    equal(done.counters.bytesHashed, file.size, 'bytes hashed once each (MD5 in the pool)');
    equal(counter.batches.flat().sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i), 'each part URL asked for exactly once');
    assert(counter.batches.every((b) => b.length <= 6), `batches of at most six: ${JSON.stringify(counter.batches)}`);
    assert(counter.batches.length < 20, `fewer requests than parts: ${JSON.stringify(counter.batches)}`);
    equal([done.result?.bucket, done.result?.key], [env.s3.bucket, 'browser/engine/engine.bin'], 'result bucket and key');
    assert(done.result?.etag?.endsWith('-20"') === true, 'result etag');
    equal(await storedSha1(done.result?.downloadUrl), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored object');
  });

  it('sends each part with its x-amz-checksum-crc32 when the backend asks for CRC-32, and completes with them', async () => {
    const env = await testEnv();
    const counter = countingFetch();
    const client = createS3Client({ endpoint: env.s3.crc32BackendUrl, fetch: counter.fetch });
    pool = new HashPool();
    engine = new UploadEngine({ provider: client, hasher: pool, target: 'browser/crc32', concurrency: 4 });
    const file = randomFile('crc32.bin', 6 * env.s3.partSize + 99);
    const [added] = engine.add([file]);
    assert(added !== undefined, 'added');
    const done = await waitFor(engine, added.id, ['done', 'failed']);
    equal(done.status, 'done', `status (error: ${JSON.stringify(done.error)})`);
    equal(counter.batches.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6], 'each part URL asked for once');
    assert(done.result?.etag?.endsWith('-7"') === true, 'result etag');
    // Storage kept the composite CRC-32 it built from the checksum sent with each part.
    const { objects } = (await admin(env, 'GET', 's3/objects')) as { objects: { key: string; checksum?: unknown }[] };
    const stored = objects.find((o) => o.key === 'browser/crc32/crc32.bin');
    assert(stored?.checksum !== undefined, `the object has a CRC-32 checksum: ${JSON.stringify(stored)}`);
    equal(await storedSha1(done.result?.downloadUrl), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored object');
  });
});
