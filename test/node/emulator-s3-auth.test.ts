// SigV4 on the S3 emulator: the worked examples of the AWS documentation, header and presigned
// authentication, expiry, tampering, signed headers, temporary credentials and signed chunks.
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SigV4Verifier } from '../../src/emulator/index.js';
import { EMPTY_PAYLOAD_SHA256 } from '../../src/server/providers/s3-request-signer.js';
import { md5Base64, s3Fixture, S3RawClient, sha256Hex, TEST_CREDENTIALS, TEST_REGION } from '../support/s3-fixture.js';

// "Examples: Signature Calculations in AWS Signature Version 4" (Amazon S3 API reference).
const AWS_EXAMPLE = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const EXAMPLE_TIME = Date.UTC(2013, 4, 24);

function exampleVerifier(): SigV4Verifier {
  return new SigV4Verifier({
    region: 'us-east-1',
    lookup: (id) => (id === AWS_EXAMPLE.accessKeyId ? AWS_EXAMPLE : undefined),
    now: () => EXAMPLE_TIME,
    maxSkewMs: () => 15 * 60_000,
    presignedNotBefore: () => 0,
  });
}

function auth(signature: string, signedHeaders: string): string {
  return `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`;
}

void describe('SigV4 verifier against the AWS documentation examples', () => {
  const host = 'examplebucket.s3.amazonaws.com';
  const cases = [
    {
      name: 'GET object with a Range header',
      method: 'GET', path: '/test.txt', query: '',
      headers: ['Host', host, 'Range', 'bytes=0-9', 'x-amz-content-sha256', EMPTY_PAYLOAD_SHA256, 'x-amz-date', '20130524T000000Z',
        'Authorization', auth('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41', 'host;range;x-amz-content-sha256;x-amz-date')],
    },
    {
      name: 'PUT object with a Date and a storage class header',
      method: 'PUT', path: '/test%24file.text', query: '',
      headers: ['Host', host, 'Date', 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-date', '20130524T000000Z', 'x-amz-storage-class', 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256', sha256Hex('Welcome to Amazon S3.'),
        'Authorization', auth('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd', 'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class')],
    },
    {
      name: 'GET bucket lifecycle (a query key without value)',
      method: 'GET', path: '/', query: 'lifecycle',
      headers: ['Host', host, 'x-amz-date', '20130524T000000Z', 'x-amz-content-sha256', EMPTY_PAYLOAD_SHA256,
        'Authorization', auth('fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543', 'host;x-amz-content-sha256;x-amz-date')],
    },
    {
      name: 'GET bucket with two query parameters',
      method: 'GET', path: '/', query: 'max-keys=2&prefix=J',
      headers: ['Host', host, 'x-amz-date', '20130524T000000Z', 'x-amz-content-sha256', EMPTY_PAYLOAD_SHA256,
        'Authorization', auth('34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7', 'host;x-amz-content-sha256;x-amz-date')],
    },
    {
      name: 'a presigned GET URL valid for 24 hours',
      method: 'GET', path: '/test.txt',
      query: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
      headers: ['Host', host],
    },
  ];
  for (const c of cases) {
    void it(`accepts ${c.name}, and refuses it with one signature digit changed`, () => {
      const verifier = exampleVerifier();
      const ok = verifier.verify({ method: c.method, rawPath: c.path, rawQuery: c.query, rawHeaders: c.headers });
      assert.equal(ok.ok, true, JSON.stringify(ok));
      const flip = (s: string): string => s.replace(/([0-9a-f])(?=[0-9a-f]{0,63}$)/, (d) => (d === '0' ? '1' : '0'));
      const tamperedQuery = c.query.includes('X-Amz-Signature') ? flip(c.query) : c.query;
      const tamperedHeaders = c.headers.map((v, i) => (c.headers[i - 1] === 'Authorization' ? flip(v) : v));
      const bad = verifier.verify({ method: c.method, rawPath: c.path, rawQuery: tamperedQuery, rawHeaders: tamperedHeaders });
      assert.equal(bad.ok, false);
      assert.equal(!bad.ok && bad.code, 'SignatureDoesNotMatch');
    });
  }
});

void describe('header authentication on the S3 listener', () => {
  void it('refuses an unsigned request with 403 AccessDenied and an XML error body', async (t) => {
    const { client, emulator } = await s3Fixture(t);
    const res = await client.raw('GET', client.url('a.bin'));
    assert.equal(res.status, 403);
    assert.equal(res.code, 'AccessDenied');
    assert.equal(res.headers['content-type'], 'application/xml');
    assert.ok(res.xml('RequestId'));
    assert.equal(emulator.log.filter('s3.GetObject')[0]?.code, 'AccessDenied');
  });

  void it('tells apart a wrong secret, an unknown key, a wrong region and a skewed clock', async (t) => {
    const { emulator } = await s3Fixture(t);
    const now = () => emulator.clock.now();
    const wrongSecret = new S3RawClient(emulator.s3Url, now, { ...TEST_CREDENTIALS, secretAccessKey: 'nope' });
    const unknownKey = new S3RawClient(emulator.s3Url, now, { ...TEST_CREDENTIALS, accessKeyId: 'AKIAUNKNOWN000000000' });
    const wrongRegion = new S3RawClient(emulator.s3Url, now, TEST_CREDENTIALS, 'us-west-2');
    const sig = await wrongSecret.get('a.bin');
    assert.deepEqual([sig.status, sig.code], [403, 'SignatureDoesNotMatch']);
    assert.ok(sig.xml('CanonicalRequest')?.startsWith('GET\n/ccu-test/a.bin\n'), 'the error shows the canonical request, as S3 does');
    assert.ok(!sig.text.includes(TEST_CREDENTIALS.secretAccessKey));
    const key = await unknownKey.get('a.bin');
    assert.deepEqual([key.status, key.code], [403, 'InvalidAccessKeyId']);
    const region = await wrongRegion.get('a.bin');
    assert.deepEqual([region.status, region.code, region.xml('Region')], [400, 'AuthorizationHeaderMalformed', TEST_REGION]);
    const right = new S3RawClient(emulator.s3Url, now);
    const skewed = await right.send('GET', right.url('a.bin'), { now: emulator.clock.now() - 16 * 60_000 });
    assert.deepEqual([skewed.status, skewed.code], [403, 'RequestTimeTooSkewed']);
    const inWindow = await right.send('GET', right.url('a.bin'), { now: emulator.clock.now() - 14 * 60_000 });
    assert.deepEqual([inWindow.status, inWindow.code], [404, 'NoSuchKey']);
  });

  void it('requires x-amz-content-sha256, checks it against the body, and refuses unsigned x-amz headers', async (t) => {
    const { client } = await s3Fixture(t);
    const body = randomBytes(1000);
    const url = client.url('put.bin');
    const signed = client.signer.sign({ method: 'PUT', url, now: Date.now() }, sha256Hex(body));
    const { 'x-amz-content-sha256': _omit, ...withoutHash } = signed;
    const missing = await client.raw('PUT', url, withoutHash, body);
    assert.deepEqual([missing.status, missing.code], [400, 'InvalidRequest']);
    const mismatch = await client.send('PUT', url, { body, payloadHash: sha256Hex(Buffer.from('something else')) });
    assert.deepEqual([mismatch.status, mismatch.code], [400, 'XAmzContentSHA256Mismatch']);
    const extra = await client.raw('PUT', url, { ...client.signer.sign({ method: 'PUT', url, now: Date.now() }, sha256Hex(body)), 'x-amz-meta-sneaky': '1' }, body);
    assert.deepEqual([extra.status, extra.code, extra.xml('HeadersNotSigned')], [403, 'AccessDenied', 'x-amz-meta-sneaky']);
    const unsignedPayload = await client.send('PUT', url, { body, payloadHash: 'UNSIGNED-PAYLOAD' });
    assert.equal(unsignedPayload.status, 200);
  });

  void it('accepts temporary credentials only with their session token, and not after they expire', async (t) => {
    const temp = { accessKeyId: 'ASIATEMPORARY0000001', secretAccessKey: 'temp-secret', sessionToken: 'session-token-1' };
    const { emulator } = await s3Fixture(t, { temporaryCredentials: [{ ...temp, expiresAt: Date.now() + 60 * 60_000 }] });
    const now = () => emulator.clock.now();
    const good = new S3RawClient(emulator.s3Url, now, temp);
    assert.equal((await good.send('PUT', good.url('t.bin'), { body: Buffer.from('x') })).status, 200);
    const presigned = await good.raw('GET', good.presign('GET', good.url('t.bin')));
    assert.equal(presigned.status, 200);
    const noToken = new S3RawClient(emulator.s3Url, now, { accessKeyId: temp.accessKeyId, secretAccessKey: temp.secretAccessKey });
    assert.equal((await noToken.get('t.bin')).code, 'InvalidToken');
    const wrongToken = new S3RawClient(emulator.s3Url, now, { ...temp, sessionToken: 'other' });
    assert.equal((await wrongToken.get('t.bin')).code, 'InvalidToken');
    emulator.clock.advance(61 * 60_000);
    const expired = await good.get('t.bin');
    assert.deepEqual([expired.status, expired.code], [400, 'ExpiredToken']);
  });
});

void describe('presigned URLs on the S3 listener', () => {
  void it('accepts a presigned UploadPart PUT with no extra headers, and refuses it once X-Amz-Expires has passed', async (t) => {
    const { client, emulator } = await s3Fixture(t);
    const uploadId = await client.createUpload('p.bin');
    const url = client.presign('PUT', client.url('p.bin', `?partNumber=1&uploadId=${uploadId}`), 600);
    const body = randomBytes(5000);
    const ok = await client.raw('PUT', url, {}, body);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['etag'], `"${createHash('md5').update(body).digest('hex')}"`);
    emulator.clock.advance(601_000);
    const late = await client.raw('PUT', url, {}, body);
    assert.deepEqual([late.status, late.code, late.xml('Message'), late.xml('X-Amz-Expires')], [403, 'AccessDenied', 'Request has expired', '600']);
    assert.ok(emulator.log.entries.every((e) => !e.path.includes('X-Amz-Signature')), 'the log keeps no signatures');
  });

  void it('refuses a URL whose part number, upload id or expiry was edited', async (t) => {
    const { client } = await s3Fixture(t);
    const uploadId = await client.createUpload('p.bin');
    const url = client.presign('PUT', client.url('p.bin', `?partNumber=1&uploadId=${uploadId}`), 600);
    for (const tampered of [url.replace('partNumber=1', 'partNumber=2'), url.replace('X-Amz-Expires=600', 'X-Amz-Expires=6000'), url.replace(`/p.bin`, '/q.bin')]) {
      const res = await client.raw('PUT', tampered, {}, Buffer.from('data'));
      assert.deepEqual([res.status, res.code], [403, 'SignatureDoesNotMatch'], tampered);
    }
    const tooLong = client.presign('GET', client.url('p.bin'), 604_800).replace('X-Amz-Expires=604800', 'X-Amz-Expires=604801');
    assert.equal((await client.raw('GET', tooLong)).code, 'AuthorizationQueryParametersError');
  });

  void it('holds the browser to a signed Content-MD5: a different or missing value breaks the signature', async (t) => {
    const { client, emulator } = await s3Fixture(t);
    const uploadId = await client.createUpload('md5.bin');
    const body = randomBytes(3000);
    const md5 = md5Base64(body);
    const url = client.presign('PUT', client.url('md5.bin', `?partNumber=1&uploadId=${uploadId}`), 600, { 'content-md5': md5 });
    const other = md5Base64(randomBytes(10));
    assert.equal((await client.raw('PUT', url, { 'content-md5': other }, body)).code, 'SignatureDoesNotMatch');
    assert.equal((await client.raw('PUT', url, {}, body)).code, 'SignatureDoesNotMatch');
    // Signed, but the bytes are not what was hashed: the signature holds, the digest does not.
    assert.equal((await client.raw('PUT', url, { 'content-md5': md5 }, randomBytes(3000))).code, 'BadDigest');
    assert.equal((await client.raw('PUT', url, { 'content-md5': md5 }, body)).status, 200);
    assert.ok(emulator.log.filter('s3.UploadPart').some((e) => e.code === 'BadDigest'));
  });

  void it('refuses an unsigned x-amz-checksum header sent along with a presigned URL', async (t) => {
    const { client } = await s3Fixture(t);
    const uploadId = await client.createUpload('c.bin');
    const url = client.presign('PUT', client.url('c.bin', `?partNumber=1&uploadId=${uploadId}`));
    const res = await client.raw('PUT', url, { 'x-amz-checksum-crc32': 'AAAAAA==' }, Buffer.from('x'));
    assert.deepEqual([res.status, res.code, res.xml('HeadersNotSigned')], [403, 'AccessDenied', 'x-amz-checksum-crc32']);
  });

  void it('expires every URL signed so far on demand, while URLs signed from the next second work', async (t) => {
    const { client, emulator } = await s3Fixture(t);
    const uploadId = await client.createUpload('e.bin');
    const target = client.url('e.bin', `?partNumber=1&uploadId=${uploadId}`);
    const before = client.presign('PUT', target);
    emulator.s3.expirePresignedUrls();
    const refused = await client.raw('PUT', before, {}, Buffer.from('abc'));
    assert.deepEqual([refused.status, refused.xml('Message')], [403, 'Request has expired']);
    emulator.clock.advance(1000);
    assert.equal((await client.raw('PUT', client.presign('PUT', target), {}, Buffer.from('abc'))).status, 200);
    // Also through the admin API, as the demo page would do it.
    const admin = await fetch(`${emulator.url}/__emulator/s3/expire-presigned`, { method: 'POST' });
    assert.equal(admin.status, 200);
    assert.equal((await client.raw('PUT', client.presign('PUT', target), {}, Buffer.from('abc'))).code, 'AccessDenied');
  });
});

/** Builds a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body: each chunk signs the previous signature. */
function signedChunks(seed: string, date: string, scope: string, secret: string, chunks: Buffer[]): Buffer {
  const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();
  const [day = '', region = '', service = ''] = scope.split('/');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
  let previous = seed;
  const out: Buffer[] = [];
  for (const chunk of [...chunks, Buffer.alloc(0)]) {
    const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', date, scope, previous, EMPTY_PAYLOAD_SHA256, sha256Hex(chunk)].join('\n');
    previous = hmac(key, stringToSign).toString('hex');
    out.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`), chunk, Buffer.from('\r\n'));
  }
  return Buffer.concat(out);
}

void describe('signed streaming payloads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', () => {
  void it('stores a body whose chunk signatures chain from the request signature, and refuses a tampered chunk', async (t) => {
    const { client, emulator } = await s3Fixture(t);
    const data = [randomBytes(8192), randomBytes(100)];
    const total = data[0]!.length + data[1]!.length;
    const url = client.url('signed-chunks.bin');
    const headers = client.signer.sign({
      method: 'PUT', url, now: emulator.clock.now(),
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(total) },
    }, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
    const seed = /Signature=([0-9a-f]{64})/.exec(headers['authorization'] ?? '')?.[1] ?? '';
    const date = headers['x-amz-date'] ?? '';
    const scope = `${date.slice(0, 8)}/${TEST_REGION}/s3/aws4_request`;
    const body = signedChunks(seed, date, scope, TEST_CREDENTIALS.secretAccessKey, data);
    const ok = await client.raw('PUT', url, headers, body);
    assert.equal(ok.status, 200, ok.text);
    assert.ok((await emulator.s3.readObject('ccu-test', 'signed-chunks.bin'))?.equals(Buffer.concat(data)));
    const tampered = Buffer.from(body);
    tampered[200] = (tampered[200] ?? 0) ^ 0xff;
    const refused = await client.raw('PUT', url, headers, tampered);
    assert.deepEqual([refused.status, refused.code], [403, 'SignatureDoesNotMatch']);
  });
});
