import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import { Crc64Ecma, Sha1Compressor } from '../../src/emulator/index.js';
import { decodeCosLegacySignature } from '../../src/emulator/cos-legacy/cos-legacy-signature-verifier.js';
import {
  COS_TEST,
  COS_TEST_SLICE,
  cosFileId,
  cosFixture,
  cosSign,
  singleSign,
  uploadparts,
  type CosFixture,
  type CosResponse,
} from '../support/cos-legacy-client.js';
import { buildForm } from '../support/emulator-fixture.js';
import { specPattern } from '../../src/engine/testing/spec-pattern.js';

/** The signature of seed 004's example request (`Authorization:` header), verbatim. */
const SEED_004_SIGNATURE =
  'uusZlBVdpHf800YuKImvK5zvw75hPTEwMDU1MDA0Jms9QUtJRHpuOHd3S3VYanhpeFFBa1JCQzJEUlhCdFBkN0NybEpRJmU9MTQ3MjY0Nzc4MCZ0PTE0NzI2NDc2MDAmcj0xMDYwMzQ1OTM4JmY9JmI9YWNjZXNzbG9n';

function listWith(fx: CosFixture, path: string, sign: string | undefined, via: 'header' | 'query' = 'header'): Promise<CosResponse> {
  return fx.client.post(path, [['op', 'upload_slice_list']], sign, { via });
}

function refused(res: CosResponse, code: number, status: number): void {
  assert.equal(res.json.code, code, res.body.toString());
  assert.equal(res.status, status, res.body.toString());
}

/** A path with an open session, so a successful list answers code 0. */
async function openSession(fx: CosFixture, path: string): Promise<void> {
  const res = await fx.client.post(path, [['op', 'upload_slice_init'], ['filesize', '100'], ['slice_size', String(COS_TEST_SLICE)]], fx.sign(path));
  assert.equal(res.json.code, 0, res.body.toString());
}

void describe('COS legacy: spec §6 vectors', () => {
  void it('gives the §6 datasha of each slice of T: LE chaining words after 1 and 2 MiB, then the plain SHA-1', () => {
    const file = Buffer.from(specPattern().buffer);
    const h = new Sha1Compressor();
    h.update(file.subarray(0, 1048576));
    assert.equal(h.datasha(), 'bc92149b0ce9d856ab29eb0a92f3e63e43355e67');
    // The same state as big-endian words is what COS does NOT want (§3.7, §6).
    assert.equal(h.words().map((w) => w.toString(16).padStart(8, '0')).join(''), '9b1492bc56d8e90c0aeb29ab3ee6f392675e3543');
    const resumed = Sha1Compressor.fromDatasha(h.datasha(), 1048576);
    resumed.update(file.subarray(1048576, 2097152));
    assert.equal(resumed.datasha(), '29d3a11d3780c46c9e1034ece2c4b0602855568b');
    resumed.update(file.subarray(2097152));
    assert.equal(resumed.digestHex(), '74cd8cbb2068246cb1874ce35fe4742904ee506c');
    assert.equal(createHash('sha1').update(file).digest('hex'), '74cd8cbb2068246cb1874ce35fe4742904ee506c');
  });

  void it('matches node:crypto SHA-1 at every padding boundary and refuses chaining words mid-block', () => {
    const bytes = randomBytes(300);
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 300]) {
      const h = new Sha1Compressor();
      h.update(bytes.subarray(0, Math.min(n, 9)));
      h.update(bytes.subarray(Math.min(n, 9), n));
      assert.equal(h.digestHex(), createHash('sha1').update(bytes.subarray(0, n)).digest('hex'), `length ${n}`);
    }
    const mid = new Sha1Compressor().update(bytes.subarray(0, 65));
    assert.throws(() => mid.datasha(), RangeError);
    assert.throws(() => Sha1Compressor.fromDatasha('xyz', 64), RangeError);
    assert.throws(() => Sha1Compressor.fromDatasha('0'.repeat(40), 65), RangeError);
  });

  void it('builds the §6 uploadparts list for T through an independent implementation (hash-wasm state)', async () => {
    const parts = await uploadparts(Buffer.from(specPattern().buffer), 1048576);
    assert.equal(
      JSON.stringify(parts),
      '[{"offset":0,"datalen":1048576,"datasha":"bc92149b0ce9d856ab29eb0a92f3e63e43355e67"},{"offset":1048576,"datalen":1048576,"datasha":"29d3a11d3780c46c9e1034ece2c4b0602855568b"},{"offset":2097152,"datalen":1000,"datasha":"74cd8cbb2068246cb1874ce35fe4742904ee506c"}]',
    );
  });

  void it('gives the CRC-64/ECMA check value and the §6 CRC of T', () => {
    assert.equal(new Crc64Ecma().update(Buffer.from('123456789')).toString(), '11051210869376104954');
    const file = Buffer.from(specPattern().buffer);
    const crc = new Crc64Ecma();
    crc.update(file.subarray(0, 12345)).update(file.subarray(12345));
    assert.equal(crc.toString(), '6308591932164412187');
    assert.equal(new Crc64Ecma().toString(), '0');
  });

  void it('decodes the seed 004 signature into its documented fields, in the order they were sent', () => {
    const decoded = decodeCosLegacySignature(SEED_004_SIGNATURE);
    assert.ok(decoded);
    assert.equal(decoded.mac.length, 20);
    assert.equal(decoded.plain.toString(), 'a=10055004&k=AKIDzn8wwKuXjxixQAkRBC2DRXBtPd7CrlJQ&e=1472647780&t=1472647600&r=1060345938&f=&b=accesslog');
    assert.deepEqual(decoded.fields, { a: '10055004', b: 'accesslog', k: 'AKIDzn8wwKuXjxixQAkRBC2DRXBtPd7CrlJQ', e: 1472647780, t: 1472647600, r: '1060345938', f: '' });
    assert.equal(decodeCosLegacySignature('not base64!'), undefined);
    assert.equal(decodeCosLegacySignature(Buffer.concat([Buffer.alloc(20), Buffer.from('a=1&b=2')]).toString('base64')), undefined);
  });
});

void describe('COS legacy emulator: signatures', () => {
  void it('accepts a multi-effect signature from the Authorization header and from ?sign=', async (t: TestContext) => {
    const fx = await cosFixture(t);
    await openSession(fx, 'd/a.bin');
    assert.equal((await listWith(fx, 'd/a.bin', fx.sign('d/a.bin'), 'header')).json.code, 0);
    assert.equal((await listWith(fx, 'd/a.bin', fx.sign('d/a.bin'), 'query')).json.code, 0);
    // An unencoded `+` in the query arrives as a space; the emulator reads it back as `+`.
    let sign = fx.sign('d/a.bin');
    while (!sign.includes('+')) sign = fx.sign('d/a.bin');
    const form = buildForm([['op', 'upload_slice_list']]);
    const raw = await fx.client.send('POST', `/files/v2/${COS_TEST.appId}/${COS_TEST.bucket}/d/a.bin?sign=${sign.replaceAll('/', '%2F').replaceAll('=', '%3D')}`, { 'content-type': form.contentType }, form.body);
    assert.equal(raw.json.code, 0, raw.body.toString());
  });

  void it('accepts an unbound f, a directory prefix ending in / or *, and the fields in any order', async (t: TestContext) => {
    const fx = await cosFixture(t);
    await openSession(fx, 'dir/sub/file.bin');
    const now = Math.floor(fx.emulator.clock.now() / 1000);
    for (const f of ['', `/${COS_TEST.appId}/${COS_TEST.bucket}/dir/`, `/${COS_TEST.appId}/${COS_TEST.bucket}/dir/su*`]) {
      assert.equal((await listWith(fx, 'dir/sub/file.bin', cosSign({ e: now + 60, t: now, f }))).json.code, 0, `f=${f}`);
    }
    // SDK order a, k, e, t, r, f, b (§3.2): the server parses pairs in any order.
    const plain = `a=${COS_TEST.appId}&k=${COS_TEST.secretId}&e=${now + 60}&t=${now}&r=42&f=${cosFileId('dir/sub/file.bin')}&b=${COS_TEST.bucket}`;
    const { createHmac } = await import('node:crypto');
    const sdkOrder = Buffer.concat([createHmac('sha1', COS_TEST.secretKey).update(plain).digest(), Buffer.from(plain)]).toString('base64');
    assert.equal((await listWith(fx, 'dir/sub/file.bin', sdkOrder)).json.code, 0);
  });

  void it('answers each documented signature error: -48 missing or malformed, -47, -97, -70, -61, -63, -59', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const path = 'sig/x.bin';
    await openSession(fx, path);
    const now = Math.floor(fx.emulator.clock.now() / 1000);
    const f = cosFileId(path);
    refused(await listWith(fx, path, undefined), -48, 403);
    refused(await listWith(fx, path, 'bm90IGEgc2lnbmF0dXJl'), -48, 403);
    refused(await listWith(fx, path, cosSign({ e: now + 60, t: now, f, k: 'AKIDunknown' })), -47, 403);
    refused(await listWith(fx, path, cosSign({ e: now + 60, t: now, f, key: 'wrong-secret-key' })), -97, 403);
    refused(await listWith(fx, path, cosSign({ e: now + 60, t: now, f, a: '1250009999' })), -70, 403);
    refused(await listWith(fx, path, cosSign({ e: now + 60, t: now, f, b: 'otherbucket' })), -61, 403);
    refused(await listWith(fx, path, cosSign({ e: now + 60, t: now, f: cosFileId('sig/y.bin') })), -63, 403);
    refused(await listWith(fx, path, cosSign({ e: now + 60, t: now, f: `/${COS_TEST.appId}/${COS_TEST.bucket}/si` })), -63, 403);
    refused(await listWith(fx, path, cosSign({ e: now - 1, t: now - 100, f })), -59, 403);
    refused(await listWith(fx, path, cosSign({ e: now + 200 * 86400, t: now, f })), -48, 403);
  });

  void it('expires a multi-effect signature when the emulator clock passes e', async (t: TestContext) => {
    const fx = await cosFixture(t);
    await openSession(fx, 'exp.bin');
    const sign = fx.sign('exp.bin', 60);
    assert.equal((await listWith(fx, 'exp.bin', sign)).json.code, 0);
    fx.emulator.clock.advance(61_000);
    refused(await listWith(fx, 'exp.bin', sign), -59, 403);
    assert.equal((await listWith(fx, 'exp.bin', fx.sign('exp.bin', 60))).json.code, 0);
  });

  void it('takes a single-effect signature once, only for the exact file, and refuses a replay with -97', async (t: TestContext) => {
    const fx = await cosFixture(t);
    await openSession(fx, 'one.bin');
    const now = fx.emulator.clock.now();
    const sign = singleSign('one.bin', now);
    assert.equal((await listWith(fx, 'one.bin', sign)).json.code, 0);
    refused(await listWith(fx, 'one.bin', sign), -97, 403);
    const t0 = Math.floor(now / 1000);
    refused(await listWith(fx, 'one.bin', cosSign({ e: 0, t: t0, f: '' })), -63, 403);
    refused(await listWith(fx, 'one.bin', cosSign({ e: 0, t: t0, f: `/${COS_TEST.appId}/${COS_TEST.bucket}/` })), -63, 403);
    refused(await listWith(fx, 'one.bin', cosSign({ e: 0, t: t0 - 2 * 3600, f: cosFileId('one.bin') })), -59, 403);
  });

  void it('answers -133 for an unknown bucket or appid and -199 for an invalid bucket name', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const sign = fx.sign('a.bin');
    refused(await fx.client.post('a.bin', [['op', 'upload_slice_list']], sign, { bucket: 'nobucket' }), -133, 404);
    refused(await fx.client.post('a.bin', [['op', 'upload_slice_list']], sign, { appId: '1250009999' }), -133, 404);
    refused(await fx.client.post('a.bin', [['op', 'upload_slice_list']], sign, { bucket: 'Bad_Bucket' }), -199, 400);
  });
});

/** A raw request with an Origin (and optional preflight headers). */
function withOrigin(fx: CosFixture, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<CosResponse> {
  return fx.client.send(method, path, headers, body);
}

void describe('COS legacy emulator: bucket CORS', () => {
  void it('answers a preflight for an allowed origin and exposes ETag only while exposeEtag is on', async (t: TestContext) => {
    const fx = await cosFixture(t);
    const path = `/files/v2/${COS_TEST.appId}/${COS_TEST.bucket}/c.bin`;
    const pre = await withOrigin(fx, 'OPTIONS', path, { origin: 'http://app.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.match(String(pre.headers['access-control-allow-methods']), /POST/);
    assert.equal(pre.headers['access-control-allow-headers'], 'content-type');
    const form = buildForm([['op', 'upload_slice_init'], ['filesize', '100'], ['slice_size', String(COS_TEST_SLICE)]]);
    const res = await withOrigin(fx, 'POST', `${path}?sign=${encodeURIComponent(fx.sign('c.bin'))}`, { origin: 'http://app.test', 'content-type': form.contentType }, form.body);
    assert.equal(res.json.code, 0);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['access-control-expose-headers'], 'ETag');
    fx.emulator.cosLegacy.setCors({ exposeEtag: false });
    const listForm = buildForm([['op', 'upload_slice_list']]);
    const hidden = await withOrigin(fx, 'POST', `${path}?sign=${encodeURIComponent(fx.sign('c.bin'))}`, { origin: 'http://app.test', 'content-type': listForm.contentType }, listForm.body);
    assert.equal(hidden.json.code, 0);
    assert.equal(hidden.headers['access-control-allow-origin'], '*');
    assert.equal(hidden.headers['access-control-expose-headers'], undefined);
  });

  void it('refuses an origin, method or header outside the bucket rules with -121', async (t: TestContext) => {
    const fx = await cosFixture(t, { cosLegacy: { cors: { origins: ['http://allowed.test'] } } });
    const path = `/files/v2/${COS_TEST.appId}/${COS_TEST.bucket}/c.bin`;
    const preflight = (origin: string, method: string, headers = ''): Promise<CosResponse> =>
      withOrigin(fx, 'OPTIONS', path, { origin, 'access-control-request-method': method, ...(headers && { 'access-control-request-headers': headers }) });
    const good = await preflight('http://allowed.test', 'POST', 'authorization');
    assert.equal(good.status, 204);
    assert.equal(good.headers['access-control-allow-origin'], 'http://allowed.test');
    refused(await preflight('http://evil.test', 'POST'), -121, 403);
    refused(await preflight('http://allowed.test', 'DELETE'), -121, 403);
    refused(await preflight('http://allowed.test', 'POST', 'x-custom'), -121, 403);
    const form = buildForm([['op', 'upload_slice_list']]);
    refused(await withOrigin(fx, 'POST', `${path}?sign=${encodeURIComponent(fx.sign('c.bin'))}`, { origin: 'http://evil.test', 'content-type': form.contentType }, form.body), -121, 403);
    fx.emulator.cosLegacy.setCors({ enabled: false });
    refused(await preflight('http://allowed.test', 'POST'), -121, 403);
  });
});

void describe('COS legacy emulator: faults, rate limit, admin', () => {
  void it('injects documented codes per op (-71, -196 by default, -5997, -59 on demand) and logs them', async (t: TestContext) => {
    const fx = await cosFixture(t, {
      faults: {
        routes: {
          'cos-legacy.upload_slice_init': { failNext: 1, errorCode: -71 },
          'cos-legacy.upload_slice_list': { failNext: 1 },
          'cos-legacy.upload_slice_finish': { failNext: 1, errorCode: -5997 },
          'cos-legacy.upload_slice_data': { failNext: 1, errorCode: -59 },
        },
      },
    });
    const initFields: [string, string][] = [['op', 'upload_slice_init'], ['filesize', '10'], ['slice_size', String(COS_TEST_SLICE)]];
    refused(await fx.client.post('f.bin', initFields, fx.sign('f.bin')), -71, 503);
    const init = await fx.client.post('f.bin', initFields, fx.sign('f.bin'));
    assert.equal(init.json.code, 0);
    const session = init.json.data?.['session'] as string;
    refused(await listWith(fx, 'f.bin', fx.sign('f.bin')), -196, 503);
    const bytes = randomBytes(10);
    const dataFields: [string, string | Buffer][] = [['op', 'upload_slice_data'], ['session', session], ['offset', '0'], ['filecontent', bytes]];
    refused(await fx.client.post('f.bin', dataFields, fx.sign('f.bin')), -59, 403);
    assert.equal((await fx.client.post('f.bin', dataFields, fx.sign('f.bin'))).json.code, 0);
    const finishFields: [string, string][] = [['op', 'upload_slice_finish'], ['session', session], ['filesize', '10']];
    refused(await fx.client.post('f.bin', finishFields, fx.sign('f.bin')), -5997, 503);
    assert.equal((await fx.client.post('f.bin', finishFields, fx.sign('f.bin'))).json.code, 0);
    const faulted = fx.emulator.log.entries.filter((e) => e.fault === 'error').map((e) => [e.route, e.code, e.status]);
    assert.deepEqual(faulted, [
      ['cos-legacy.upload_slice_init', -71, 503],
      ['cos-legacy.upload_slice_list', -196, 503],
      ['cos-legacy.upload_slice_data', -59, 403],
      ['cos-legacy.upload_slice_finish', -5997, 503],
    ]);
  });

  void it('drops the connection mid-slice on dropNext, storing nothing, and the slice can be sent again', async (t: TestContext) => {
    const fx = await cosFixture(t, { faults: { routes: { 'cos-legacy.upload_slice_data': { dropNext: 1, dropAfterBytes: 2000 } } } });
    const init = await fx.client.post('drop.bin', [['op', 'upload_slice_init'], ['filesize', String(COS_TEST_SLICE)], ['slice_size', String(COS_TEST_SLICE)]], fx.sign('drop.bin'));
    const session = init.json.data?.['session'] as string;
    const bytes = randomBytes(COS_TEST_SLICE);
    const { body, contentType } = buildForm([['op', 'upload_slice_data'], ['session', session], ['offset', '0'], ['filecontent', bytes]]);
    const url = `${fx.emulator.url}/files/v2/${COS_TEST.appId}/${COS_TEST.bucket}/drop.bin`;
    await assert.rejects(
      new Promise((resolve, reject) => {
        const req = request(url, { method: 'POST', headers: { 'content-type': contentType, authorization: fx.sign('drop.bin'), connection: 'close' } }, resolve);
        req.on('error', reject);
        req.end(body);
      }),
    );
    const dropped = fx.emulator.log.filter('cos-legacy.upload_slice_data');
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0]?.status, 0);
    assert.equal(dropped[0]?.fault, 'drop');
    assert.deepEqual(fx.emulator.cosLegacy.sessions()[0]?.parts, {});
    const again = await fx.client.post('drop.bin', [['op', 'upload_slice_data'], ['session', session], ['offset', '0'], ['filecontent', bytes]], fx.sign('drop.bin'));
    assert.equal(again.json.code, 0);
  });

  void it('answers -71 (HTTP 503) when the configured rate limit is exceeded', async (t: TestContext) => {
    const fx = await cosFixture(t, { cosLegacy: { rateLimit: { enabled: true, qps: 1, perDay: 100 } } });
    await openSession(fx, 'rl.bin');
    // One token per SecretId and op: init above did not spend the list budget.
    assert.equal((await listWith(fx, 'rl.bin', fx.sign('rl.bin'))).json.code, 0);
    refused(await listWith(fx, 'rl.bin', fx.sign('rl.bin')), -71, 503);
    fx.emulator.clock.advance(1000);
    assert.equal((await listWith(fx, 'rl.bin', fx.sign('rl.bin'))).json.code, 0);
  });

  void it('serves its admin routes: files, sessions, expire-sessions, cors and rate-limit', async (t: TestContext) => {
    const fx = await cosFixture(t);
    await openSession(fx, 'adm.bin');
    const json = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
      const res = await fx.client.send(method, `/__emulator/cos-legacy/${path}`, { 'content-type': 'application/json' }, body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
      assert.equal(res.status, 200, res.body.toString());
      return res.json;
    };
    assert.deepEqual(await json('GET', 'files'), { files: [] });
    assert.equal(((await json('GET', 'sessions'))['sessions'] as unknown[]).length, 1);
    assert.deepEqual(await json('POST', 'expire-sessions'), { expired: 1 });
    assert.deepEqual(await json('GET', 'sessions'), { sessions: [] });
    assert.deepEqual(await json('PUT', 'cors', { exposeEtag: false }), { enabled: true, origins: ['*'], exposeEtag: false });
    assert.equal((await json('PUT', 'rate-limit', { enabled: true }))['enabled'], true);
    const bad = await fx.client.send('PUT', '/__emulator/cos-legacy/cors', { 'content-type': 'application/json' }, Buffer.from('{"enabled":"yes"}'));
    assert.equal(bad.status, 400);
    const health = await fx.client.send('GET', '/__emulator');
    assert.ok((health.json['flavours'] as string[]).includes('cos-legacy'));
  });
});
