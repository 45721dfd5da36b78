// The S3 emulator's multipart API, objects, checksums, aws-chunked bodies, CORS, faults,
// persistence and admin routes, driven by raw signed requests (cloud-apis.md §4, §6, §7).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { createS3ChecksumHasher, emulatorOptionsFromEnv, startEmulator, type S3ChecksumAlgorithm } from '../../src/emulator/index.js';
import { md5Base64, s3Fixture, S3RawClient, sha256Hex, TEST_BUCKET, TEST_MIN_PART_SIZE } from '../support/s3-fixture.js';
import { specPattern } from '../../src/engine/testing/spec-pattern.js';

function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

function crc32Base64(bytes: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(bytes));
  return out.toString('base64');
}

void describe('checksum algorithms', () => {
  void it('match their published check values for "123456789"', () => {
    const check = (algorithm: S3ChecksumAlgorithm): string => {
      const hasher = createS3ChecksumHasher(algorithm);
      hasher.update(Buffer.from('1234'));
      hasher.update(Buffer.from('56789'));
      return hasher.digest().toString('hex');
    };
    assert.equal(check('crc32'), 'cbf43926');
    assert.equal(check('crc32c'), 'e3069283');
    assert.equal(check('crc64nvme'), 'ae8b14860a799888');
    assert.equal(check('sha1'), createHash('sha1').update('123456789').digest('hex'));
    assert.equal(check('sha256'), sha256Hex('123456789'));
  });
});

void describe('multipart upload', () => {
  void it('stores out-of-order and re-sent parts, assembles them by number, and names the object md5(md5s)-N', async (t) => {
    const { client, emulator } = await s3Fixture(t);
    const file = randomBytes(2 * TEST_MIN_PART_SIZE + 999);
    const parts = [0, 1, 2].map((i) => file.subarray(i * TEST_MIN_PART_SIZE, (i + 1) * TEST_MIN_PART_SIZE));
    const uploadId = await client.createUpload('dir/a b+c.bin', { 'content-type': 'text/plain', 'x-amz-meta-owner': 'test' });
    const etags = new Map<number, string>();
    assert.equal((await client.uploadPart('dir/a b+c.bin', uploadId, 2, randomBytes(TEST_MIN_PART_SIZE))).status, 200, 'a first version of part 2');
    for (const n of [3, 1, 2]) {
      const res = await client.uploadPart('dir/a b+c.bin', uploadId, n, parts[n - 1]!);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['etag'], `"${md5Hex(parts[n - 1]!)}"`, 'part ETag = quoted MD5 hex');
      etags.set(n, String(res.headers['etag']));
    }
    const done = await client.complete('dir/a b+c.bin', uploadId, [1, 2, 3].map((n) => ({ partNumber: n, etag: etags.get(n) ?? '' })));
    assert.equal(done.status, 200, done.text);
    const expected = `"${createHash('md5').update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()))).digest('hex')}-3"`;
    assert.equal(done.xml('ETag'), expected);
    assert.equal(done.xml('Key'), 'dir/a b+c.bin');
    assert.match(done.xml('Location') ?? '', /\/ccu-test\/dir\/a%20b%2Bc\.bin$/);
    const got = await client.get('dir/a b+c.bin');
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(file), 'downloaded bytes equal the original');
    assert.equal(got.headers['etag'], expected);
    assert.equal(got.headers['content-type'], 'text/plain');
    assert.equal(got.headers['x-amz-meta-owner'], 'test');
    assert.equal(got.headers['x-amz-mp-parts-count'], '3');
    // The upload is gone once completed (§4.1).
    assert.equal((await client.listParts('dir/a b+c.bin', uploadId)).code, 'NoSuchUpload');
    assert.equal(emulator.s3.uploads().length, 0);
  });

  void it('gives part 1 of the spec test file the ETag of spec §6', async (t) => {
    const { client } = await s3Fixture(t);
    const file = Buffer.from(specPattern().buffer);
    const uploadId = await client.createUpload('t.bin');
    const res = await client.uploadPart('t.bin', uploadId, 1, file.subarray(0, 1048576));
    assert.equal(res.headers['etag'], '"d8a469bb35fb5fad7156842ba2242434"');
  });

  void it('completes with a subset of the parts, in ascending order, and drops the others', async (t) => {
    const { client } = await s3Fixture(t);
    const uploadId = await client.createUpload('subset.bin');
    const bodies = [randomBytes(TEST_MIN_PART_SIZE), randomBytes(TEST_MIN_PART_SIZE), randomBytes(10)];
    const etags: string[] = [];
    for (const [i, body] of bodies.entries()) etags.push(String((await client.uploadPart('subset.bin', uploadId, i + 1, body)).headers['etag']));
    const done = await client.complete('subset.bin', uploadId, [{ partNumber: 1, etag: etags[0]! }, { partNumber: 3, etag: etags[2]! }]);
    assert.equal(done.status, 200);
    assert.ok((await client.get('subset.bin')).body.equals(Buffer.concat([bodies[0]!, bodies[2]!])));
  });

  void it('refuses Complete with parts out of order, unknown parts, wrong ETags, small middle parts and malformed XML', async (t) => {
    const { client } = await s3Fixture(t);
    const uploadId = await client.createUpload('bad.bin');
    const small = randomBytes(TEST_MIN_PART_SIZE - 1);
    const big = randomBytes(TEST_MIN_PART_SIZE);
    const e1 = String((await client.uploadPart('bad.bin', uploadId, 1, small)).headers['etag']);
    const e2 = String((await client.uploadPart('bad.bin', uploadId, 2, big)).headers['etag']);
    const order = await client.complete('bad.bin', uploadId, [{ partNumber: 2, etag: e2 }, { partNumber: 1, etag: e1 }]);
    assert.deepEqual([order.status, order.code], [400, 'InvalidPartOrder']);
    const unknown = await client.complete('bad.bin', uploadId, [{ partNumber: 1, etag: e1 }, { partNumber: 7, etag: e2 }]);
    assert.deepEqual([unknown.status, unknown.code, unknown.xml('PartNumber')], [400, 'InvalidPart', '7']);
    const wrongTag = await client.complete('bad.bin', uploadId, [{ partNumber: 2, etag: e1 }]);
    assert.equal(wrongTag.code, 'InvalidPart');
    const tooSmall = await client.complete('bad.bin', uploadId, [{ partNumber: 1, etag: e1 }, { partNumber: 2, etag: e2 }]);
    assert.deepEqual([tooSmall.status, tooSmall.code, tooSmall.xml('MinSizeAllowed'), tooSmall.xml('ProposedSize')], [400, 'EntityTooSmall', String(TEST_MIN_PART_SIZE), String(small.length)]);
    for (const xml of ['not xml', '<CompleteMultipartUpload></CompleteMultipartUpload>', '<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>', '<!DOCTYPE x [<!ENTITY a "b">]><CompleteMultipartUpload/>']) {
      const res = await client.send('POST', client.url('bad.bin', `?uploadId=${uploadId}`), { body: Buffer.from(xml) });
      assert.deepEqual([res.status, res.code], [400, 'MalformedXML'], xml);
    }
    // Only the last part may be small: the same parts with the small one last complete fine.
    const ok = await client.complete('bad.bin', uploadId, [{ partNumber: 2, etag: e2.replace(/"/g, '') }]);
    assert.equal(ok.status, 200, 'ETags match with or without quotes');
  });

  void it('answers NoSuchUpload for an unknown, aborted or completed upload id, on every upload operation', async (t) => {
    const { client } = await s3Fixture(t);
    const part = randomBytes(100);
    for (const id of ['no-such-upload-id']) {
      assert.equal((await client.uploadPart('x.bin', id, 1, part)).code, 'NoSuchUpload');
      assert.equal((await client.listParts('x.bin', id)).code, 'NoSuchUpload');
      assert.equal((await client.complete('x.bin', id, [{ partNumber: 1, etag: 'x' }])).code, 'NoSuchUpload');
      const abort = await client.send('DELETE', client.url('x.bin', `?uploadId=${id}`));
      assert.deepEqual([abort.status, abort.code], [404, 'NoSuchUpload']);
    }
    const aborted = await client.createUpload('x.bin');
    await client.uploadPart('x.bin', aborted, 1, part);
    assert.equal((await client.send('DELETE', client.url('x.bin', `?uploadId=${aborted}`))).status, 204);
    assert.equal((await client.uploadPart('x.bin', aborted, 2, part)).code, 'NoSuchUpload');
    const other = await client.createUpload('x.bin');
    assert.equal((await client.uploadPart('y.bin', other, 1, part)).code, 'NoSuchUpload', 'an upload id belongs to its key');
  });

  void it('accepts part numbers 1 and 10000 only within range, with InvalidArgument outside', async (t) => {
    const { client } = await s3Fixture(t);
    const uploadId = await client.createUpload('n.bin');
    for (const n of [1, 10000]) assert.equal((await client.uploadPart('n.bin', uploadId, n, Buffer.from('x'))).status, 200);
    for (const n of ['0', '10001', 'abc', '-1']) {
      const res = await client.send('PUT', client.url('n.bin', `?partNumber=${n}&uploadId=${uploadId}`), { body: Buffer.from('x') });
      assert.deepEqual([res.status, res.code, res.xml('ArgumentName')], [400, 'InvalidArgument', 'partNumber'], n);
    }
  });

  void it('refuses a part beyond the maximum part size from its declared length', async (t) => {
    const { client, emulator } = await s3Fixture(t, { maxPartSize: 1000 });
    const uploadId = await client.createUpload('big.bin');
    const res = await client.uploadPart('big.bin', uploadId, 1, randomBytes(1001));
    assert.deepEqual([res.status, res.code], [400, 'EntityTooLarge']);
    assert.equal(emulator.s3.uploads()[0]?.parts['1'], undefined);
  });

  void it('lists parts in pages: max-parts, part-number-marker, IsTruncated and NextPartNumberMarker', async (t) => {
    const { client } = await s3Fixture(t);
    const uploadId = await client.createUpload('l.bin');
    for (const n of [4, 2, 9, 1, 7]) await client.uploadPart('l.bin', uploadId, n, randomBytes(n));
    const first = await client.listParts('l.bin', uploadId, '&max-parts=2');
    assert.deepEqual(first.xmlAll('PartNumber'), ['1', '2']);
    assert.deepEqual([first.xml('IsTruncated'), first.xml('NextPartNumberMarker'), first.xml('MaxParts')], ['true', '2', '2']);
    assert.deepEqual(first.xmlAll('Size'), ['1', '2']);
    const second = await client.listParts('l.bin', uploadId, '&max-parts=2&part-number-marker=2');
    assert.deepEqual(second.xmlAll('PartNumber'), ['4', '7']);
    const last = await client.listParts('l.bin', uploadId, '&max-parts=2&part-number-marker=7');
    assert.deepEqual([last.xmlAll('PartNumber'), last.xml('IsTruncated'), last.xml('NextPartNumberMarker')], [['9'], 'false', '9']);
    const capped = await client.listParts('l.bin', uploadId, '&max-parts=5000');
    assert.deepEqual([capped.xml('MaxParts'), capped.xmlAll('PartNumber').length], ['1000', 5]);
    assert.equal((await client.listParts('l.bin', uploadId, '&max-parts=-1')).code, 'InvalidArgument');
  });

  void it('pages through more than 1000 parts (max-parts ≤ 1000)', async (t) => {
    const { client } = await s3Fixture(t);
    const uploadId = await client.createUpload('many.bin');
    // 20 at a time: parts may arrive in any order and concurrently (§4.1).
    for (let start = 1; start <= 1003; start += 20) {
      const numbers = Array.from({ length: Math.min(20, 1004 - start) }, (_, i) => start + i);
      const responses = await Promise.all(numbers.map((n) => client.uploadPart('many.bin', uploadId, n, Buffer.from([n & 0xff]))));
      assert.ok(responses.every((r) => r.status === 200));
    }
    const first = await client.listParts('many.bin', uploadId);
    assert.deepEqual([first.xmlAll('PartNumber').length, first.xml('IsTruncated'), first.xml('NextPartNumberMarker')], [1000, 'true', '1000']);
    const rest = await client.listParts('many.bin', uploadId, '&part-number-marker=1000');
    assert.deepEqual(rest.xmlAll('PartNumber'), ['1001', '1002', '1003']);
  });
});

void describe('part checksums', () => {
  void it('verifies Content-MD5: a match stores the part, a mismatch is BadDigest, a malformed value InvalidDigest', async (t) => {
    const { client } = await s3Fixture(t);
    const uploadId = await client.createUpload('m.bin');
    const body = randomBytes(2048);
    assert.equal((await client.uploadPart('m.bin', uploadId, 1, body, { 'content-md5': md5Base64(body) })).status, 200);
    const bad = await client.uploadPart('m.bin', uploadId, 2, body, { 'content-md5': md5Base64(randomBytes(1)) });
    assert.deepEqual([bad.status, bad.code], [400, 'BadDigest']);
    assert.equal((await client.uploadPart('m.bin', uploadId, 3, body, { 'content-md5': 'abc' })).code, 'InvalidDigest');
    const parts = (await client.listParts('m.bin', uploadId)).xmlAll('PartNumber');
    assert.deepEqual(parts, ['1'], 'refused parts are not stored');
  });

  void it('verifies x-amz-checksum-* headers (CRC32, CRC32C, SHA-256) and refuses bad, malformed, double or orphan ones', async (t) => {
    const { client } = await s3Fixture(t);
    const body = randomBytes(3000);
    const crc32c = createS3ChecksumHasher('crc32c');
    crc32c.update(body);
    const sha256 = createHash('sha256').update(body).digest('base64');
    const put = (headers: Record<string, string>) => client.send('PUT', client.url('ck.bin'), { body, headers });
    const ok = await put({ 'x-amz-checksum-crc32': crc32Base64(body), 'x-amz-sdk-checksum-algorithm': 'CRC32' });
    assert.deepEqual([ok.status, ok.headers['x-amz-checksum-crc32']], [200, crc32Base64(body)]);
    assert.equal((await put({ 'x-amz-checksum-crc32c': crc32c.digestBase64() })).status, 200);
    assert.equal((await put({ 'x-amz-checksum-sha256': sha256 })).status, 200);
    const wrong = await put({ 'x-amz-checksum-crc32': crc32Base64(Buffer.from('other')) });
    assert.deepEqual([wrong.status, wrong.code, wrong.xml('Message')], [400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.']);
    assert.equal((await put({ 'x-amz-checksum-crc32': 'not-base64!' })).code, 'InvalidRequest');
    assert.equal((await put({ 'x-amz-checksum-crc32': crc32Base64(body), 'x-amz-checksum-sha256': sha256 })).code, 'InvalidRequest');
    assert.equal((await put({ 'x-amz-sdk-checksum-algorithm': 'CRC32' })).code, 'InvalidRequest');
    assert.equal((await put({ 'x-amz-sdk-checksum-algorithm': 'CRC32C', 'x-amz-checksum-crc32': crc32Base64(body) })).code, 'InvalidRequest');
  });

  void it('holds every part of an upload created with x-amz-checksum-algorithm to that checksum, also at Complete', async (t) => {
    const { client } = await s3Fixture(t);
    const uploadId = await client.createUpload('alg.bin', { 'x-amz-checksum-algorithm': 'CRC32' });
    const body = randomBytes(500);
    assert.equal((await client.uploadPart('alg.bin', uploadId, 1, body)).code, 'InvalidRequest', 'a part without the checksum');
    const sha = createHash('sha256').update(body).digest('base64');
    assert.equal((await client.uploadPart('alg.bin', uploadId, 1, body, { 'x-amz-checksum-sha256': sha })).code, 'InvalidRequest', 'another algorithm');
    const ok = await client.uploadPart('alg.bin', uploadId, 1, body, { 'x-amz-checksum-crc32': crc32Base64(body) });
    assert.equal(ok.status, 200);
    const listed = await client.listParts('alg.bin', uploadId);
    assert.equal(listed.xml('ChecksumCRC32'), crc32Base64(body));
    const etag = String(ok.headers['etag']);
    assert.equal((await client.complete('alg.bin', uploadId, [{ partNumber: 1, etag }])).code, 'InvalidRequest', 'Complete without the part checksum');
    const wrong = await client.complete('alg.bin', uploadId, [{ partNumber: 1, etag, extra: `<ChecksumCRC32>${crc32Base64(Buffer.from('x'))}</ChecksumCRC32>` }]);
    assert.equal(wrong.code, 'InvalidPart');
    const done = await client.complete('alg.bin', uploadId, [{ partNumber: 1, etag, extra: `<ChecksumCRC32>${crc32Base64(body)}</ChecksumCRC32>` }]);
    assert.equal(done.status, 200);
    assert.match(done.xml('ChecksumCRC32') ?? '', /-1$/);
  });
});

/** An aws-chunked body as the AWS SDK frames it: chunks, then `0`, trailers and an empty line. */
function awsChunked(chunks: Buffer[], trailers: Record<string, string>): Buffer {
  const out: Buffer[] = [];
  for (const chunk of chunks) out.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  out.push(Buffer.from(`0\r\n${Object.entries(trailers).map(([k, v]) => `${k}:${v}\r\n`).join('')}\r\n`));
  return Buffer.concat(out);
}

void describe('aws-chunked bodies with checksum trailers (STREAMING-UNSIGNED-PAYLOAD-TRAILER)', () => {
  function chunkedHeaders(client: S3RawClient, url: URL, decodedLength: number, extra: Record<string, string> = {}): Record<string, string> {
    return client.signer.sign({
      method: 'PUT', url, now: Date.now(),
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(decodedLength), 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-sdk-checksum-algorithm': 'CRC32', ...extra },
    }, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  }

  void it('decodes the chunks, checks the trailer CRC32 and stores exactly the payload, over chunked transfer', async (t) => {
    const { client, emulator } = await s3Fixture(t);
    const data = randomBytes(70_000);
    const uploadId = await client.createUpload('chunked.bin');
    const url = client.url('chunked.bin', `?partNumber=1&uploadId=${uploadId}`);
    const body = awsChunked([data.subarray(0, 65_536), data.subarray(65_536)], { 'x-amz-checksum-crc32': crc32Base64(data) });
    // Sent in odd slices so frame boundaries fall inside network chunks.
    const pieces = [body.subarray(0, 3), body.subarray(3, 70_001), body.subarray(70_001, body.length - 5), body.subarray(body.length - 5)];
    const res = await client.raw('PUT', url, chunkedHeaders(client, url, data.length), pieces);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['etag'], `"${md5Hex(data)}"`);
    assert.equal(res.headers['x-amz-checksum-crc32'], crc32Base64(data));
    const done = await client.complete('chunked.bin', uploadId, [{ partNumber: 1, etag: String(res.headers['etag']) }]);
    assert.equal(done.status, 200);
    assert.ok((await emulator.s3.readObject(TEST_BUCKET, 'chunked.bin'))?.equals(data));
  });

  void it('refuses a wrong trailer checksum, a wrong decoded length, a missing trailer and a truncated body', async (t) => {
    const { client } = await s3Fixture(t);
    const data = randomBytes(1000);
    const url = client.url('chunked-bad.bin');
    const wrongSum = await client.raw('PUT', url, chunkedHeaders(client, url, data.length), awsChunked([data], { 'x-amz-checksum-crc32': crc32Base64(Buffer.from('x')) }));
    assert.deepEqual([wrongSum.status, wrongSum.code], [400, 'BadDigest']);
    const wrongLength = await client.raw('PUT', url, chunkedHeaders(client, url, data.length + 1), awsChunked([data], { 'x-amz-checksum-crc32': crc32Base64(data) }));
    assert.deepEqual([wrongLength.status, wrongLength.code], [400, 'IncompleteBody']);
    const noTrailer = await client.raw('PUT', url, chunkedHeaders(client, url, data.length), awsChunked([data], {}));
    assert.equal(noTrailer.code, 'InvalidRequest');
    const full = awsChunked([data], { 'x-amz-checksum-crc32': crc32Base64(data) });
    const truncated = await client.raw('PUT', url, chunkedHeaders(client, url, data.length), [full.subarray(0, 500)]);
    assert.deepEqual([truncated.status, truncated.code], [400, 'IncompleteBody']);
    const garbage = await client.raw('PUT', url, chunkedHeaders(client, url, data.length), Buffer.from('zz\r\n'));
    assert.equal(garbage.code, 'InvalidRequest');
    const { 'x-amz-decoded-content-length': _omit, ...noDecoded } = chunkedHeaders(client, url, data.length);
    assert.equal((await client.raw('PUT', url, noDecoded, full)).status, 403, 'dropping a signed header breaks the signature first');
  });

  void it('answers 411 MissingContentLength for a plain chunked-transfer PUT', async (t) => {
    const { client } = await s3Fixture(t);
    const url = client.url('nolength.bin');
    const headers = client.signer.sign({ method: 'PUT', url, now: Date.now() }, 'UNSIGNED-PAYLOAD');
    const res = await client.raw('PUT', url, headers, [Buffer.from('abc'), Buffer.from('def')]);
    assert.deepEqual([res.status, res.code], [411, 'MissingContentLength']);
  });
});

void describe('objects', () => {
  void it('serves GetObject with Range, HeadObject without a body, NoSuchKey and NoSuchBucket', async (t) => {
    const { client } = await s3Fixture(t);
    const body = randomBytes(1000);
    assert.equal((await client.send('PUT', client.url('o.bin'), { body })).status, 200);
    const range = await client.get('o.bin', { range: 'bytes=10-19' });
    assert.deepEqual([range.status, range.headers['content-range']], [206, 'bytes 10-19/1000']);
    assert.ok(range.body.equals(body.subarray(10, 20)));
    assert.equal((await client.get('o.bin', { range: 'bytes=5000-' })).code, 'InvalidRange');
    const head = await client.send('HEAD', client.url('o.bin'));
    assert.deepEqual([head.status, head.headers['content-length'], head.body.length], [200, '1000', 0]);
    const missing = await client.get('none.bin');
    assert.deepEqual([missing.status, missing.code, missing.xml('Key')], [404, 'NoSuchKey', 'none.bin']);
    const missingHead = await client.send('HEAD', client.url('none.bin'));
    assert.deepEqual([missingHead.status, missingHead.body.length], [404, 0]);
    const bucket = await client.send('GET', client.url('o.bin', '', 'other-bucket'));
    assert.deepEqual([bucket.status, bucket.code], [404, 'NoSuchBucket']);
    assert.equal((await client.send('DELETE', client.url('o.bin'))).status, 204);
    assert.equal((await client.get('o.bin')).code, 'NoSuchKey');
  });

  void it('answers NotImplemented for bucket-level and unsupported operations', async (t) => {
    const { client } = await s3Fixture(t);
    const list = await client.send('GET', new URL(`${client.base}/${TEST_BUCKET}/`));
    assert.deepEqual([list.status, list.code], [501, 'NotImplemented']);
    const root = await client.send('GET', new URL(`${client.base}/`));
    assert.equal(root.code, 'NotImplemented');
  });

  void it('keeps objects and open uploads across a restart on the same data folder', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ccu-s3-restart-'));
    try {
      const s3 = { buckets: [TEST_BUCKET], region: 'eu-test-1', accessKeyId: 'TESTS3ACCESSKEY00001', secretAccessKey: 'test-s3-secret-key-5b1e0c', port: 0 };
      const first = await startEmulator({ port: 0, dataDir, s3 });
      const client1 = new S3RawClient(first.s3Url, () => first.clock.now());
      const body = randomBytes(300);
      await client1.send('PUT', client1.url('kept.bin'), { body });
      const uploadId = await client1.createUpload('open.bin');
      const part = randomBytes(50);
      const etag = String((await client1.uploadPart('open.bin', uploadId, 1, part)).headers['etag']);
      await first.close();
      const second = await startEmulator({ port: 0, dataDir, s3 });
      try {
        const client2 = new S3RawClient(second.s3Url, () => second.clock.now());
        assert.ok((await client2.get('kept.bin')).body.equals(body));
        assert.equal((await client2.complete('open.bin', uploadId, [{ partNumber: 1, etag }])).status, 200);
        assert.ok((await client2.get('open.bin')).body.equals(part));
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

void describe('bucket CORS', () => {
  const origin = 'http://127.0.0.1:5173';
  const preflight = (client: S3RawClient, method = 'PUT') =>
    client.raw('OPTIONS', client.url('x.bin', '?partNumber=1&uploadId=u'), { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-md5,content-type' });

  void it('answers a preflight and exposes ETag on responses, so a browser can read part ETags', async (t) => {
    const { client } = await s3Fixture(t);
    const pre = await preflight(client);
    assert.equal(pre.status, 200);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.match(String(pre.headers['access-control-allow-methods']), /PUT/);
    assert.equal(pre.headers['access-control-allow-headers'], 'content-md5,content-type');
    const uploadId = await client.createUpload('x.bin');
    const put = await client.raw('PUT', client.presign('PUT', client.url('x.bin', `?partNumber=1&uploadId=${uploadId}`)), { origin }, Buffer.from('abc'));
    assert.equal(put.headers['access-control-allow-origin'], '*');
    assert.equal(put.headers['access-control-expose-headers'], 'ETag');
    const error = await client.raw('GET', client.url('x.bin'), { origin });
    assert.equal(error.headers['access-control-allow-origin'], '*', 'errors are readable cross-origin too');
  });

  void it('hides ETag when the rule does not expose it, and refuses preflights when CORS is off or the origin is not listed', async (t) => {
    const { client, emulator } = await s3Fixture(t, { cors: { exposeEtag: false, allowedOrigins: [origin] } });
    const uploadId = await client.createUpload('x.bin');
    const put = await client.raw('PUT', client.presign('PUT', client.url('x.bin', `?partNumber=1&uploadId=${uploadId}`)), { origin }, Buffer.from('abc'));
    assert.equal(put.status, 200);
    assert.equal(put.headers['access-control-allow-origin'], origin);
    assert.equal(put.headers['access-control-expose-headers'], undefined, 'ETag stays hidden from scripts');
    assert.ok(put.headers['etag'], 'the header is still sent');
    const stranger = await client.raw('OPTIONS', client.url('x.bin'), { origin: 'http://evil.example', 'access-control-request-method': 'PUT' });
    assert.deepEqual([stranger.status, stranger.code], [403, 'AccessForbidden']);
    assert.equal((await preflight(client, 'PATCH')).code, 'AccessForbidden');
    emulator.s3.setCors({ enabled: false });
    const off = await preflight(client);
    assert.deepEqual([off.status, off.code], [403, 'AccessForbidden']);
    const res = await fetch(`${emulator.url}/__emulator/s3/cors`, { method: 'PUT', body: JSON.stringify({ enabled: true, exposeEtag: true }) });
    assert.equal(res.status, 200);
    assert.equal((await preflight(client)).status, 200);
    const put2 = await client.raw('PUT', client.presign('PUT', client.url('x.bin', `?partNumber=2&uploadId=${uploadId}`)), { origin }, Buffer.from('abc'));
    assert.equal(put2.headers['access-control-expose-headers'], 'ETag');
  });
});

void describe('faults and the request log', () => {
  void it('injects S3 errors by route: 503 SlowDown, the 500 InternalError default, and AccessDenied shaped like an expired URL', async (t) => {
    const { client, emulator } = await s3Fixture(t);
    const uploadId = await client.createUpload('f.bin');
    emulator.faults.set({ routes: { 's3.UploadPart': { failNext: 1, errorCode: 'SlowDown' }, 's3.ListParts': { failNext: 1 }, 's3.GetObject': { failNext: 1, errorCode: 'AccessDenied' } } });
    const slow = await client.uploadPart('f.bin', uploadId, 1, Buffer.from('abc'));
    assert.deepEqual([slow.status, slow.code], [503, 'SlowDown']);
    assert.equal((await client.uploadPart('f.bin', uploadId, 1, Buffer.from('abc'))).status, 200);
    const internal = await client.listParts('f.bin', uploadId);
    assert.deepEqual([internal.status, internal.code], [500, 'InternalError']);
    const denied = await client.get('f.bin');
    assert.deepEqual([denied.status, denied.code, denied.xml('Message')], [403, 'AccessDenied', 'Request has expired']);
    const log = emulator.log.filter('s3.*');
    assert.deepEqual(log.map((e) => [e.route, e.status, e.code, e.fault]), [
      ['s3.CreateMultipartUpload', 200, 'OK', undefined],
      ['s3.UploadPart', 503, 'SlowDown', 'error'],
      ['s3.UploadPart', 200, 'OK', undefined],
      ['s3.ListParts', 500, 'InternalError', 'error'],
      ['s3.GetObject', 403, 'AccessDenied', 'error'],
    ]);
  });

  void it('drops a part connection mid-body and stores nothing', async (t) => {
    const { client, emulator } = await s3Fixture(t);
    const uploadId = await client.createUpload('d.bin');
    emulator.faults.set({ routes: { 's3.UploadPart': { dropNext: 1, dropAfterBytes: 1000 } } });
    await assert.rejects(client.uploadPart('d.bin', uploadId, 1, randomBytes(200_000)));
    assert.deepEqual(emulator.log.filter('s3.UploadPart').map((e) => [e.status, e.fault]), [[0, 'drop']]);
    assert.deepEqual(emulator.s3.uploads()[0]?.parts, {});
  });

  void it('expires an upload early after N accepted parts, as a lifecycle abort would', async (t) => {
    const { client, emulator } = await s3Fixture(t, {}, { faults: { expireUploadsAfterParts: 2 } });
    const uploadId = await client.createUpload('x.bin');
    assert.equal((await client.uploadPart('x.bin', uploadId, 1, Buffer.from('a'))).status, 200);
    assert.equal((await client.uploadPart('x.bin', uploadId, 2, Buffer.from('b'))).status, 200);
    assert.equal((await client.uploadPart('x.bin', uploadId, 3, Buffer.from('c'))).code, 'NoSuchUpload');
    const other = await client.createUpload('y.bin');
    assert.equal(await emulator.s3.expireUploads(), 1);
    assert.equal((await client.listParts('y.bin', other)).code, 'NoSuchUpload');
  });
});

void describe('configuration', () => {
  void it('reads S3 settings from the environment the backend shares', () => {
    const options = emulatorOptionsFromEnv({
      EMULATOR_S3_PORT: '9100', S3_ACCESS_KEY_ID: 'AK', S3_SECRET_ACCESS_KEY: 'SK', S3_BUCKET: 'my-bucket', S3_REGION: 'eu-west-1',
      EMULATOR_S3_MIN_PART_SIZE: '1024', EMULATOR_S3_CORS: 'on', EMULATOR_S3_EXPOSE_ETAG: 'off',
    });
    assert.deepEqual(options.s3, { port: 9100, accessKeyId: 'AK', secretAccessKey: 'SK', buckets: ['my-bucket'], region: 'eu-west-1', minPartSize: 1024, cors: { enabled: true, exposeEtag: false } });
    assert.throws(() => emulatorOptionsFromEnv({ EMULATOR_S3_EXPOSE_ETAG: 'maybe' }), RangeError);
  });

  void it('moves the S3 listener to a free port when the default 9000 is taken, so two emulators can run side by side', async () => {
    const freePort = async (): Promise<number> => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const { port } = probe.address() as AddressInfo;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      return port;
    };
    const dirs = [await mkdtemp(join(tmpdir(), 'ccu-s3-a-')), await mkdtemp(join(tmpdir(), 'ccu-s3-b-'))];
    const a = await startEmulator({ port: await freePort(), dataDir: dirs[0]! });
    try {
      const b = await startEmulator({ port: await freePort(), dataDir: dirs[1]! });
      try {
        assert.notEqual(a.s3Url, b.s3Url);
        const health = await fetch(`${b.s3Url}/ccu-uploads/x`);
        assert.equal(health.status, 403, 'the S3 listener of the second emulator answers');
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    }
  });

  void it('shows its config on the admin API without the secret key', async (t) => {
    const { emulator } = await s3Fixture(t);
    const res = await fetch(`${emulator.url}/__emulator/s3`);
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.ok(text.includes('TESTS3ACCESSKEY00001'));
    assert.ok(!text.includes('test-s3-secret-key'));
    const health = (await (await fetch(`${emulator.url}/__emulator`)).json()) as { flavours: string[] };
    assert.ok(health.flavours.includes('s3'));
  });
});
