// Aliyun PDS emulator: auth, create validation, serial and parallel part rules, presigned URL
// expiry and signatures, rapid upload, name conflicts, complete checks, upload expiry, faults,
// CORS, the request log and the JWT token grant (cloud-apis.md §2, §7 "Aliyun PDS").
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { Crc64Ecma } from '../../src/emulator/infra/crc64-ecma.js';
import { Sha1Compressor } from '../../src/emulator/infra/sha1-compressor.js';
import { pdsFixture, PDS_TEST_MIN_PART, sha1Hex, xmlCode, type PdsRawClient, type PdsResponse } from '../support/pds-fixture.js';

const PART = 4096;
const DAY = 86_400_000;

interface Created {
  fileId: string;
  uploadId: string;
  urls: string[];
}

function created(res: PdsResponse): Created {
  assert.equal(res.status, 201, res.text);
  const list = (res.json['part_info_list'] ?? []) as { upload_url: string }[];
  return { fileId: String(res.json['file_id']), uploadId: String(res.json['upload_id']), urls: list.map((p) => p.upload_url) };
}

function parts(count: number, extra: (n: number) => Record<string, unknown> = () => ({})): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({ part_number: i + 1, ...extra(i + 1) }));
}

function md5Etag(bytes: Uint8Array): string {
  return `"${createHash('md5').update(bytes).digest('hex').toUpperCase()}"`;
}

/** The parallel_sha1_ctx of each part, computed with node:crypto-independent compression (spec §2.9 item 4). */
function contexts(bytes: Uint8Array, partSize: number): { h: number[]; part_offset: number }[] {
  const out: { h: number[]; part_offset: number }[] = [];
  const c = new Sha1Compressor();
  for (let offset = 0; offset < bytes.length; offset += partSize) {
    out.push({ h: offset === 0 ? [] : c.words(), part_offset: offset });
    c.update(bytes.subarray(offset, offset + partSize));
  }
  return out;
}

async function serialUpload(api: PdsRawClient, bytes: Uint8Array<ArrayBuffer>, body: Record<string, unknown> = {}): Promise<Created> {
  const count = Math.ceil(bytes.length / PART);
  const c = created(await api.create({ name: 'serial.bin', size: bytes.length, part_info_list: parts(count), ...body }));
  for (const [i, url] of c.urls.entries()) assert.equal((await api.put(url, bytes.subarray(i * PART, (i + 1) * PART))).status, 200);
  return c;
}

void describe('PDS API auth and envelope', () => {
  void it('answers 401 AccessTokenInvalid with {code, message} and x-ca-request-id when the bearer token is missing or unknown', async (t) => {
    const { api } = await pdsFixture(t);
    for (const token of [null, 'nope']) {
      const res = await api.create({ name: 'a.txt', size: 1 }, token as string);
      assert.equal(res.status, 401);
      assert.equal(res.json['code'], 'AccessTokenInvalid');
      assert.equal(typeof res.json['message'], 'string');
      assert.match(res.headers.get('x-ca-request-id') ?? '', /^[0-9A-F-]{36}$/);
    }
  });

  void it('lets an issued token expire after 2 h with AccessTokenExpired while the configured token keeps working', async (t) => {
    const { api, emulator } = await pdsFixture(t);
    const issued = emulator.pds.issueToken('user-1');
    assert.equal(issued.expires_in, 7200);
    assert.equal((await api.create({ name: 'a.txt', size: 1 }, issued.access_token)).status, 201);
    emulator.clock.advance(7200 * 1000);
    const expired = await api.create({ name: 'b.txt', size: 1 }, issued.access_token);
    assert.equal(expired.status, 401);
    assert.equal(expired.json['code'], 'AccessTokenExpired');
    assert.equal((await api.create({ name: 'c.txt', size: 1 })).status, 201);
  });
});

void describe('PDS create', () => {
  void it('returns 201 with file_id, upload_id and presigned part URLs on the emulator that sign content_type ""', async (t) => {
    const { api, emulator } = await pdsFixture(t);
    const res = await api.create({ name: 'report.pdf', size: 3 * PART, part_info_list: parts(3), content_type: 'application/pdf' });
    assert.equal(res.status, 201, res.text);
    assert.match(String(res.json['file_id']), /^[a-z0-9]{40}$/);
    assert.match(String(res.json['upload_id']), /^[0-9A-F]{32}$/);
    assert.equal(res.json['rapid_upload'], false);
    assert.equal(res.json['exist'], false);
    assert.equal(res.json['status'], 'uploading');
    assert.equal(res.json['file_name'], 'report.pdf');
    const list = res.json['part_info_list'] as { part_number: number; upload_url: string; content_type: string }[];
    assert.deepEqual(list.map((p) => p.part_number), [1, 2, 3]);
    for (const p of list) {
      assert.equal(p.content_type, '');
      const url = new URL(p.upload_url);
      assert.equal(url.origin, emulator.url);
      for (const name of ['Expires', 'OSSAccessKeyId', 'Signature', 'partNumber', 'uploadId']) assert.ok(url.searchParams.has(name), name);
    }
  });

  void it('validates name, type, parent, drive, size and part_info_list with documented codes', async (t) => {
    const { api } = await pdsFixture(t);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ name: '' }, 400, 'InvalidParameter.Name'],
      [{ name: 'a/b' }, 400, 'InvalidParameter.Name'],
      [{ name: 'é'.repeat(513) }, 400, 'InvalidParameter.Name'],
      [{ name: 'a', type: 'folder' }, 400, 'InvalidParameterNotSupported.Type'],
      [{ name: 'a', parent_file_id: 'Root!' }, 400, 'InvalidParameter.ParentFileId'],
      [{ name: 'a', parent_file_id: 'nosuchfolder' }, 404, 'NotFound.File'],
      [{ name: 'a', drive_id: '2' }, 404, 'NotFound.Drive'],
      [{ name: 'a', size: -1 }, 400, 'InvalidParameter.Size'],
      [{ name: 'a', check_name_mode: 'overwrite' }, 400, 'InvalidParameter.CheckNameMode'],
      [{ name: 'a', part_info_list: parts(10_001) }, 400, 'InvalidParameterOutOfRange.PartInfoList'],
      [{ name: 'a', part_info_list: [{ part_number: 0 }] }, 400, 'InvalidParameterOutOfRange.PartNumber'],
      [{ name: 'a', content_hash: 'xyz' }, 400, 'InvalidParameter.ContentHash'],
    ];
    for (const [body, status, code] of cases) {
      const res = await api.create({ size: 1, ...body });
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 60)} → ${res.text}`);
      assert.equal(res.json['code'], code);
    }
    const bad = await fetch(`${api.base}/v2/file/create`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: '{nope' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { code: string }).code, 'InvalidRequestJSONFormat');
  });

  void it('accepts a name of exactly 1024 UTF-8 bytes', async (t) => {
    const { api } = await pdsFixture(t);
    assert.equal((await api.create({ name: 'é'.repeat(512), size: 1 })).status, 201);
  });

  void it('answers refuse with exist:true and the existing file, and auto_rename with a new file_name', async (t) => {
    const { api } = await pdsFixture(t);
    const first = created(await api.create({ name: 'a.txt', size: 1 }));
    const refused = await api.create({ name: 'a.txt', size: 1, check_name_mode: 'refuse' });
    assert.equal(refused.status, 201);
    assert.equal(refused.json['exist'], true);
    assert.equal(refused.json['file_id'], first.fileId);
    assert.equal(refused.json['upload_id'], undefined, 'nothing is created');
    const renamed = await api.create({ name: 'a.txt', size: 1, check_name_mode: 'auto_rename' });
    assert.equal(renamed.json['file_name'], 'a(1).txt');
    const again = await api.create({ name: 'a.txt', size: 1, check_name_mode: 'auto_rename' });
    assert.equal(again.json['file_name'], 'a(2).txt');
    const ignored = await api.create({ name: 'a.txt', size: 1 });
    assert.equal(ignored.json['file_name'], 'a.txt', 'ignore (the default) keeps the name');
  });
});

void describe('PDS serial upload', () => {
  void it('stores parts in order, ETags each with its quoted uppercase MD5, lists them, completes and serves bytes equal to the original', async (t) => {
    const { api } = await pdsFixture(t);
    const bytes = new Uint8Array(randomBytes(3 * PART + 123));
    const c = created(await api.create({ name: 'data.bin', size: bytes.length, part_info_list: parts(4) }));
    for (const [i, url] of c.urls.entries()) {
      const slice = bytes.subarray(i * PART, (i + 1) * PART);
      const res = await api.put(url, slice);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('etag'), md5Etag(slice));
    }
    const listed = await api.listParts(c.fileId, c.uploadId, { limit: 2 });
    assert.equal(listed.json['next_part_number_marker'], '2');
    assert.deepEqual((listed.json['uploaded_parts'] as { part_number: number }[]).map((p) => p.part_number), [1, 2]);
    const rest = await api.listParts(c.fileId, c.uploadId, { part_number_marker: 2 });
    assert.equal(rest.json['next_part_number_marker'], '');
    assert.deepEqual((rest.json['uploaded_parts'] as { part_number: number; part_size: number }[]).map((p) => [p.part_number, p.part_size]), [[3, PART], [4, 123]]);
    const done = await api.complete(c.fileId, c.uploadId);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json['status'], 'available');
    assert.equal(done.json['size'], bytes.length);
    assert.equal(done.json['content_hash'], sha1Hex(bytes).toUpperCase());
    assert.equal(done.json['content_hash_name'], 'sha1');
    const download = await api.download(String(done.json['download_url']));
    assert.equal(download.status, 200);
    assert.deepEqual(download.bytes, Buffer.from(bytes));
    const got = await api.call('/v2/file/get', { drive_id: '1', file_id: c.fileId });
    assert.equal(got.json['status'], 'available');
    const link = await api.call('/v2/file/get_download_url', { drive_id: '1', file_id: c.fileId, expire_sec: 60 });
    assert.equal(link.status, 200);
    assert.deepEqual((await api.download(String(link.json['url']))).bytes, Buffer.from(bytes));
  });

  void it('honours a Range on a download: 206 with Content-Range and exactly those bytes, 416 InvalidRange past the end', async (t) => {
    const { api } = await pdsFixture(t);
    const bytes = new Uint8Array(randomBytes(2 * PART + 50));
    const c = await serialUpload(api, bytes);
    const done = await api.complete(c.fileId, c.uploadId);
    assert.equal(done.status, 200, done.text);
    const url = String(done.json['download_url']);
    const middle = await fetch(url, { headers: { Range: `bytes=${PART - 10}-${PART + 9}` } });
    assert.equal(middle.status, 206);
    assert.equal(middle.headers.get('content-range'), `bytes ${PART - 10}-${PART + 9}/${bytes.length}`);
    assert.equal(middle.headers.get('content-length'), '20');
    assert.deepEqual(Buffer.from(await middle.arrayBuffer()), Buffer.from(bytes.subarray(PART - 10, PART + 10)));
    const suffix = await fetch(url, { headers: { Range: 'bytes=-7' } });
    assert.equal(suffix.status, 206);
    assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), Buffer.from(bytes.subarray(bytes.length - 7)));
    const past = await fetch(url, { headers: { Range: `bytes=${bytes.length}-` } });
    assert.equal(past.status, 416);
    assert.equal(xmlCode(await past.text()), 'InvalidRange');
  });

  void it('refuses an out-of-order part with 400 PartNotSequential and a re-sent part with 409', async (t) => {
    const { api } = await pdsFixture(t);
    const bytes = new Uint8Array(randomBytes(3 * PART));
    const c = created(await api.create({ name: 'x.bin', size: bytes.length, part_info_list: parts(3) }));
    const early = await api.put(c.urls[1]!, bytes.subarray(PART, 2 * PART));
    assert.equal(early.status, 400);
    assert.equal(xmlCode(early.text), 'PartNotSequential');
    assert.match(early.headers.get('content-type') ?? '', /xml/);
    assert.equal((await api.put(c.urls[0]!, bytes.subarray(0, PART))).status, 200);
    const again = await api.put(c.urls[0]!, bytes.subarray(0, PART));
    assert.equal(again.status, 409);
    assert.equal(xmlCode(again.text), 'PartAlreadyExist');
  });

  void it('logs one request per part PUT with the bytes received', async (t) => {
    const { api, emulator } = await pdsFixture(t);
    emulator.log.clear();
    const bytes = new Uint8Array(randomBytes(2 * PART + 10));
    await serialUpload(api, bytes);
    const puts = emulator.log.filter('pds.oss.put_part');
    assert.deepEqual(puts.map((e) => [e.status, e.bytesIn]), [[200, PART], [200, PART], [200, 10]]);
  });
});

void describe('PDS presigned URLs', () => {
  void it('refuses a Content-Type other than the signed one with 403 SignatureDoesNotMatch, and a tampered or unsigned URL', async (t) => {
    const { api } = await pdsFixture(t);
    const c = created(await api.create({ name: 'x.bin', size: 10 }));
    const bytes = new Uint8Array(10);
    const typed = await api.put(c.urls[0]!, bytes, { 'content-type': 'application/octet-stream' });
    assert.equal(typed.status, 403);
    assert.equal(xmlCode(typed.text), 'SignatureDoesNotMatch');
    const tampered = new URL(c.urls[0]!);
    tampered.searchParams.set('Expires', String(Number(tampered.searchParams.get('Expires')) + 3600));
    assert.equal(xmlCode((await api.put(tampered.href, bytes)).text), 'SignatureDoesNotMatch');
    const unsigned = new URL(c.urls[0]!);
    unsigned.searchParams.delete('Signature');
    const anonymous = await api.put(unsigned.href, bytes);
    assert.equal(anonymous.status, 403);
    assert.equal(xmlCode(anonymous.text), 'AccessDenied');
    assert.equal((await api.put(c.urls[0]!, bytes)).status, 200, 'the genuine URL still works');
  });

  void it('expires part URLs after 15 min with 403 AccessDenied "Request has expired." and get_upload_url gives working ones', async (t) => {
    const { api, emulator } = await pdsFixture(t);
    const c = created(await api.create({ name: 'x.bin', size: 10 }));
    emulator.clock.advance(15 * 60 * 1000 + 1000);
    const late = await api.put(c.urls[0]!, new Uint8Array(10));
    assert.equal(late.status, 403);
    assert.equal(xmlCode(late.text), 'AccessDenied');
    assert.match(late.text, /<Message>Request has expired\.<\/Message>/);
    assert.match(late.text, /<RequestId>[0-9A-F]+<\/RequestId>/);
    const fresh = await api.getUploadUrl(c.fileId, c.uploadId, [{ part_number: 1 }]);
    assert.equal(fresh.status, 200, fresh.text);
    const url = (fresh.json['part_info_list'] as { upload_url: string }[])[0]!.upload_url;
    assert.equal((await api.put(url, new Uint8Array(10))).status, 200);
  });

  void it('expires every issued URL at once through the admin route, while URLs issued afterwards work immediately', async (t) => {
    const { api } = await pdsFixture(t);
    const c = created(await api.create({ name: 'x.bin', size: 10 }));
    const admin = await fetch(`${api.base}/__emulator/pds/expire-urls`, { method: 'POST' });
    assert.equal(admin.status, 200);
    const old = await api.put(c.urls[0]!, new Uint8Array(10));
    assert.equal(old.status, 403);
    assert.match(old.text, /Request has expired/);
    const fresh = await api.getUploadUrl(c.fileId, c.uploadId, [{ part_number: 1 }]);
    const url = (fresh.json['part_info_list'] as { upload_url: string }[])[0]!.upload_url;
    assert.equal((await api.put(url, new Uint8Array(10))).status, 200);
  });

  void it('exposes ETag to browsers on storage responses unless the toggle hides it, and answers preflights', async (t) => {
    const { api, emulator } = await pdsFixture(t);
    const c = created(await api.create({ name: 'x.bin', size: 20, part_info_list: parts(2) }));
    const first = await api.put(c.urls[0]!, new Uint8Array(PDS_TEST_MIN_PART).subarray(0, 10));
    assert.equal(first.headers.get('access-control-allow-origin'), '*');
    assert.match(first.headers.get('access-control-expose-headers') ?? '', /\bETag\b/);
    emulator.pds.updateSettings({ exposeEtag: false });
    const second = await api.put(c.urls[1]!, new Uint8Array(10));
    assert.equal(second.status, 200);
    assert.ok(second.headers.get('etag'), 'the header is still sent');
    assert.doesNotMatch(second.headers.get('access-control-expose-headers') ?? '', /ETag/i, 'but not exposed to scripts');
    const preflight = await fetch(c.urls[0]!, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:5173', 'access-control-request-method': 'PUT' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /PUT/);
    const apiPreflight = await fetch(`${api.base}/v2/file/create`, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:5173', 'access-control-request-method': 'POST' } });
    assert.equal(apiPreflight.status, 204);
    assert.match(apiPreflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  });
});

void describe('PDS parallel upload', () => {
  void it('takes parts in any order with chained SHA-1 contexts sent through get_upload_url and completes', async (t) => {
    const { api } = await pdsFixture(t);
    const bytes = new Uint8Array(randomBytes(3 * PART + 7));
    const ctx = contexts(bytes, PART);
    const c = created(await api.create({ name: 'p.bin', size: bytes.length, parallel_upload: true }));
    const urls = await api.getUploadUrl(c.fileId, c.uploadId, parts(4, (n) => ({ parallel_sha1_ctx: ctx[n - 1] })));
    assert.equal(urls.status, 200, urls.text);
    const list = (urls.json['part_info_list'] as { upload_url: string }[]).map((p) => p.upload_url);
    for (const i of [3, 1, 0, 2]) assert.equal((await api.put(list[i]!, bytes.subarray(i * PART, (i + 1) * PART))).status, 200);
    // A part may be sent again in parallel mode.
    assert.equal((await api.put(list[1]!, bytes.subarray(PART, 2 * PART))).status, 200);
    const listed = await api.listParts(c.fileId, c.uploadId);
    assert.equal(listed.json['parallel_upload'], true);
    const done = await api.complete(c.fileId, c.uploadId);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json['content_hash'], sha1Hex(bytes).toUpperCase());
    assert.deepEqual((await api.download(String(done.json['download_url']))).bytes, Buffer.from(bytes));
  });

  void it('refuses at complete a part whose context does not chain from the previous part with InvalidParameter.ParallelSha1Ctx', async (t) => {
    const { api } = await pdsFixture(t);
    const bytes = new Uint8Array(randomBytes(2 * PART));
    const ctx = contexts(bytes, PART);
    const wrong = { h: ctx[1]!.h.map((v, i) => (i === 0 ? (v ^ 1) >>> 0 : v)), part_offset: PART };
    const c = created(await api.create({ name: 'p.bin', size: bytes.length, parallel_upload: true, part_info_list: [{ part_number: 1, parallel_sha1_ctx: ctx[0] }, { part_number: 2, parallel_sha1_ctx: wrong }] }));
    for (const [i, url] of c.urls.entries()) assert.equal((await api.put(url, bytes.subarray(i * PART, (i + 1) * PART))).status, 200);
    const done = await api.complete(c.fileId, c.uploadId);
    assert.equal(done.status, 400);
    assert.equal(done.json['code'], 'InvalidParameter.ParallelSha1Ctx');
    assert.match(String(done.json['message']), /part 2/);
  });

  void it('requires 64-byte aligned part offsets, a context for every part but the first, and parts but the last in multiples of 64', async (t) => {
    const { api } = await pdsFixture(t);
    const c = created(await api.create({ name: 'p.bin', size: 3000, parallel_upload: true }));
    const unaligned = await api.getUploadUrl(c.fileId, c.uploadId, [{ part_number: 2, parallel_sha1_ctx: { h: [1, 2, 3, 4, 5], part_offset: 1000 } }]);
    assert.equal(unaligned.status, 400);
    assert.equal(unaligned.json['code'], 'InvalidParameter.ParallelSha1Ctx');
    const bare = await api.getUploadUrl(c.fileId, c.uploadId, [{ part_number: 2 }]);
    const noCtx = await api.put((bare.json['part_info_list'] as { upload_url: string }[])[0]!.upload_url, new Uint8Array(10));
    assert.equal(noCtx.status, 400);
    assert.equal(xmlCode(noCtx.text), 'InvalidArgument');
    // 1100 + 1900 bytes: part 1 is not a multiple of 64, so part 2 cannot start where it ends.
    const bytes = new Uint8Array(randomBytes(3000));
    const c1 = new Sha1Compressor();
    c1.update(bytes.subarray(0, 1088));
    const d = created(await api.create({ name: 'q.bin', size: 3000, parallel_upload: true, part_info_list: [{ part_number: 1 }, { part_number: 2, parallel_sha1_ctx: { h: c1.words(), part_offset: 1088 } }] }));
    assert.equal((await api.put(d.urls[0]!, bytes.subarray(0, 1100))).status, 200);
    assert.equal((await api.put(d.urls[1]!, bytes.subarray(1100))).status, 200);
    const done = await api.complete(d.fileId, d.uploadId);
    assert.equal(done.status, 400);
    assert.equal(done.json['code'], 'InvalidParameter.PartSize');
    assert.match(String(done.json['message']), /part 1 is 1100 bytes/);
  });

  void it('answers InvalidParameterNotSupported.ParallelUpload when the domain refuses parallel mode', async (t) => {
    const { api } = await pdsFixture(t, { pds: { parallelUpload: false } });
    const res = await api.create({ name: 'p.bin', size: 10, parallel_upload: true });
    assert.equal(res.status, 400);
    assert.equal(res.json['code'], 'InvalidParameterNotSupported.ParallelUpload');
  });
});

void describe('PDS rapid upload', () => {
  void it('answers a pre_hash probe 409 PreHashMatched only when size and first-KiB SHA-1 match stored content', async (t) => {
    const { api } = await pdsFixture(t);
    const bytes = new Uint8Array(randomBytes(2 * PART));
    await api.upload(bytes, PART);
    const preHash = sha1Hex(bytes.subarray(0, 1024));
    const hit = await api.create({ name: 'dup.bin', size: bytes.length, pre_hash: preHash });
    assert.equal(hit.status, 409);
    assert.equal(hit.json['code'], 'PreHashMatched');
    const otherSize = await api.create({ name: 'dup.bin', size: bytes.length + 1, pre_hash: preHash });
    assert.equal(otherSize.status, 201, 'no match → a normal upload');
    assert.equal(otherSize.json['rapid_upload'], false);
  });

  void it('completes a create with content_hash and a right proof_code at once (no part bytes sent) and refuses a wrong proof', async (t) => {
    const { api, emulator } = await pdsFixture(t);
    const bytes = new Uint8Array(randomBytes(2 * PART + 5));
    await api.upload(bytes, PART);
    const hash = sha1Hex(bytes);
    // The proof is computed by the test from the spec (§2.9 item 3), not with the emulator's helper.
    const v = BigInt(`0x${createHash('md5').update(api.token).digest('hex').slice(0, 16)}`);
    const start = Number(v % BigInt(bytes.length));
    const proof = Buffer.from(bytes.subarray(start, Math.min(start + 8, bytes.length))).toString('base64');
    const wrong = await api.create({ name: 'dup.bin', size: bytes.length, content_hash: hash, content_hash_name: 'sha1', proof_code: 'AAAAAAAAAAA=', proof_version: 'v1' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json['code'], 'InvalidRapidProof');
    emulator.log.clear();
    const rapid = await api.create({ name: 'dup.bin', size: bytes.length, content_hash: hash.toLowerCase(), content_hash_name: 'sha1', proof_code: proof, proof_version: 'v1' });
    assert.equal(rapid.status, 201, rapid.text);
    assert.equal(rapid.json['rapid_upload'], true);
    assert.equal(rapid.json['status'], 'available');
    assert.equal(rapid.json['part_info_list'], undefined);
    assert.equal(emulator.log.filter('pds.oss.put_part').length, 0, 'no part bytes were sent');
    const link = await api.call('/v2/file/get_download_url', { drive_id: '1', file_id: rapid.json['file_id'] });
    assert.deepEqual((await api.download(String(link.json['url']))).bytes, Buffer.from(bytes));
  });

  void it('treats content_hash without proof_code as a normal upload whose bytes are checked against it at complete', async (t) => {
    const { api } = await pdsFixture(t);
    const bytes = new Uint8Array(randomBytes(PART));
    await api.upload(bytes, PART);
    const plain = await api.create({ name: 'dup.bin', size: bytes.length, content_hash: sha1Hex(bytes).toUpperCase(), content_hash_name: 'sha1' });
    assert.equal(plain.status, 201);
    assert.equal(plain.json['rapid_upload'], false);
    const other = new Uint8Array(randomBytes(PART));
    const c = await serialUpload(api, other, { content_hash: sha1Hex(bytes) });
    const done = await api.complete(c.fileId, c.uploadId);
    assert.equal(done.status, 400);
    assert.equal(done.json['code'], 'InvalidParameter.ContentHash');
  });
});

void describe('PDS complete', () => {
  void it('refuses a gap with InvalidParameter.PartMissing, a small middle part with EntityTooSmall and a wrong crc64_hash', async (t) => {
    const { api } = await pdsFixture(t);
    const anyCtx = { h: [1, 2, 3, 4, 5], part_offset: 2 * PART };
    const gap = created(await api.create({ name: 'g.bin', size: 3 * PART, parallel_upload: true, part_info_list: [{ part_number: 1 }, { part_number: 3, parallel_sha1_ctx: anyCtx }] }));
    assert.equal((await api.put(gap.urls[0]!, new Uint8Array(PART))).status, 200);
    assert.equal((await api.put(gap.urls[1]!, new Uint8Array(PART))).status, 200);
    const missing = await api.complete(gap.fileId, gap.uploadId);
    assert.equal(missing.status, 400);
    assert.equal(missing.json['code'], 'InvalidParameter.PartMissing');
    assert.match(String(missing.json['message']), /part 2\b/);

    const small = created(await api.create({ name: 's.bin', part_info_list: parts(2) }));
    assert.equal((await api.put(small.urls[0]!, new Uint8Array(PDS_TEST_MIN_PART - 1))).status, 200);
    assert.equal((await api.put(small.urls[1]!, new Uint8Array(10))).status, 200);
    const tooSmall = await api.complete(small.fileId, small.uploadId);
    assert.equal(tooSmall.json['code'], 'EntityTooSmall');

    const bytes = new Uint8Array(randomBytes(PART));
    const c = await serialUpload(api, bytes);
    const crc = await api.complete(c.fileId, c.uploadId, { crc64_hash: '12345' });
    assert.equal(crc.status, 400);
    assert.equal(crc.json['code'], 'InvalidParameter.Crc64Hash');
  });

  void it('moves nothing when complete is refused: the same upload then completes with the CRC-64 and SHA-1 of the whole file', async (t) => {
    const { api } = await pdsFixture(t);
    const bytes = new Uint8Array(randomBytes(3 * PART + 5));
    const c = await serialUpload(api, bytes);
    const expectedCrc = new Crc64Ecma().update(bytes).toString();
    const refused = await api.complete(c.fileId, c.uploadId, { crc64_hash: '12345' });
    assert.equal(refused.json['code'], 'InvalidParameter.Crc64Hash');
    const listed = await api.listParts(c.fileId, c.uploadId);
    assert.equal((listed.json['uploaded_parts'] as unknown[]).length, 4, 'the parts are still there');
    const done = await api.complete(c.fileId, c.uploadId, { crc64_hash: expectedCrc });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json['crc64_hash'], expectedCrc);
    assert.equal(done.json['content_hash'], sha1Hex(bytes).toUpperCase());
    assert.deepEqual((await api.download(String(done.json['download_url']))).bytes, Buffer.from(bytes));
  });

  void it('combines the CRC-64 of parallel parts sent out of order', async (t) => {
    const { api } = await pdsFixture(t);
    const bytes = new Uint8Array(randomBytes(4 * PART + 99));
    const ctx = contexts(bytes, PART);
    const c = created(await api.create({ name: 'crc.bin', size: bytes.length, parallel_upload: true }));
    const urls = await api.getUploadUrl(c.fileId, c.uploadId, parts(5, (n) => ({ parallel_sha1_ctx: ctx[n - 1] })));
    const list = (urls.json['part_info_list'] as { upload_url: string }[]).map((p) => p.upload_url);
    for (const i of [4, 2, 0, 3, 1]) assert.equal((await api.put(list[i]!, bytes.subarray(i * PART, (i + 1) * PART))).status, 200);
    const done = await api.complete(c.fileId, c.uploadId, { crc64_hash: new Crc64Ecma().update(bytes).toString() });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json['content_hash'], sha1Hex(bytes).toUpperCase());
  });

  void it('answers NotFound.UploadId to a second complete and AlreadyExist.File to get_upload_url after completion', async (t) => {
    const { api } = await pdsFixture(t);
    const c = await serialUpload(api, new Uint8Array(randomBytes(PART)));
    assert.equal((await api.complete(c.fileId, c.uploadId)).status, 200);
    const again = await api.complete(c.fileId, c.uploadId);
    assert.equal(again.status, 404);
    assert.equal(again.json['code'], 'NotFound.UploadId');
    const urls = await api.getUploadUrl(c.fileId, c.uploadId, [{ part_number: 1 }]);
    assert.equal(urls.status, 409);
    assert.equal(urls.json['code'], 'AlreadyExist.File');
  });

  void it('stores an empty file from one empty part', async (t) => {
    const { api } = await pdsFixture(t);
    const c = created(await api.create({ name: 'empty.txt', size: 0 }));
    assert.equal((await api.put(c.urls[0]!, new Uint8Array(0))).status, 200);
    const done = await api.complete(c.fileId, c.uploadId);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json['size'], 0);
    assert.equal(done.json['content_hash'], sha1Hex(new Uint8Array(0)).toUpperCase());
  });

  void it('expires unfinished uploads after 10 days: NotFound.UploadId on the API, NoSuchUpload on storage', async (t) => {
    const { api, emulator } = await pdsFixture(t);
    const c = created(await api.create({ name: 'old.bin', size: 2 * PART, part_info_list: parts(2) }));
    assert.equal((await api.put(c.urls[0]!, new Uint8Array(PART))).status, 200);
    emulator.clock.advance(10 * DAY);
    const fresh = await api.getUploadUrl(c.fileId, c.uploadId, [{ part_number: 2 }]);
    assert.equal(fresh.status, 404);
    assert.equal(fresh.json['code'], 'NotFound.UploadId');
    assert.equal((await api.listParts(c.fileId, c.uploadId)).json['code'], 'NotFound.UploadId');
    assert.equal((await api.complete(c.fileId, c.uploadId)).json['code'], 'NotFound.UploadId');
    const d = created(await api.create({ name: 'new.bin', size: 10 }));
    assert.equal(await emulator.pds.expireUploads(), 1);
    const put = await api.put(d.urls[0]!, new Uint8Array(10));
    assert.equal(put.status, 404);
    assert.equal(xmlCode(put.text), 'NoSuchUpload');
  });

  void it('deletes an uploading file and its parts with /v2/file/delete (204)', async (t) => {
    const { api } = await pdsFixture(t);
    const c = created(await api.create({ name: 'gone.bin', size: 10 }));
    const res = await api.call('/v2/file/delete', { drive_id: '1', file_id: c.fileId });
    assert.equal(res.status, 204);
    assert.equal((await api.call('/v2/file/get', { drive_id: '1', file_id: c.fileId })).json['code'], 'NotFound.File');
    assert.equal(xmlCode((await api.put(c.urls[0]!, new Uint8Array(10))).text), 'NoSuchUpload');
  });

  void it('keeps finished files downloadable and open uploads resumable across a restart on the same data folder', async (t) => {
    const first = await pdsFixture(t);
    const bytes = new Uint8Array(randomBytes(2 * PART));
    const done = await first.api.upload(bytes, PART);
    const open = created(await first.api.create({ name: 'open.bin', size: PART, part_info_list: parts(1) }));
    await first.emulator.close();
    const second = await pdsFixture(t, { dataDir: first.dataDir });
    const link = await second.api.call('/v2/file/get_download_url', { drive_id: '1', file_id: done.json['file_id'] });
    assert.deepEqual((await second.api.download(String(link.json['url']))).bytes, Buffer.from(bytes));
    const urls = await second.api.getUploadUrl(open.fileId, open.uploadId, [{ part_number: 1 }]);
    assert.equal(urls.status, 200, urls.text);
  });

  void it('continues the SHA-1 of a serial upload after a restart between two parts', async (t) => {
    const first = await pdsFixture(t);
    const bytes = new Uint8Array(randomBytes(2 * PART + 17));
    const c = created(await first.api.create({ name: 'resumed.bin', size: bytes.length, part_info_list: parts(3), content_hash: sha1Hex(bytes) }));
    assert.equal((await first.api.put(c.urls[0]!, bytes.subarray(0, PART))).status, 200);
    await first.emulator.close();
    const second = await pdsFixture(t, { dataDir: first.dataDir });
    const urls = await second.api.getUploadUrl(c.fileId, c.uploadId, parts(3));
    const list = (urls.json['part_info_list'] as { upload_url: string }[]).map((p) => p.upload_url);
    for (const i of [1, 2]) assert.equal((await second.api.put(list[i]!, bytes.subarray(i * PART, (i + 1) * PART))).status, 200);
    const done = await second.api.complete(c.fileId, c.uploadId);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json['content_hash'], sha1Hex(bytes).toUpperCase());
  });
});

void describe('PDS faults and limits', () => {
  void it('injects a gateway 504 D504TO with error headers and no body, and PDS codes with their statuses', async (t) => {
    const { api, emulator } = await pdsFixture(t);
    emulator.faults.set({ routes: { 'pds.file.create': { failNext: 1, errorCode: 'D504TO' }, 'pds.file.complete': { failNext: 1 } } });
    const gateway = await api.create({ name: 'a', size: 1 });
    assert.equal(gateway.status, 504);
    assert.equal(gateway.text, '');
    assert.equal(gateway.headers.get('x-ca-error-code'), 'D504TO');
    assert.equal(gateway.headers.get('x-ca-error-message'), 'timeout');
    assert.ok(gateway.headers.get('x-ca-request-id'));
    const c = created(await api.create({ name: 'a', size: 1 }));
    assert.equal((await api.put(c.urls[0]!, new Uint8Array(1))).status, 200);
    const internal = await api.complete(c.fileId, c.uploadId);
    assert.equal(internal.status, 500);
    assert.equal(internal.json['code'], 'InternalError');
    assert.equal((await api.complete(c.fileId, c.uploadId)).status, 200, 'the retry succeeds');
  });

  void it('injects OSS XML errors on part PUTs, including a simulated expiry', async (t) => {
    const { api, emulator } = await pdsFixture(t);
    const c = created(await api.create({ name: 'a', size: 1 }));
    emulator.faults.set({ routes: { 'pds.oss.put_part': { failNext: 2 } } });
    const first = await api.put(c.urls[0]!, new Uint8Array(1));
    assert.equal(first.status, 500);
    assert.equal(xmlCode(first.text), 'InternalError');
    emulator.faults.set({ routes: { 'pds.oss.put_part': { failNext: 1, errorCode: 'AccessDenied' } } });
    const expired = await api.put(c.urls[0]!, new Uint8Array(1));
    assert.equal(expired.status, 403);
    assert.match(expired.text, /Request has expired/);
    assert.equal((await api.put(c.urls[0]!, new Uint8Array(1))).status, 200);
  });

  void it('answers 429 TooManyRequests when the rate limiter is on and trips', async (t) => {
    const { api } = await pdsFixture(t, { now: () => Date.UTC(2026, 0, 1), pds: { rateLimit: { enabled: true, qps: 2 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await api.create({ name: `r${i}`, size: 1 })).status);
    assert.deepEqual(statuses, [201, 201, 429]);
    assert.equal((await api.create({ name: 'r', size: 1 })).json['code'], 'TooManyRequests');
  });
});

void describe('PDS /v2/oauth/token (JWT app)', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const assertion = (claims: Record<string, unknown>, key = privateKey): string => {
    const head = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}`;
    return `${head}.${sign('RSA-SHA256', Buffer.from(head), key).toString('base64url')}`;
  };
  const grant = (base: string, jwt: string): Promise<Response> =>
    fetch(`${base}/v2/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', client_id: 'app-1', assertion: jwt }),
    });

  void it('issues a working access token for a valid RS256 assertion and refuses a replay, a foreign key and an expired assertion', async (t) => {
    const now = Date.UTC(2026, 0, 1);
    const { api } = await pdsFixture(t, { now: () => now, pds: { domainId: 'dom1', jwtApp: { clientId: 'app-1', publicKey: publicPem } } });
    const claims = { iss: 'app-1', sub: 'user-7', sub_type: 'user', aud: 'dom1', jti: randomBytes(16).toString('hex'), exp: now / 1000 + 60 };
    const ok = await grant(api.base, assertion(claims));
    assert.equal(ok.status, 200);
    const token = (await ok.json()) as { access_token: string; expires_in: number; token_type: string };
    assert.equal(token.token_type, 'Bearer');
    assert.equal(token.expires_in, 7200);
    assert.equal((await api.create({ name: 'a', size: 1 }, token.access_token)).status, 201);
    const replay = await grant(api.base, assertion(claims));
    assert.equal(replay.status, 401);
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assert.equal((await grant(api.base, assertion({ ...claims, jti: randomBytes(16).toString('hex') }, foreign))).status, 401);
    assert.equal((await grant(api.base, assertion({ ...claims, jti: randomBytes(16).toString('hex'), exp: now / 1000 - 1 }))).status, 401);
    assert.equal((await grant(api.base, assertion({ ...claims, jti: randomBytes(16).toString('hex'), aud: 'other' }))).status, 401);
  });
});
