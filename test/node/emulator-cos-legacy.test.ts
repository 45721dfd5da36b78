import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { startEmulator } from '../../src/emulator/index.js';
import {
  COS_TEST,
  COS_TEST_SLICE,
  CosRawClient,
  cosFixture,
  uploadparts,
  type CosFixture,
  type CosResponse,
} from '../support/cos-legacy-client.js';
import { sha1Hex, type FormField } from '../support/emulator-fixture.js';
import { specPattern } from '../../src/engine/testing/spec-pattern.js';

/** The §6 `uploadparts` of T with 1 MiB slices, verbatim. */
const SPEC_UPLOADPARTS =
  '[{"offset":0,"datalen":1048576,"datasha":"bc92149b0ce9d856ab29eb0a92f3e63e43355e67"},{"offset":1048576,"datalen":1048576,"datasha":"29d3a11d3780c46c9e1034ece2c4b0602855568b"},{"offset":2097152,"datalen":1000,"datasha":"74cd8cbb2068246cb1874ce35fe4742904ee506c"}]';
const SPEC_SHA1 = '74cd8cbb2068246cb1874ce35fe4742904ee506c';

interface InitFields {
  filesize: number;
  sliceSize?: number;
  sha?: string;
  uploadparts?: string;
  insertOnly?: string;
  bizAttr?: string;
}

function init(fx: CosFixture, path: string, f: InitFields): Promise<CosResponse> {
  const fields: FormField[] = [['op', 'upload_slice_init'], ['filesize', String(f.filesize)], ['slice_size', String(f.sliceSize ?? COS_TEST_SLICE)]];
  if (f.sha !== undefined) fields.push(['sha', f.sha]);
  if (f.uploadparts !== undefined) fields.push(['uploadparts', f.uploadparts]);
  if (f.insertOnly !== undefined) fields.push(['insertOnly', f.insertOnly]);
  if (f.bizAttr !== undefined) fields.push(['biz_attr', f.bizAttr]);
  return fx.client.post(path, fields, fx.sign(path));
}

function data(fx: CosFixture, path: string, session: string, offset: number, bytes: Buffer, extra: { field?: string; sha?: string; datamd5?: string } = {}): Promise<CosResponse> {
  const fields: FormField[] = [['op', 'upload_slice_data'], ['session', session], ['offset', String(offset)]];
  if (extra.sha !== undefined) fields.push(['sha', extra.sha]);
  if (extra.datamd5 !== undefined) fields.push(['datamd5', extra.datamd5]);
  fields.push([extra.field ?? 'filecontent', bytes]);
  return fx.client.post(path, fields, fx.sign(path));
}

function finish(fx: CosFixture, path: string, session: string, filesize: number, sha?: string): Promise<CosResponse> {
  const fields: FormField[] = [['op', 'upload_slice_finish'], ['session', session], ['filesize', String(filesize)]];
  if (sha !== undefined) fields.push(['sha', sha]);
  return fx.client.post(path, fields, fx.sign(path));
}

function list(fx: CosFixture, path: string): Promise<CosResponse> {
  return fx.client.post(path, [['op', 'upload_slice_list']], fx.sign(path));
}

function ok(res: CosResponse): Record<string, unknown> {
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(res.json.code, 0, res.body.toString());
  assert.equal(res.json.message, 'SUCCESS');
  assert.equal(typeof res.json.request_id, 'string');
  return res.json.data ?? {};
}

function refused(res: CosResponse, code: number, status: number): void {
  assert.equal(res.json.code, code, res.body.toString());
  assert.equal(res.status, status, res.body.toString());
}

function slicesOf(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < bytes.length; o += size) out.push(bytes.subarray(o, o + size));
  return out;
}

async function initSession(fx: CosFixture, path: string, f: InitFields): Promise<{ session: string; sliceSize: number; serial: number }> {
  const d = ok(await init(fx, path, f));
  assert.equal(typeof d['session'], 'string');
  return { session: d['session'] as string, sliceSize: d['slice_size'] as number, serial: d['serial_upload'] as number };
}

/** Serial upload of `bytes` to `path` in slices of COS_TEST_SLICE; returns finish data. */
async function serialUpload(fx: CosFixture, path: string, bytes: Buffer, extra: Partial<InitFields> = {}): Promise<Record<string, unknown>> {
  const { session, sliceSize } = await initSession(fx, path, { filesize: bytes.length, ...extra });
  for (const [i, slice] of slicesOf(bytes, sliceSize).entries()) ok(await data(fx, path, session, i * sliceSize, slice));
  return ok(await finish(fx, path, session, bytes.length, extra.sha));
}

async function downloadOf(fx: CosFixture, result: Record<string, unknown>): Promise<Buffer> {
  const res = await fx.client.download(result['source_url'] as string);
  assert.equal(res.status, 200, res.body.toString());
  return res.body;
}

void describe('COS legacy emulator: slice uploads', () => {
  void it('stores T from the §6 uploadparts with slices sent out of order, verifying each slice, and serves the same bytes', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const file = Buffer.from(specPattern().buffer);
    const path = 'spec/T.bin';
    const { session, sliceSize, serial } = await initSession(fx, path, { filesize: file.length, sliceSize: 1048576, sha: SPEC_SHA1, uploadparts: SPEC_UPLOADPARTS });
    assert.equal(serial, 0);
    assert.equal(sliceSize, 1048576);
    assert.match(session, /^[0-9a-f]{96}$/);
    for (const index of [2, 0, 1]) {
      const res = ok(await data(fx, path, session, index * sliceSize, file.subarray(index * sliceSize, (index + 1) * sliceSize)));
      assert.deepEqual(res, { session, offset: index * sliceSize });
    }
    const done = ok(await finish(fx, path, session, file.length, SPEC_SHA1));
    assert.equal(done['resource_path'], `/${COS_TEST.appId}/${COS_TEST.bucket}/spec/T.bin`);
    assert.equal(done['url'], `${fx.emulator.url}/files/v2/${COS_TEST.appId}/${COS_TEST.bucket}/spec/T.bin`);
    assert.equal(done['access_url'], done['source_url']);
    const routes = fx.emulator.log.filter('cos-legacy.*').map((e) => [e.route, e.code]);
    assert.deepEqual(routes, [['cos-legacy.upload_slice_init', 0], ...Array<[string, number]>(3).fill(['cos-legacy.upload_slice_data', 0]), ['cos-legacy.upload_slice_finish', 0]]);
    assert.ok(file.equals(await downloadOf(fx, done)));
    assert.deepEqual(fx.emulator.cosLegacy.files().map((f) => [f.path, f.size, f.sha, f.crc64]), [['spec/T.bin', file.length, SPEC_SHA1, '6308591932164412187']]);
  });

  void it('refuses a slice whose bytes do not match its datasha with -4016, for a middle slice and for the last one', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const file = randomBytes(COS_TEST_SLICE * 2 + 100);
    const parts = await uploadparts(file, COS_TEST_SLICE);
    const { session } = await initSession(fx, 'x.bin', { filesize: file.length, sha: sha1Hex(file), uploadparts: JSON.stringify(parts) });
    const bad = Buffer.from(file.subarray(COS_TEST_SLICE, 2 * COS_TEST_SLICE));
    bad[7] = (bad[7] ?? 0) ^ 1;
    refused(await data(fx, 'x.bin', session, COS_TEST_SLICE, bad), -4016, 409);
    const badLast = Buffer.from(file.subarray(2 * COS_TEST_SLICE));
    badLast[0] = (badLast[0] ?? 0) ^ 1;
    refused(await data(fx, 'x.bin', session, 2 * COS_TEST_SLICE, badLast), -4016, 409);
    // The genuine slices are still accepted afterwards.
    for (const [i, slice] of slicesOf(file, COS_TEST_SLICE).entries()) ok(await data(fx, 'x.bin', session, i * COS_TEST_SLICE, slice));
    assert.ok(file.equals(await downloadOf(fx, ok(await finish(fx, 'x.bin', session, file.length, sha1Hex(file))))));
  });

  void it('answers serial_upload=1 without uploadparts and then only takes slices in order, re-sends included', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const file = randomBytes(COS_TEST_SLICE * 3 + 5);
    const { session, serial } = await initSession(fx, 's.bin', { filesize: file.length });
    assert.equal(serial, 1);
    const slices = slicesOf(file, COS_TEST_SLICE);
    refused(await data(fx, 's.bin', session, 2 * COS_TEST_SLICE, slices[2] ?? Buffer.alloc(0)), -5999, 400);
    ok(await data(fx, 's.bin', session, 0, slices[0] ?? Buffer.alloc(0)));
    // A re-sent slice with the same bytes is accepted (a lost response); other bytes are not.
    ok(await data(fx, 's.bin', session, 0, slices[0] ?? Buffer.alloc(0)));
    refused(await data(fx, 's.bin', session, 0, randomBytes(COS_TEST_SLICE)), -4016, 409);
    ok(await data(fx, 's.bin', session, COS_TEST_SLICE, slices[1] ?? Buffer.alloc(0)));
    refused(await finish(fx, 's.bin', session, file.length), -5999, 400);
    ok(await data(fx, 's.bin', session, 2 * COS_TEST_SLICE, slices[2] ?? Buffer.alloc(0)));
    ok(await data(fx, 's.bin', session, 3 * COS_TEST_SLICE, slices[3] ?? Buffer.alloc(0)));
    // Serial uploads are verified at finish against the running SHA-1 the emulator kept.
    refused(await finish(fx, 's.bin', session, file.length, sha1Hex(randomBytes(8))), -4016, 409);
    assert.ok(file.equals(await downloadOf(fx, ok(await finish(fx, 's.bin', session, file.length, sha1Hex(file))))));
  });

  void it('checks finish: -175 for another filesize, -29094 without the sha init carried, -4016 when the file does not match sha', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const file = randomBytes(COS_TEST_SLICE + 1);
    const wrong = sha1Hex(Buffer.from('not the file'));
    const { session } = await initSession(fx, 'f.bin', { filesize: file.length, sha: wrong });
    for (const [i, slice] of slicesOf(file, COS_TEST_SLICE).entries()) ok(await data(fx, 'f.bin', session, i * COS_TEST_SLICE, slice));
    refused(await finish(fx, 'f.bin', session, file.length + 1, wrong), -175, 400);
    refused(await finish(fx, 'f.bin', session, file.length), -29094, 400);
    refused(await finish(fx, 'f.bin', session, file.length, wrong), -4016, 409);
  });

  void it('accepts the content field spelled filecontent and fileContent', async (t: TestContext) => {
    const fx = await cosFixture(t);
    for (const field of ['filecontent', 'fileContent']) {
      const file = randomBytes(COS_TEST_SLICE + 77);
      const path = `${field}.bin`;
      const { session } = await initSession(fx, path, { filesize: file.length });
      for (const [i, slice] of slicesOf(file, COS_TEST_SLICE).entries()) ok(await data(fx, path, session, i * COS_TEST_SLICE, slice, { field }));
      assert.ok(file.equals(await downloadOf(fx, ok(await finish(fx, path, session, file.length)))));
    }
  });

  void it('validates slice data: offsets on slice boundaries, exact slice lengths, one content field, a sha equal to init', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const file = randomBytes(COS_TEST_SLICE * 2);
    const parts = await uploadparts(file, COS_TEST_SLICE);
    const { session } = await initSession(fx, 'v.bin', { filesize: file.length, sha: sha1Hex(file), uploadparts: JSON.stringify(parts) });
    refused(await data(fx, 'v.bin', session, 100, file.subarray(100, 200)), -5999, 400);
    refused(await data(fx, 'v.bin', session, 2 * COS_TEST_SLICE, Buffer.alloc(1)), -5999, 400);
    refused(await data(fx, 'v.bin', session, 0, file.subarray(0, COS_TEST_SLICE - 1)), -5999, 400);
    refused(await data(fx, 'v.bin', session, 0, file.subarray(0, COS_TEST_SLICE), { sha: sha1Hex(Buffer.from('x')) }), -4016, 409);
    refused(await data(fx, 'v.bin', 'f'.repeat(96), 0, file.subarray(0, COS_TEST_SLICE)), -197, 404);
    const both = await fx.client.post('v.bin', [['op', 'upload_slice_data'], ['session', session], ['offset', '0'], ['filecontent', file.subarray(0, COS_TEST_SLICE)], ['fileContent', file.subarray(0, COS_TEST_SLICE)]], fx.sign('v.bin'));
    refused(both, -5999, 400);
    const noContent = await fx.client.post('v.bin', [['op', 'upload_slice_data'], ['session', session], ['offset', '0']], fx.sign('v.bin'));
    refused(noContent, -5999, 400);
    // A session used on another path is refused.
    refused(await data(fx, 'other.bin', session, 0, file.subarray(0, COS_TEST_SLICE)), -5999, 400);
    // With sha equal to init and datamd5 the slice passes and the MD5 is echoed.
    const md5 = (await import('node:crypto')).createHash('md5').update(file.subarray(0, COS_TEST_SLICE)).digest('hex');
    const res = await data(fx, 'v.bin', session, 0, file.subarray(0, COS_TEST_SLICE), { sha: sha1Hex(file), datamd5: md5 });
    assert.deepEqual(ok(res), { session, offset: 0, datamd5: md5 });
    assert.equal(res.headers['etag'], `"${md5}"`);
  });

  void it('validates init: -284 for another slice_size, -5965 for uploadparts that are not JSON, -5999 for inconsistent ones', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const file = randomBytes(COS_TEST_SLICE + 10);
    const sha = sha1Hex(file);
    const parts = await uploadparts(file, COS_TEST_SLICE);
    refused(await init(fx, 'i.bin', { filesize: file.length, sliceSize: 1000000 }), -284, 400);
    refused(await init(fx, 'i.bin', { filesize: file.length, sha, uploadparts: '[{"offset":0,' }), -5965, 400);
    refused(await init(fx, 'i.bin', { filesize: file.length, sha, uploadparts: JSON.stringify(parts.slice(0, 1)) }), -5999, 400);
    refused(await init(fx, 'i.bin', { filesize: file.length, sha, uploadparts: JSON.stringify([parts[0], { ...parts[1], offset: 1 }]) }), -5999, 400);
    refused(await init(fx, 'i.bin', { filesize: file.length, sha: sha1Hex(Buffer.from('x')), uploadparts: JSON.stringify(parts) }), -5999, 400);
    refused(await init(fx, 'i.bin', { filesize: file.length, uploadparts: JSON.stringify(parts) }), -5999, 400);
    refused(await init(fx, 'i.bin', { filesize: 0 }), -5999, 400);
    refused(await init(fx, 'i.bin', { filesize: file.length, insertOnly: '2' }), -5999, 400);
    refused(await init(fx, 'i.bin', { filesize: file.length, sha: 'abc' }), -5999, 400);
    refused(await fx.client.post('i.bin', [['op', 'upload_everything']], fx.sign('i.bin')), -5999, 400);
    assert.equal(fx.emulator.cosLegacy.sessions().length, 0);
  });

  void it('answers -4019 for a second init with the same sha, and upload_slice_list resumes the session with its slices', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const file = randomBytes(COS_TEST_SLICE * 3);
    const sha = sha1Hex(file);
    const parts = JSON.stringify(await uploadparts(file, COS_TEST_SLICE));
    const first = await initSession(fx, 'dir/r.bin', { filesize: file.length, sha, uploadparts: parts, bizAttr: 'tag' });
    const slices = slicesOf(file, COS_TEST_SLICE);
    ok(await data(fx, 'dir/r.bin', first.session, 2 * COS_TEST_SLICE, slices[2] ?? Buffer.alloc(0)));
    ok(await data(fx, 'dir/r.bin', first.session, 0, slices[0] ?? Buffer.alloc(0)));
    refused(await init(fx, 'dir/r.bin', { filesize: file.length, sha, uploadparts: parts }), -4019, 409);
    const listed = ok(await list(fx, 'dir/r.bin'));
    assert.deepEqual(listed, {
      session: first.session,
      slice_size: COS_TEST_SLICE,
      filesize: file.length,
      sha,
      listparts: [
        { offset: 0, datalen: COS_TEST_SLICE, datasha: (JSON.parse(parts) as { datasha: string }[])[0]?.datasha },
        { offset: 2 * COS_TEST_SLICE, datalen: COS_TEST_SLICE, datasha: sha },
      ],
    });
    ok(await data(fx, 'dir/r.bin', first.session, COS_TEST_SLICE, slices[1] ?? Buffer.alloc(0)));
    const done = ok(await finish(fx, 'dir/r.bin', first.session, file.length, sha));
    assert.ok(file.equals(await downloadOf(fx, done)));
    assert.equal(fx.emulator.cosLegacy.files()[0]?.bizAttr, 'tag');
    // Once finished, list names the file instead of a session.
    assert.deepEqual(ok(await list(fx, 'dir/r.bin')), { access_url: done['access_url'], resource_path: done['resource_path'], source_url: done['source_url'], url: done['url'] });
    refused(await list(fx, 'dir/nothing.bin'), -197, 404);
  });

  void it('answers -4020 when another file (another sha) is being uploaded to the path', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const a = randomBytes(1000);
    const b = randomBytes(1000);
    await initSession(fx, 'c.bin', { filesize: a.length, sha: sha1Hex(a) });
    refused(await init(fx, 'c.bin', { filesize: b.length, sha: sha1Hex(b) }), -4020, 409);
  });

  void it('replaces an unfinished session when either init has no sha, so the old session answers -197', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const file = randomBytes(2000);
    const old = await initSession(fx, 'p.bin', { filesize: file.length });
    const fresh = await initSession(fx, 'p.bin', { filesize: file.length, sha: sha1Hex(file) });
    assert.notEqual(fresh.session, old.session);
    refused(await data(fx, 'p.bin', old.session, 0, file), -197, 404);
    ok(await data(fx, 'p.bin', fresh.session, 0, file));
    ok(await finish(fx, 'p.bin', fresh.session, file.length, sha1Hex(file)));
  });

  void it('completes at init (rapid upload) when the same content is stored, with no session', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const file = randomBytes(COS_TEST_SLICE + 3);
    await serialUpload(fx, 'a/original.bin', file);
    fx.emulator.log.clear();
    const res = ok(await init(fx, 'b/copy.bin', { filesize: file.length, sha: sha1Hex(file) }));
    assert.equal(res['session'], undefined);
    assert.equal(res['resource_path'], `/${COS_TEST.appId}/${COS_TEST.bucket}/b/copy.bin`);
    assert.ok(file.equals(await downloadOf(fx, res)));
    assert.equal(fx.emulator.log.filter('cos-legacy.upload_slice_data').length, 0);
    // Same size, other content: a normal session.
    assert.equal(typeof ok(await init(fx, 'b/other.bin', { filesize: file.length, sha: sha1Hex(randomBytes(4)) }))['session'], 'string');
  });

  void it('refuses an existing path with -177 unless insertOnly=0, which overwrites it', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const first = randomBytes(3000);
    const second = randomBytes(5000);
    await serialUpload(fx, 'same.bin', first);
    refused(await init(fx, 'same.bin', { filesize: second.length }), -177, 409);
    refused(await init(fx, 'same.bin', { filesize: second.length, insertOnly: '1' }), -177, 409);
    const done = await serialUpload(fx, 'same.bin', second, { insertOnly: '0' });
    assert.ok(second.equals(await downloadOf(fx, done)));
    assert.equal(fx.emulator.cosLegacy.files().length, 1);
  });

  void it('answers the configured slice_size instead of the requested one for serial uploads (server override)', async (t: TestContext) => {
    const fx = await cosFixture(t, { cosLegacy: { forceSliceSize: 131072, sliceSizes: [COS_TEST_SLICE, 131072, 1048576] } });
    const file = randomBytes(131072 + 9);
    const { sliceSize, session } = await initSession(fx, 'o.bin', { filesize: file.length, sliceSize: COS_TEST_SLICE });
    assert.equal(sliceSize, 131072);
    ok(await data(fx, 'o.bin', session, 0, file.subarray(0, 131072)));
    refused(await data(fx, 'o.bin', session, COS_TEST_SLICE, file.subarray(COS_TEST_SLICE, 2 * COS_TEST_SLICE)), -5999, 400);
    ok(await data(fx, 'o.bin', session, 131072, file.subarray(131072)));
    assert.ok(file.equals(await downloadOf(fx, ok(await finish(fx, 'o.bin', session, file.length)))));
    // With uploadparts the slices are fixed: the requested size stands.
    const other = randomBytes(file.length);
    const parts = await uploadparts(other, COS_TEST_SLICE);
    assert.equal((await initSession(fx, 'o2.bin', { filesize: other.length, sha: sha1Hex(other), uploadparts: JSON.stringify(parts) })).sliceSize, COS_TEST_SLICE);
  });

  void it('stores small and empty files with op=upload, checking sha', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const empty = Buffer.alloc(0);
    const res = ok(await fx.client.post('empty.txt', [['op', 'upload'], ['sha', sha1Hex(empty)], ['insertOnly', '1'], ['filecontent', empty]], fx.sign('empty.txt')));
    const got = await fx.client.download(res['source_url'] as string);
    assert.equal(got.status, 200);
    assert.equal(got.body.length, 0);
    const small = randomBytes(4321);
    refused(await fx.client.post('small.bin', [['op', 'upload'], ['sha', sha1Hex(empty)], ['fileContent', small]], fx.sign('small.bin')), -4016, 409);
    const stored = ok(await fx.client.post('small.bin', [['op', 'upload'], ['sha', sha1Hex(small)], ['fileContent', small]], fx.sign('small.bin')));
    assert.ok(small.equals(await downloadOf(fx, stored)));
    refused(await fx.client.post('small.bin', [['op', 'upload'], ['filecontent', small]], fx.sign('small.bin')), -177, 409);
  });

  void it('accepts upload_slice_list as a JSON body, as the Java SDK sends it', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const { session } = await initSession(fx, 'j.bin', { filesize: 10 });
    const res = await fx.client.send('POST', `/files/v2/${COS_TEST.appId}/${COS_TEST.bucket}/j.bin`, { 'content-type': 'application/json', authorization: fx.sign('j.bin') }, Buffer.from(JSON.stringify({ op: 'upload_slice_list' })));
    assert.equal(ok(res)['session'], session);
  });

  void it('serves downloads with ETag, x-cos-hash-crc64ecma and byte ranges; unknown paths are -197', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const file = randomBytes(10_000);
    const done = await serialUpload(fx, 'd/e f.bin', file);
    assert.equal(done['source_url'], `${fx.emulator.url}/cos-legacy/${COS_TEST.bucket}-${COS_TEST.appId}/d/e%20f.bin`);
    const full = await fx.client.download(done['source_url']);
    assert.equal(full.headers['etag'], `"${sha1Hex(file)}"`);
    assert.equal(full.headers['x-cos-hash-crc64ecma'], fx.emulator.cosLegacy.files()[0]?.crc64);
    const part = await fx.client.download(done['source_url'], { range: 'bytes=100-199' });
    assert.equal(part.status, 206);
    assert.ok(file.subarray(100, 200).equals(part.body));
    assert.equal((await fx.client.download(done['source_url'], { range: 'bytes=20000-' })).status, 416);
    refused(await fx.client.download(`/cos-legacy/${COS_TEST.bucket}-${COS_TEST.appId}/nope.bin`), -197, 404);
    refused(await fx.client.download(`/cos-legacy/other-1/d/e%20f.bin`), -133, 404);
  });

  void it('drops unfinished sessions after sessionTtlMs, after expireUploadsAfterParts slices, and on expireSessions()', async (t: TestContext) => {
    const fx = await cosFixture(t, { cosLegacy: { sessionTtlMs: 60_000 }, faults: { expireUploadsAfterParts: 2 } });
    const file = randomBytes(COS_TEST_SLICE * 3);
    const slices = slicesOf(file, COS_TEST_SLICE);
    const a = await initSession(fx, 'ttl.bin', { filesize: file.length });
    fx.emulator.clock.advance(60_000);
    refused(await data(fx, 'ttl.bin', a.session, 0, slices[0] ?? Buffer.alloc(0)), -197, 404);
    const b = await initSession(fx, 'ttl.bin', { filesize: file.length });
    ok(await data(fx, 'ttl.bin', b.session, 0, slices[0] ?? Buffer.alloc(0)));
    ok(await data(fx, 'ttl.bin', b.session, COS_TEST_SLICE, slices[1] ?? Buffer.alloc(0)));
    refused(await data(fx, 'ttl.bin', b.session, 2 * COS_TEST_SLICE, slices[2] ?? Buffer.alloc(0)), -197, 404);
    fx.emulator.faults.reset();
    const c = await initSession(fx, 'ttl.bin', { filesize: file.length });
    assert.equal(await fx.emulator.cosLegacy.expireSessions(), 1);
    refused(await finish(fx, 'ttl.bin', c.session, file.length), -197, 404);
  });

  void it('keeps finished files and unfinished sessions across a restart on the same dataDir', async (t: TestContext) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ccu-cos-restart-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const file = randomBytes(COS_TEST_SLICE * 2);
    const fx1 = await cosFixture(t, { dataDir });
    const done = await serialUpload(fx1, 'kept.bin', file);
    const open = await initSession(fx1, 'open.bin', { filesize: file.length });
    ok(await data(fx1, 'open.bin', open.session, 0, file.subarray(0, COS_TEST_SLICE)));
    await fx1.emulator.close();
    const emulator = await startEmulator({ port: 0, dataDir, cosLegacy: { ...COS_TEST, sliceSizes: [COS_TEST_SLICE] } });
    t.after(() => emulator.close());
    const fx2: CosFixture = { ...fx1, emulator, client: new CosRawClient(emulator.url) };
    const got = await fx2.client.download(new URL(new URL(done['source_url'] as string).pathname, emulator.url).href);
    assert.ok(file.equals(got.body));
    assert.equal(ok(await list(fx2, 'open.bin'))['session'], open.session);
    ok(await data(fx2, 'open.bin', open.session, COS_TEST_SLICE, file.subarray(COS_TEST_SLICE)));
    const reopened = ok(await finish(fx2, 'open.bin', open.session, file.length));
    assert.ok(file.equals((await fx2.client.download(reopened['source_url'] as string)).body));
  });
});
