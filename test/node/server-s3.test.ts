// The backend's S3 provider: SigV4 signing (AWS documentation vectors), part plans and keys,
// and full round trips against the S3 emulator: create → part URLs in small batches → PUT parts
// with fetch → complete → download equals the original; expiry, resume, CRC-32 mode, errors,
// abort, and no secret in any response.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import type { CompleteResponse, CreateSessionResponse, ErrorResponse, ListPartsResponse, PartReceipt, PartUrlsResponse } from '../../src/core/index.js';
import { startEmulator, type RunningEmulator, type S3EmulatorOptions } from '../../src/emulator/index.js';
import { serverOptionsFromEnv, startUploadServer, type S3ServerConfig, type UploadHandlerOptions } from '../../src/server/index.js';
import { parseS3Xml, s3XmlText } from '../../src/server/providers/parse-s3-xml.js';
import { s3Error } from '../../src/server/providers/s3-error-table.js';
import { s3ObjectKey, s3PartPlan } from '../../src/server/providers/s3-provider.js';
import { EMPTY_PAYLOAD_SHA256, S3RequestSigner } from '../../src/server/providers/s3-request-signer.js';

const KEYS = { accessKeyId: 'SERVERS3ACCESSKEY001', secretAccessKey: 'server-s3-secret-9d2f7a6c' };
const BUCKET = 'ccu-server-test';
const REGION = 'ap-test-1';
const PART = 64 * 1024;

function md5(bytes: Uint8Array): Buffer {
  return createHash('md5').update(bytes).digest();
}

function crc32Base64(bytes: Uint8Array): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(bytes));
  return out.toString('base64');
}

/** An emulator and a backend on 127.0.0.1:0 sharing a controllable clock. */
async function fixture(options: { s3?: Partial<S3ServerConfig>; emulator?: S3EmulatorOptions; server?: Partial<UploadHandlerOptions> } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'ccu-server-s3-'));
  let offset = 0;
  const now = () => Date.now() + offset;
  const emulator = await startEmulator({ port: 0, dataDir, now, s3: { buckets: [BUCKET], region: REGION, ...KEYS, minPartSize: PART, ...options.emulator, port: 0 } });
  const backend = await startUploadServer({
    port: 0,
    secret: 'server-s3-ticket-secret-0123456789abcdef',
    now,
    providers: { s3: { endpoint: emulator.s3Url, region: REGION, bucket: BUCKET, ...KEYS, minPartSize: PART, partSize: PART, ...options.s3 } },
    ...options.server,
  });
  return {
    emulator,
    backend,
    client: new Client(backend.url),
    /** Moves both clocks forward (emulator time is derived from the same base). */
    advance(ms: number) {
      offset += ms;
    },
    async close() {
      await backend.close();
      await emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Everything a client saw, to prove no secret leaked. */
class Client {
  readonly seen: string[] = [];
  constructor(readonly base: string) {}

  async call(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(path.startsWith('http') ? path : `${this.base}${path}`, init);
    this.seen.push(JSON.stringify([...response.headers]), await response.clone().text());
    return response;
  }

  async create(size: number, fileName = 'report.bin', target = 'uploads/2026', extra: Record<string, unknown> = {}): Promise<CreateSessionResponse> {
    const response = await this.call('/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 's3', target, fileName, size, mimeType: 'application/x-test', ...extra }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as CreateSessionResponse;
  }

  partUrls(session: CreateSessionResponse, indexes: number[], checksums?: Record<string, string>): Promise<Response> {
    return this.call('/v1/sessions/part-urls', {
      method: 'POST',
      headers: { authorization: `Bearer ${session.ticket}`, 'content-type': 'application/json' },
      body: JSON.stringify({ indexes, ...(checksums && { checksums }) }),
    });
  }

  async urls(session: CreateSessionResponse, indexes: number[], checksums?: Record<string, string>): Promise<PartUrlsResponse> {
    const response = await this.partUrls(session, indexes, checksums);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as PartUrlsResponse;
  }

  complete(session: CreateSessionResponse, parts: PartReceipt[]): Promise<Response> {
    return this.call('/v1/sessions/complete', {
      method: 'POST',
      headers: { authorization: `Bearer ${session.ticket}`, 'content-type': 'application/json' },
      body: JSON.stringify({ parts }),
    });
  }

  async listParts(session: CreateSessionResponse): Promise<PartReceipt[]> {
    const response = await this.call('/v1/sessions/parts', { headers: { authorization: `Bearer ${session.ticket}` } });
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as ListPartsResponse).parts;
  }
}

function slices(file: Uint8Array<ArrayBuffer>, partSize: number): Uint8Array<ArrayBuffer>[] {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (let start = 0; start < file.length; start += partSize) parts.push(file.subarray(start, start + partSize));
  return parts.length > 0 ? parts : [new Uint8Array(0)];
}

/** The browser's part of the job: PUT each part to its presigned URL with exactly the given headers. */
async function put(client: Client, url: { url: string; method: string; headers: Record<string, string> }, body: Uint8Array<ArrayBuffer>): Promise<Response> {
  return client.call(url.url, { method: url.method, headers: url.headers, body });
}

/** Creates, sends every part through part URLs asked for in batches of `batch`, completes. */
async function uploadAll(client: Client, file: Uint8Array<ArrayBuffer>, options: { batch?: number; checksum?: (part: Uint8Array) => string; fileName?: string } = {}) {
  const session = await client.create(file.length, options.fileName);
  const parts = slices(file, session.plan.partSize);
  const receipts: PartReceipt[] = [];
  const batch = options.batch ?? 3;
  for (let start = 0; start < parts.length; start += batch) {
    const indexes = parts.slice(start, start + batch).map((_, i) => start + i);
    const checksums = options.checksum ? Object.fromEntries(indexes.map((i) => [String(i), options.checksum!(parts[i]!)])) : undefined;
    const { urls } = await client.urls(session, indexes, checksums);
    assert.deepEqual(urls.map((u) => u.index), indexes);
    for (const url of urls) {
      const response = await put(client, url, parts[url.index]!);
      assert.equal(response.status, 200, await response.clone().text());
      const etag = response.headers.get('etag') ?? '';
      receipts.push({ index: url.index, etag, ...(checksums && { checksum: checksums[String(url.index)] }) });
    }
  }
  const done = await client.complete(session, receipts);
  assert.equal(done.status, 200, await done.clone().text());
  return { session, receipts, result: ((await done.json()) as CompleteResponse).result };
}

void describe('S3 request signer', () => {
  // "Examples: Signature Calculations in AWS Signature Version 4" (Amazon S3 API reference).
  const signer = new S3RequestSigner({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, 'us-east-1');
  const now = Date.UTC(2013, 4, 24);
  const signature = (headers: Record<string, string>): string => /Signature=([0-9a-f]{64})$/.exec(headers['authorization'] ?? '')?.[1] ?? '';

  void it('reproduces the documented presigned URL and header signatures', () => {
    const url = signer.presign({ method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'), now }, 86400);
    assert.ok(url.endsWith('X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404'), url);
    assert.ok(url.includes('X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request'));
    const get = signer.sign({ method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'), headers: { Range: 'bytes=0-9' }, now }, EMPTY_PAYLOAD_SHA256);
    assert.equal(signature(get), 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    const body = 'Welcome to Amazon S3.';
    const putHeaders = { date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' };
    const putSig = signer.sign({ method: 'PUT', url: new URL('https://examplebucket.s3.amazonaws.com/test%24file.text'), headers: putHeaders, now }, createHash('sha256').update(body).digest('hex'));
    assert.equal(signature(putSig), '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
    assert.equal(signature(signer.sign({ method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/?lifecycle'), now }, EMPTY_PAYLOAD_SHA256)), 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
    assert.equal(signature(signer.sign({ method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J'), now }, EMPTY_PAYLOAD_SHA256)), '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });

  void it('refuses presigned lifetimes outside 1 s .. 7 days', () => {
    const url = new URL('https://examplebucket.s3.amazonaws.com/test.txt');
    assert.throws(() => signer.presign({ method: 'GET', url, now }, 0), RangeError);
    assert.throws(() => signer.presign({ method: 'GET', url, now }, 604_801), RangeError);
  });
});

void describe('S3 part plan and object key', () => {
  void it('uses 8 MiB parts by default, at least the minimum, and grows them so a file fits in 10 000 parts', () => {
    const MiB = 2 ** 20;
    assert.deepEqual(s3PartPlan(20 * MiB, undefined, 8 * MiB, 5 * MiB), { partSize: 8 * MiB, partCount: 3 });
    assert.deepEqual(s3PartPlan(20 * MiB, MiB, 8 * MiB, 5 * MiB), { partSize: 5 * MiB, partCount: 4 }, 'a preference below the minimum is raised');
    assert.deepEqual(s3PartPlan(0, undefined, 8 * MiB, 5 * MiB), { partSize: 8 * MiB, partCount: 1 }, 'an empty file is one empty part');
    const big = s3PartPlan(100 * 2 ** 30, undefined, 8 * MiB, 5 * MiB);
    assert.deepEqual(big, { partSize: 11 * MiB, partCount: 9310 });
    const largest = s3PartPlan(10_000 * 5 * 2 ** 30, undefined, 8 * MiB, 5 * MiB);
    assert.deepEqual(largest, { partSize: 5 * 2 ** 30, partCount: 10_000 });
    assert.throws(() => s3PartPlan(10_000 * 5 * 2 ** 30 + 1, undefined, 8 * MiB, 5 * MiB), (e: unknown) => (e as { status?: number }).status === 413);
  });

  void it('puts the file under its prefix and refuses prefixes that climb or are too long', () => {
    assert.equal(s3ObjectKey('/uploads/2026/', 'a b.txt'), 'uploads/2026/a b.txt');
    assert.equal(s3ObjectKey('/', 'a.txt'), 'a.txt');
    for (const bad of ['a/../b', 'a//b', './a']) assert.throws(() => s3ObjectKey(bad, 'x'), (e: unknown) => (e as { status?: number }).status === 400, bad);
    assert.throws(() => s3ObjectKey('p'.repeat(1020), 'file.bin'), (e: unknown) => (e as { data?: { code?: string } }).data?.code === 'invalid-name');
  });
});

void describe('S3 XML and error classification', () => {
  void it('reads an Error hidden in a 200 body after whitespace, and refuses malformed XML', () => {
    const root = parseS3Xml('<?xml version="1.0" encoding="UTF-8"?>\n\n   \n<Error><Code>InternalError</Code><Message>a &amp; b</Message></Error>');
    assert.equal(root?.name, 'Error');
    assert.equal(root && s3XmlText(root, 'Message'), 'a & b');
    for (const bad of ['<a><b></a>', '<a>', 'text', '<!DOCTYPE a><a/>', '<a></a><b></b>', '<a>x &bogus; y</a>']) assert.equal(parseS3Xml(bad), null, bad);
  });

  void it('classifies the S3 codes of cloud-apis.md §4.3 as retry or fatal', () => {
    for (const code of ['InternalError', 'ServiceUnavailable', 'RequestTimeout']) assert.equal(s3Error(code, 500).data.kind, 'retry', code);
    assert.equal(s3Error('SlowDown', 503).data.kind, 'rate-limited');
    assert.equal(s3Error('SlowDown', 503).data.retryAfterMs, 1000);
    for (const code of ['NoSuchUpload', 'InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'EntityTooLarge', 'AccessDenied', 'InvalidArgument']) {
      assert.equal(s3Error(code, 400).data.kind, 'fatal', code);
    }
    assert.equal(s3Error('BadDigest', 400).data.kind, 'checksum-mismatch');
    assert.deepEqual([s3Error('Whatever', 503).data.kind, s3Error('Whatever', 400).data.kind], ['retry', 'fatal']);
  });
});

void describe('backend with presigned part URLs against the S3 emulator', () => {
  let env: Awaited<ReturnType<typeof fixture>>;
  let emulator: RunningEmulator;
  let client: Client;
  before(async () => {
    env = await fixture();
    ({ emulator, client } = env);
  });
  after(async () => {
    await env.close();
  });

  void it('stores bytes equal to the original: create, part URLs in batches with Content-MD5, PUTs, complete, download', async () => {
    const file = new Uint8Array(randomBytes(PART * 7 + 1234));
    emulator.log.clear();
    const session = await client.create(file.length, 'report (final).bin');
    assert.equal(session.transport, 'direct');
    assert.equal(session.partChecksum, 'md5');
    assert.deepEqual(session.plan, { partSize: PART, partCount: 8 });
    assert.deepEqual(session.traffic, { maxConcurrency: 6, minIntervalMs: 0 });
    assert.deepEqual(session.providerData, { bucket: BUCKET, key: 'uploads/2026/report (final).bin', checksumHeader: 'content-md5', maxUrlsPerRequest: 16, partUrlTtlMs: 600_000 });
    assert.equal(emulator.s3.uploads()[0]?.contentType, 'application/x-test');

    const parts = slices(file, PART);
    const receipts: PartReceipt[] = [];
    for (const batch of [[0, 1, 2], [3, 4, 5], [6, 7]]) {
      const checksums = Object.fromEntries(batch.map((i) => [String(i), md5(parts[i]!).toString('base64')]));
      const { urls } = await client.urls(session, batch, checksums);
      for (const url of urls) {
        assert.deepEqual(url.headers, { 'content-md5': checksums[String(url.index)] });
        assert.equal(url.method, 'PUT');
        assert.ok(url.expiresAt > Date.now() + 590_000 && url.expiresAt <= Date.now() + 600_000);
        assert.ok(url.url.startsWith(`${emulator.s3Url}/${BUCKET}/uploads/2026/report%20%28final%29.bin?partNumber=${url.index + 1}&uploadId=`));
        const response = await put(client, url, parts[url.index]!);
        assert.equal(response.status, 200, await response.clone().text());
        receipts.push({ index: url.index, etag: response.headers.get('etag') ?? '' });
      }
    }
    // Just in time: one batch of URLs per request, never the whole file up front.
    const done = await client.complete(session, receipts);
    assert.equal(done.status, 200, await done.clone().text());
    const { result } = (await done.json()) as CompleteResponse;
    const expectedEtag = `"${createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex')}-8"`;
    assert.deepEqual({ ...result, downloadUrl: undefined }, { provider: 's3', name: 'report (final).bin', size: file.length, bucket: BUCKET, key: 'uploads/2026/report (final).bin', etag: expectedEtag, downloadUrl: undefined });
    assert.ok((await emulator.s3.readObject(BUCKET, 'uploads/2026/report (final).bin'))?.equals(file), 'the store holds the original bytes');
    const download = await client.call(result.downloadUrl ?? '');
    assert.equal(download.status, 200);
    assert.ok(Buffer.from(await download.arrayBuffer()).equals(file), 'the download URL serves the original bytes');
    assert.deepEqual(emulator.log.filter('s3.UploadPart').map((e) => e.status), [200, 200, 200, 200, 200, 200, 200, 200]);
  });

  void it('vends URLs without a checksum header when the browser sends none, and they work', async () => {
    const { result } = await uploadAll(client, new Uint8Array(randomBytes(PART + 5)), { fileName: 'plain.bin' });
    assert.equal(result.key, 'uploads/2026/plain.bin');
  });

  void it('stores an empty file as one empty part', async () => {
    const { result } = await uploadAll(client, new Uint8Array(0), { fileName: 'empty.bin' });
    assert.equal(result.size, 0);
    assert.equal((await emulator.s3.readObject(BUCKET, 'uploads/2026/empty.bin'))?.length, 0);
  });

  void it('refuses part-url requests that are too big, repeat, leave the plan or carry a malformed checksum', async () => {
    const session = await client.create(PART * 20);
    const cases: [number[], Record<string, string> | undefined][] = [
      [Array.from({ length: 17 }, (_, i) => i), undefined],
      [[], undefined],
      [[1, 1], undefined],
      [[20], undefined],
      [[-1], undefined],
      [[0], { 0: 'not-an-md5' }],
      [[0], { 0: crc32Base64(new Uint8Array(1)) }],
    ];
    for (const [indexes, checksums] of cases) {
      const response = await client.partUrls(session, indexes, checksums);
      assert.equal(response.status, 400, JSON.stringify(indexes));
      assert.equal(((await response.json()) as ErrorResponse).error.code, 'bad-request');
    }
  });

  void it('holds the browser to the checksum it declared: a part whose bytes differ is refused as BadDigest', async () => {
    const session = await client.create(100);
    const body = new Uint8Array(randomBytes(100));
    const { urls } = await client.urls(session, [0], { 0: md5(body).toString('base64') });
    const other = new Uint8Array(randomBytes(100));
    const refused = await put(client, urls[0]!, other);
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /<Code>BadDigest<\/Code>/);
    assert.equal((await put(client, urls[0]!, body)).status, 200);
  });

  void it('gives fresh URLs after the old ones expire (403 "Request has expired")', async () => {
    const session = await client.create(PART * 2);
    const parts = [new Uint8Array(randomBytes(PART)), new Uint8Array(randomBytes(PART))];
    const first = await client.urls(session, [0, 1]);
    env.advance(601_000);
    const expired = await put(client, first.urls[0]!, parts[0]!);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Message>Request has expired<\/Message>/);
    const again = await client.urls(session, [0, 1]);
    const receipts: PartReceipt[] = [];
    for (const url of again.urls) {
      const response = await put(client, url, parts[url.index]!);
      assert.equal(response.status, 200);
      receipts.push({ index: url.index, etag: response.headers.get('etag') ?? '' });
    }
    assert.equal((await client.complete(session, receipts)).status, 200);
  });

  void it('resumes from ListParts: lists stored parts, leaves out a part of the wrong size, completes with the rest re-sent', async () => {
    const file = new Uint8Array(randomBytes(PART * 3 + 10));
    const parts = slices(file, PART);
    const session = await client.create(file.length, 'resume.bin');
    const { urls } = await client.urls(session, [0, 1, 2]);
    for (const url of urls.slice(0, 2)) assert.equal((await put(client, url, parts[url.index]!)).status, 200);
    // A part of the wrong length (a truncated read, an old plan) must not count as done.
    assert.equal((await put(client, urls[2]!, parts[2]!.subarray(0, 100))).status, 200);
    const listed = await client.listParts(session);
    assert.deepEqual(listed.map((p) => p.index), [0, 1]);
    assert.deepEqual(listed.map((p) => p.etag), [0, 1].map((i) => `"${md5(parts[i]!).toString('hex')}"`));
    const rest = await client.urls(session, [2, 3]);
    const receipts = [...listed];
    for (const url of rest.urls) {
      const response = await put(client, url, parts[url.index]!);
      receipts.push({ index: url.index, etag: response.headers.get('etag') ?? '' });
    }
    assert.equal((await client.complete(session, receipts)).status, 200);
    assert.ok((await emulator.s3.readObject(BUCKET, 'uploads/2026/resume.bin'))?.equals(file));
  });

  void it('lists more than one ListParts page of parts', async () => {
    const small = await fixture({ s3: { partSize: 1, minPartSize: 1 }, emulator: { minPartSize: 1 } });
    const { emulator: emu, client: c } = small;
    try {
      const file = new Uint8Array(randomBytes(1003));
      const session = await c.create(file.length, 'tiny-parts.bin');
      assert.equal(session.plan.partCount, 1003);
      for (let start = 0; start < 1003; start += 16) {
        const indexes = Array.from({ length: Math.min(16, 1003 - start) }, (_, i) => start + i);
        const { urls } = await c.urls(session, indexes);
        const responses = await Promise.all(urls.map((url) => put(c, url, file.subarray(url.index, url.index + 1))));
        assert.ok(responses.every((r) => r.status === 200));
      }
      emu.log.clear();
      const listed = await c.listParts(session);
      assert.equal(listed.length, 1003);
      assert.equal(emu.log.filter('s3.ListParts').length, 2);
      assert.equal((await c.complete(session, listed)).status, 200);
      assert.ok((await emu.s3.readObject(BUCKET, 'uploads/2026/tiny-parts.bin'))?.equals(file));
    } finally {
      await small.close();
    }
  });

  void it('refuses to complete with parts missing before calling the store, and maps InvalidPart for a wrong ETag', async () => {
    const session = await client.create(PART * 2);
    emulator.log.clear();
    const missing = await client.complete(session, [{ index: 0, etag: '"x"' }]);
    assert.equal(missing.status, 409);
    assert.equal(((await missing.json()) as ErrorResponse).error.code, 'parts-missing');
    assert.equal(emulator.log.filter('s3.CompleteMultipartUpload').length, 0);
    const { urls } = await client.urls(session, [0, 1]);
    const receipts: PartReceipt[] = [];
    for (const url of urls) {
      const response = await put(client, url, new Uint8Array(randomBytes(PART)));
      receipts.push({ index: url.index, etag: response.headers.get('etag') ?? '' });
    }
    const wrong = await client.complete(session, [receipts[0]!, { index: 1, etag: '"00000000000000000000000000000000"' }]);
    assert.equal(wrong.status, 409);
    const { error } = (await wrong.json()) as ErrorResponse;
    assert.deepEqual([error.code, error.kind, error.providerCode], ['parts-missing', 'fatal', 'InvalidPart']);
    assert.equal((await client.complete(session, receipts)).status, 200);
  });

  void it('reads an error inside a 200 Complete as retryable, and the retried Complete succeeds', async () => {
    const session = await client.create(10);
    const { urls } = await client.urls(session, [0]);
    const etag = (await put(client, urls[0]!, new Uint8Array(10))).headers.get('etag') ?? '';
    emulator.faults.set({ routes: { 's3.CompleteMultipartUpload': { failNext: 1, errorCode: '200:InternalError' } } });
    const failed = await client.complete(session, [{ index: 0, etag }]);
    assert.equal(failed.status, 502);
    const { error } = (await failed.json()) as ErrorResponse;
    assert.deepEqual([error.kind, error.providerCode], ['retry', 'InternalError']);
    assert.equal((await client.complete(session, [{ index: 0, etag }])).status, 200);
    emulator.faults.reset();
  });

  void it('answers a repeated Complete (first answer lost) with the stored object instead of NoSuchUpload', async () => {
    const { session, receipts, result } = await uploadAll(client, new Uint8Array(randomBytes(PART + 1)), { fileName: 'twice.bin' });
    const again = await client.complete(session, receipts);
    assert.equal(again.status, 200, await again.clone().text());
    assert.equal(((await again.json()) as CompleteResponse).result.etag, result.etag);
    const forged = await client.complete(session, receipts.map((r) => ({ ...r, etag: '"11111111111111111111111111111111"' })));
    assert.equal(forged.status, 404, 'other parts do not match the stored object');
  });

  void it('aborts an upload at the store, and a second abort is still 204', async () => {
    const session = await client.create(100, 'aborted.bin');
    const { urls } = await client.urls(session, [0]);
    await put(client, urls[0]!, new Uint8Array(100));
    const before = emulator.s3.uploads().length;
    const abort = () => client.call('/v1/sessions', { method: 'DELETE', headers: { authorization: `Bearer ${session.ticket}` } });
    assert.equal((await abort()).status, 204);
    assert.equal(emulator.s3.uploads().length, before - 1);
    assert.equal((await abort()).status, 204);
    assert.equal((await put(client, urls[0]!, new Uint8Array(100))).status, 404, 'the old part URL now finds no upload');
  });

  void it('refuses unknown provider options and prefixes that climb out', async () => {
    for (const body of [{ providerOptions: { acl: 'public-read' } }, { target: 'a/../../etc' }]) {
      const response = await client.call('/v1/sessions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 's3', target: 'uploads', fileName: 'x.bin', size: 1, ...body }),
      });
      assert.equal(response.status, 400);
    }
  });

  void it('never shows the secret key in any response header or body', () => {
    const everything = client.seen.join('\n');
    assert.ok(client.seen.length > 50);
    assert.ok(!everything.includes(KEYS.secretAccessKey), 'secret key leaked');
    assert.ok(everything.includes(KEYS.accessKeyId), 'the public access key id does appear (in presigned URLs)');
  });
});

void describe('backend S3 options', () => {
  void it('runs a CRC-32 upload: the upload carries the algorithm, URLs sign x-amz-checksum-crc32, Complete lists each CRC', async () => {
    const env = await fixture({ s3: { partChecksum: 'crc32' } });
    try {
      const session = await env.client.create(PART * 2 + 3);
      assert.equal(session.partChecksum, 'crc32');
      assert.equal((session.providerData as { checksumHeader?: string }).checksumHeader, 'x-amz-checksum-crc32');
      const refused = await env.client.partUrls(session, [0]);
      assert.equal(refused.status, 400, 'a CRC-32 upload needs each part\'s CRC before its URL');
      const file = new Uint8Array(randomBytes(PART * 2 + 3));
      const parts = slices(file, PART);
      const receipts: PartReceipt[] = [];
      const checksums = Object.fromEntries(parts.map((p, i) => [String(i), crc32Base64(p)]));
      const { urls } = await env.client.urls(session, [0, 1, 2], checksums);
      for (const url of urls) {
        assert.deepEqual(url.headers, { 'x-amz-checksum-crc32': checksums[String(url.index)] });
        const response = await put(env.client, url, parts[url.index]!);
        assert.equal(response.status, 200);
        receipts.push({ index: url.index, etag: response.headers.get('etag') ?? '', checksum: checksums[String(url.index)]! });
      }
      const listed = await env.client.listParts(session);
      assert.deepEqual(listed.map((p) => p.checksum), parts.map(crc32Base64), 'ListParts gives back each CRC for resume');
      const noCrc = await env.client.complete(session, receipts.map(({ checksum: _c, ...r }) => r));
      assert.equal(noCrc.status, 400);
      assert.equal((await env.client.complete(session, receipts)).status, 200);
      const object = env.emulator.s3.objects()[0];
      assert.equal(object?.checksum?.type, 'COMPOSITE');
      assert.match(object?.checksum?.value ?? '', /-3$/);
    } finally {
      await env.close();
    }
  });

  void it('signs with temporary credentials: calls and part URLs carry the session token', async () => {
    const temp = { accessKeyId: 'ASIASERVERTEMP000001', secretAccessKey: 'server-temp-secret', sessionToken: 'server-session-token-xyz' };
    const env = await fixture({
      s3: temp,
      emulator: { temporaryCredentials: [{ ...temp, expiresAt: Date.now() + 3_600_000 }] },
    });
    try {
      const { result } = await uploadAll(env.client, new Uint8Array(randomBytes(PART + 1)), { batch: 2 });
      assert.ok(result.downloadUrl?.includes('X-Amz-Security-Token=server-session-token-xyz'));
      assert.ok(!env.client.seen.join('\n').includes(temp.secretAccessKey));
    } finally {
      await env.close();
    }
  });

  void it('passes a SlowDown on create through as rate-limited with Retry-After, and a wrong secret as a fatal 502', async () => {
    const env = await fixture();
    try {
      env.emulator.faults.set({ routes: { 's3.CreateMultipartUpload': { failNext: 1, errorCode: 'SlowDown' } } });
      const limited = await env.client.call('/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 's3', target: 'x', fileName: 'a.bin', size: 1 }) });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '1');
      assert.equal(((await limited.json()) as ErrorResponse).error.kind, 'rate-limited');
    } finally {
      await env.close();
    }
    const wrong = await fixture({ s3: { secretAccessKey: 'not-the-secret-key' } });
    try {
      const response = await wrong.client.call('/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 's3', target: 'x', fileName: 'a.bin', size: 1 }) });
      assert.equal(response.status, 502);
      const { error } = (await response.json()) as ErrorResponse;
      assert.deepEqual([error.kind, error.providerCode], ['fatal', 'SignatureDoesNotMatch']);
      assert.ok(!JSON.stringify(error).includes('not-the-secret-key'));
    } finally {
      await wrong.close();
    }
  });

  void it('reads S3 settings from the environment, defaulting to the emulator', () => {
    const base = { UPLOAD_TICKET_SECRET: 'x'.repeat(40) };
    assert.deepEqual(serverOptionsFromEnv(base).providers.s3, {
      endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', bucket: 'ccu-uploads', accessKeyId: 'EMULATORS3ACCESSKEY1', secretAccessKey: 'emulator-s3-secret-key',
    });
    const custom = serverOptionsFromEnv({ ...base, EMULATOR_S3_PORT: '9100', S3_PART_CHECKSUM: 'crc32', S3_FORCE_PATH_STYLE: 'off', S3_PART_SIZE: '16777216' }).providers.s3;
    assert.deepEqual([custom?.endpoint, custom?.partChecksum, custom?.forcePathStyle, custom?.partSize], ['http://127.0.0.1:9100', 'crc32', false, 16777216]);
    assert.throws(() => serverOptionsFromEnv({ ...base, S3_PART_CHECKSUM: 'sha1' }));
  });
});
