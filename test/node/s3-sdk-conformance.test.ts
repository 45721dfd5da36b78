// The official @aws-sdk/client-s3, unchanged, pointed at the S3 emulator (endpoint,
// forcePathStyle, credentials, region): it must run multipart uploads and downloads with its
// default checksums (CRC32 headers for buffers, aws-chunked bodies with checksum trailers for
// streams) and verify the response checksums. If the SDK sends something the emulator
// rejects, the emulator is wrong (task brief).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { s3Fixture, TEST_BUCKET, TEST_CREDENTIALS, TEST_MIN_PART_SIZE, TEST_REGION } from '../support/s3-fixture.js';

// The SDK warns once per process that it will need Node 22 from 2027; tests log nothing.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

function sdk(t: TestContext, endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string } = TEST_CREDENTIALS): S3Client {
  const client = new S3Client({ endpoint, forcePathStyle: true, region: TEST_REGION, credentials });
  t.after(() => client.destroy());
  return client;
}

function md5(bytes: Buffer): Buffer {
  return createHash('md5').update(bytes).digest();
}

async function getBytes(client: S3Client, key: string): Promise<{ bytes: Buffer; etag: string | undefined; checksum: string | undefined }> {
  const got = await client.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
  const bytes = Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  return { bytes, etag: got.ETag, checksum: got.ChecksumCRC32 };
}

void test('runs CreateMultipartUpload, UploadPart (buffers and an aws-chunked stream), CompleteMultipartUpload and GetObject unchanged', async (t) => {
  const { emulator } = await s3Fixture(t);
  const client = sdk(t, emulator.s3Url);
  const key = 'sdk dir/übung (1).bin';
  const file = randomBytes(3 * TEST_MIN_PART_SIZE + 777);
  const parts = [0, 1, 2, 3].map((i) => file.subarray(i * TEST_MIN_PART_SIZE, (i + 1) * TEST_MIN_PART_SIZE));

  const created = await client.send(new CreateMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: key, ContentType: 'application/x-test' }));
  assert.equal(created.Bucket, TEST_BUCKET);
  assert.equal(created.Key, key);
  const uploadId = created.UploadId ?? '';
  assert.ok(uploadId.length > 20);

  const etags: string[] = [];
  for (const [i, body] of parts.entries()) {
    // Part 3 goes as a stream: the SDK then sends aws-chunked with an x-amz-checksum-crc32 trailer.
    const stream = i === 2;
    const sent = await client.send(new UploadPartCommand({
      Bucket: TEST_BUCKET, Key: key, UploadId: uploadId, PartNumber: i + 1,
      Body: stream ? Readable.from([body.subarray(0, 1000), body.subarray(1000)]) : body,
      ...(stream && { ContentLength: body.length }),
    }));
    assert.equal(sent.ETag, `"${md5(body).toString('hex')}"`);
    assert.ok(sent.ChecksumCRC32, 'the emulator echoes the verified CRC32');
    etags.push(sent.ETag ?? '');
  }
  const log = emulator.log.filter('s3.UploadPart');
  assert.deepEqual(log.map((e) => e.status), [200, 200, 200, 200]);
  assert.ok(log[2] && log[2].bytesIn > parts[2]!.length, 'the streamed part arrived aws-chunked (framing bytes on top)');

  const done = await client.send(new CompleteMultipartUploadCommand({
    Bucket: TEST_BUCKET, Key: key, UploadId: uploadId,
    MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
  }));
  const expectedEtag = `"${createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex')}-4"`;
  assert.equal(done.ETag, expectedEtag);
  assert.equal(done.Key, key);

  const got = await getBytes(client, key);
  assert.ok(got.bytes.equals(file), 'downloaded bytes equal the original');
  assert.equal(got.etag, expectedEtag);
  const head = await client.send(new HeadObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
  assert.equal(head.ContentLength, file.length);
  assert.equal(head.ContentType, 'application/x-test');
  assert.equal(head.ETag, expectedEtag);
});

void test('lists parts page by page with MaxParts and PartNumberMarker', async (t) => {
  const { emulator } = await s3Fixture(t);
  const client = sdk(t, emulator.s3Url);
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: 'paged.bin' }));
  for (const n of [5, 1, 3, 2, 4]) {
    await client.send(new UploadPartCommand({ Bucket: TEST_BUCKET, Key: 'paged.bin', UploadId, PartNumber: n, Body: randomBytes(100 + n) }));
  }
  const seen: number[] = [];
  let marker: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await client.send(new ListPartsCommand({ Bucket: TEST_BUCKET, Key: 'paged.bin', UploadId, MaxParts: 2, ...(marker !== undefined && { PartNumberMarker: marker }) }));
    pages++;
    for (const part of page.Parts ?? []) {
      seen.push(part.PartNumber ?? 0);
      assert.equal(part.Size, 100 + (part.PartNumber ?? 0));
    }
    if (!page.IsTruncated) break;
    marker = page.NextPartNumberMarker;
  }
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  assert.equal(pages, 3);
});

void test('stores PutObject bodies (buffer and stream) with default CRC32 checksums and verifies them on GetObject', async (t) => {
  const { emulator } = await s3Fixture(t);
  const client = sdk(t, emulator.s3Url);
  const small = randomBytes(4321);
  const put = await client.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: 'put/buffer.bin', Body: small }));
  assert.equal(put.ETag, `"${md5(small).toString('hex')}"`);
  const got = await getBytes(client, 'put/buffer.bin');
  assert.ok(got.bytes.equals(small));
  assert.equal(got.checksum, put.ChecksumCRC32, 'GetObject returns the stored CRC32, which the SDK validated');

  const streamed = randomBytes(100_000);
  await client.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: 'put/stream.bin', Body: Readable.from([streamed.subarray(0, 60_000), streamed.subarray(60_000)]), ContentLength: streamed.length }));
  assert.ok((await getBytes(client, 'put/stream.bin')).bytes.equals(streamed));
  assert.ok(emulator.log.filter('s3.PutObject').every((e) => e.status === 200));
});

void test('keeps a CRC32 multipart upload end to end: per-part checksums at Complete, a composite object checksum', async (t) => {
  const { emulator } = await s3Fixture(t);
  const client = sdk(t, emulator.s3Url);
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: 'crc.bin', ChecksumAlgorithm: 'CRC32' }));
  const parts = [randomBytes(TEST_MIN_PART_SIZE), randomBytes(10)];
  const done: { PartNumber: number; ETag: string; ChecksumCRC32: string }[] = [];
  for (const [i, Body] of parts.entries()) {
    const sent = await client.send(new UploadPartCommand({ Bucket: TEST_BUCKET, Key: 'crc.bin', UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: 'CRC32' }));
    done.push({ PartNumber: i + 1, ETag: sent.ETag ?? '', ChecksumCRC32: sent.ChecksumCRC32 ?? '' });
  }
  const completed = await client.send(new CompleteMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: 'crc.bin', UploadId, MultipartUpload: { Parts: done } }));
  assert.match(completed.ChecksumCRC32 ?? '', /^[A-Za-z0-9+/]{6}==-2$/);
  const got = await getBytes(client, 'crc.bin');
  assert.ok(got.bytes.equals(Buffer.concat(parts)));
  assert.equal(got.checksum, completed.ChecksumCRC32);
});

void test('surfaces S3 errors as the SDK\'s typed exceptions: NoSuchUpload after abort, SignatureDoesNotMatch for a wrong secret', async (t) => {
  const { emulator } = await s3Fixture(t);
  const client = sdk(t, emulator.s3Url);
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: 'gone.bin' }));
  await client.send(new AbortMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: 'gone.bin', UploadId }));
  await assert.rejects(
    client.send(new UploadPartCommand({ Bucket: TEST_BUCKET, Key: 'gone.bin', UploadId, PartNumber: 1, Body: Buffer.from('x') })),
    (error: unknown) => error instanceof S3ServiceException && error.name === 'NoSuchUpload' && error.$metadata.httpStatusCode === 404,
  );
  const wrong = sdk(t, emulator.s3Url, { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' });
  await assert.rejects(
    wrong.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: 'x.bin', Body: 'x' })),
    (error: unknown) => error instanceof S3ServiceException && error.name === 'SignatureDoesNotMatch' && error.$metadata.httpStatusCode === 403,
  );
  assert.equal(emulator.s3.objects().length, 0);
});

void test('lets the SDK retry injected 503 SlowDown and a Complete that failed inside an HTTP 200', async (t) => {
  const { emulator } = await s3Fixture(t);
  const client = sdk(t, emulator.s3Url);
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: 'retry.bin' }));
  emulator.faults.set({ routes: { 's3.UploadPart': { failNext: 1, errorCode: 'SlowDown' }, 's3.CompleteMultipartUpload': { failNext: 1, errorCode: '200:InternalError' } } });
  const body = randomBytes(2000);
  const sent = await client.send(new UploadPartCommand({ Bucket: TEST_BUCKET, Key: 'retry.bin', UploadId, PartNumber: 1, Body: body }));
  await client.send(new CompleteMultipartUploadCommand({ Bucket: TEST_BUCKET, Key: 'retry.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: sent.ETag ?? '' }] } }));
  assert.deepEqual(emulator.log.filter('s3.UploadPart').map((e) => [e.status, e.code]), [[503, 'SlowDown'], [200, 'OK']]);
  assert.deepEqual(emulator.log.filter('s3.CompleteMultipartUpload').map((e) => [e.status, e.code]), [[200, 'InternalError'], [200, 'OK']]);
  assert.ok((await getBytes(client, 'retry.bin')).bytes.equals(body));
});
