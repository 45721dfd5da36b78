import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { CompleteResponse, CreateSessionResponse, ErrorResponse, ListPartsResponse, PartReceipt, PartUrlsResponse } from '../../src/core/index.js';
import { startEmulator, type CosLegacyEmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import { startUploadServer, type RunningUploadServer } from '../../src/server/index.js';
import { COS_TEST, COS_TEST_SLICE, uploadparts } from '../support/cos-legacy-client.js';
import { sha1Hex } from '../support/emulator-fixture.js';

const TICKET_SECRET = 'cos-server-test-ticket-secret-0123456789abcdef';

interface Env {
  emulator: RunningEmulator;
  backend: RunningUploadServer;
  client: Client;
  /** Calls the backend made to COS: URL, op-less auth header. */
  upstream: { url: string; authorization: string }[];
  /** Shared fake clock of emulator and backend (ms). */
  clock: { now: number };
}

/** An emulator and a backend on 127.0.0.1:0 sharing one clock, torn down by t.after. */
async function fixture(t: TestContext, cos: CosLegacyEmulatorOptions = {}, backend: { sliceSize?: number; signatureTtlSec?: number } = {}): Promise<Env> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ccu-cos-server-'));
  const clock = { now: Date.now() };
  const emulator = await startEmulator({ port: 0, dataDir, now: () => clock.now, cosLegacy: { ...COS_TEST, sliceSizes: [COS_TEST_SLICE, 524288, 1048576], ...cos } });
  const upstream: Env['upstream'] = [];
  const server = await startUploadServer({
    port: 0,
    secret: TICKET_SECRET,
    now: () => clock.now,
    providers: { 'cos-legacy': { baseUrl: emulator.url, ...COS_TEST, sliceSize: COS_TEST_SLICE, ...backend } },
    fetch: (input, init) => {
      upstream.push({ url: input instanceof Request ? input.url : input.toString(), authorization: new Headers(init?.headers).get('authorization') ?? '' });
      return fetch(input, init);
    },
  });
  t.after(async () => {
    await server.close();
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { emulator, backend: server, client: new Client(server.url), upstream, clock };
}

/** Talks the session protocol like the browser would, recording everything it saw. */
class Client {
  readonly seen: string[] = [];
  constructor(readonly base: string) {}

  async call(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(path.startsWith('http') ? path : `${this.base}${path}`, init);
    this.seen.push(JSON.stringify([...response.headers]), await response.clone().text());
    return response;
  }

  async create(body: Record<string, unknown>): Promise<Response> {
    return this.call('/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'cos-legacy', target: '/docs/2024/', ...body }) });
  }

  async created(body: Record<string, unknown>): Promise<CreateSessionResponse> {
    const response = await this.create(body);
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as CreateSessionResponse;
  }

  async partUrls(session: CreateSessionResponse, indexes: number[]): Promise<Response> {
    return this.call('/v1/sessions/part-urls', { method: 'POST', headers: { authorization: `Bearer ${session.ticket}`, 'content-type': 'application/json' }, body: JSON.stringify({ indexes }) });
  }

  async urls(session: CreateSessionResponse, indexes: number[]): Promise<PartUrlsResponse> {
    const response = await this.partUrls(session, indexes);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as PartUrlsResponse;
  }

  /** POSTs one slice straight to storage, building the form docs/protocol.md §COS legacy describes. */
  async slice(session: CreateSessionResponse, url: string, index: number, bytes: Uint8Array<ArrayBuffer>, field = 'filecontent'): Promise<Response> {
    const data = session.providerData ?? {};
    const form = new FormData();
    form.append('op', 'upload_slice_data');
    form.append('session', String(data['session']));
    form.append('offset', String(index * session.plan.partSize));
    if (typeof data['sha1'] === 'string') form.append('sha', data['sha1']);
    form.append(field, new Blob([bytes]), 'blob');
    return this.call(url, { method: 'POST', body: form });
  }

  async complete(session: CreateSessionResponse, parts: PartReceipt[], sha1?: string): Promise<Response> {
    return this.call('/v1/sessions/complete', {
      method: 'POST',
      headers: { authorization: `Bearer ${session.ticket}`, 'content-type': 'application/json' },
      body: JSON.stringify({ parts, ...(sha1 !== undefined && { sha1 }) }),
    });
  }

  async listParts(session: CreateSessionResponse): Promise<Response> {
    return this.call('/v1/sessions/parts', { headers: { authorization: `Bearer ${session.ticket}` } });
  }
}

function slicesOf(file: Uint8Array<ArrayBuffer>, size: number): Uint8Array<ArrayBuffer>[] {
  const out: Uint8Array<ArrayBuffer>[] = [];
  for (let o = 0; o < file.length; o += size) out.push(file.subarray(o, o + size));
  return out;
}

async function sendAll(client: Client, session: CreateSessionResponse, file: Uint8Array<ArrayBuffer>, indexes?: number[]): Promise<PartReceipt[]> {
  const slices = slicesOf(file, session.plan.partSize);
  const wanted = indexes ?? slices.map((_, i) => i);
  const { urls } = await client.urls(session, wanted);
  const receipts: PartReceipt[] = [];
  for (const { index, url } of urls) {
    const response = await client.slice(session, url, index, slices[index] ?? new Uint8Array(0));
    const body = (await response.json()) as { code: number };
    assert.equal(body.code, 0, JSON.stringify(body));
    receipts.push({ index });
  }
  return receipts;
}

async function completed(client: Client, session: CreateSessionResponse, parts: PartReceipt[], sha1?: string): Promise<CompleteResponse> {
  const response = await client.complete(session, parts, sha1);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as CompleteResponse;
}

async function download(url: string | undefined): Promise<Buffer> {
  assert.ok(url);
  const response = await fetch(url);
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

async function errorOf(response: Response, status: number): Promise<ErrorResponse['error']> {
  assert.equal(response.status, status, await response.clone().text());
  return ((await response.json()) as ErrorResponse).error;
}

/** The plaintext part of a COS v4 signature (after the 20-byte HMAC). */
function signedText(sign: string): Record<string, string> {
  // Split by hand: the fields are sent as signed, not form-decoded (`f` keeps its %20).
  return Object.fromEntries(Buffer.from(sign, 'base64').subarray(20).toString('latin1').split('&').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

void describe('backend with the COS legacy emulator: direct slices', () => {
  void it('stores bytes equal to the original: create (serial), signed part URLs, slices posted from the client, complete, download', async (t: TestContext) => {
    const env = await fixture(t);
    const file = new Uint8Array(randomBytes(COS_TEST_SLICE * 3 + 1234));
    const session = await env.client.created({ fileName: 'report.bin', size: file.length });
    assert.equal(session.transport, 'direct');
    assert.equal(session.partChecksum, null);
    assert.deepEqual(session.plan, { partSize: COS_TEST_SLICE, partCount: 4 });
    assert.deepEqual(session.traffic, { maxConcurrency: 1, minIntervalMs: 0 });
    assert.deepEqual(session.providerData, { session: session.uploadId, serialUpload: true, resourcePath: `/${COS_TEST.appId}/${COS_TEST.bucket}/docs/2024/report.bin`, fileField: 'filecontent' });
    const { urls } = await env.client.urls(session, [0, 1, 2, 3]);
    assert.equal(urls.length, 4);
    const [first] = urls;
    assert.ok(first);
    assert.equal(first.method, 'POST');
    assert.deepEqual(first.headers, {});
    assert.equal(first.expiresAt, (Math.floor(env.clock.now / 1000) + 600) * 1000);
    assert.ok(first.url.startsWith(`${env.emulator.url}/files/v2/${COS_TEST.appId}/${COS_TEST.bucket}/docs/2024/report.bin?sign=`));
    const receipts = await sendAll(env.client, session, file);
    const done = await completed(env.client, session, receipts, sha1Hex(file));
    assert.deepEqual({ ...done.result, downloadUrl: undefined }, { provider: 'cos-legacy', name: 'report.bin', size: file.length, resourcePath: `/${COS_TEST.appId}/${COS_TEST.bucket}/docs/2024/report.bin`, downloadUrl: undefined });
    assert.ok(Buffer.from(file).equals(await download(done.result.downloadUrl)));
    assert.deepEqual(env.emulator.log.filter('cos-legacy.upload_*').map((e) => [e.route, e.code]), [
      ['cos-legacy.upload_slice_init', 0],
      ...Array<[string, number]>(4).fill(['cos-legacy.upload_slice_data', 0]),
      ['cos-legacy.upload_slice_finish', 0],
    ]);
  });

  void it('sends uploadparts and sha at init for a parallel session, takes slices in any order and completes with the sha from the ticket', async (t: TestContext) => {
    const env = await fixture(t);
    const file = new Uint8Array(randomBytes(COS_TEST_SLICE * 4 + 99));
    const sha1 = sha1Hex(file);
    const parts = JSON.stringify(await uploadparts(file, COS_TEST_SLICE));
    const session = await env.client.created({ fileName: 'par.bin', size: file.length, partSize: COS_TEST_SLICE, hashes: { sha1 }, providerOptions: { uploadparts: parts } });
    assert.deepEqual(session.traffic, { maxConcurrency: 5, minIntervalMs: 0 });
    assert.equal(session.providerData?.['serialUpload'], false);
    assert.equal(session.providerData?.['sha1'], sha1);
    const receipts = await sendAll(env.client, session, file, [4, 2, 0, 3, 1]);
    // No sha1 in the request: the backend takes the one init carried from the signed ticket (else -29094).
    const done = await completed(env.client, session, receipts);
    assert.ok(Buffer.from(file).equals(await download(done.result.downloadUrl)));
  });

  void it('resumes an unfinished upload after -4019: the same session with its listed slices, then list and complete', async (t: TestContext) => {
    const env = await fixture(t);
    const file = new Uint8Array(randomBytes(COS_TEST_SLICE * 3 + 7));
    const sha1 = sha1Hex(file);
    const parts = await uploadparts(file, COS_TEST_SLICE);
    const body = { fileName: 'resume.bin', size: file.length, hashes: { sha1 }, providerOptions: { uploadparts: JSON.stringify(parts) } };
    const first = await env.client.created(body);
    await sendAll(env.client, first, file, [0, 2]);
    const again = await env.client.created(body);
    assert.equal(again.uploadId, first.uploadId);
    assert.deepEqual(again.uploadedParts, [{ index: 0, checksum: parts[0]?.datasha }, { index: 2, checksum: parts[2]?.datasha }]);
    // list does not say whether the old session was serial: resume one slice at a time.
    assert.deepEqual(again.traffic, { maxConcurrency: 1, minIntervalMs: 0 });
    const listed = await env.client.listParts(again);
    assert.equal(listed.status, 200);
    assert.deepEqual(((await listed.json()) as ListPartsResponse).parts, again.uploadedParts);
    await sendAll(env.client, again, file, [1, 3]);
    const done = await completed(env.client, again, [0, 1, 2, 3].map((index) => ({ index })), sha1);
    assert.ok(Buffer.from(file).equals(await download(done.result.downloadUrl)));
    assert.equal(env.emulator.log.filter('cos-legacy.upload_slice_list').length, 2);
  });

  void it('answers a rapid upload at create when the content is stored, and stores an empty file at create', async (t: TestContext) => {
    const env = await fixture(t);
    const file = new Uint8Array(randomBytes(5000));
    const first = await env.client.created({ fileName: 'orig.bin', size: file.length });
    await completed(env.client, first, await sendAll(env.client, first, file));
    env.emulator.log.clear();
    const rapid = await env.client.created({ fileName: 'copy.bin', size: file.length, hashes: { sha1: sha1Hex(file).toUpperCase() } });
    assert.equal(rapid.result?.rapid, true);
    assert.equal(rapid.result?.resourcePath, `/${COS_TEST.appId}/${COS_TEST.bucket}/docs/2024/copy.bin`);
    assert.equal(rapid.providerData, undefined);
    assert.ok(Buffer.from(file).equals(await download(rapid.result?.downloadUrl)));
    assert.equal(env.emulator.log.filter('cos-legacy.upload_slice_data').length, 0);
    const empty = await env.client.created({ fileName: 'empty.txt', size: 0 });
    assert.deepEqual(empty.plan, { partSize: COS_TEST_SLICE, partCount: 0 });
    assert.equal(empty.result?.size, 0);
    assert.equal((await download(empty.result?.downloadUrl)).length, 0);
    assert.equal((await errorOf(await env.client.partUrls(empty, [0]), 400)).code, 'bad-request');
  });

  void it('vends fresh signatures after the old ones expire: the stale URL gets -59, part-urls again works', async (t: TestContext) => {
    const env = await fixture(t, {}, { signatureTtlSec: 60 });
    const file = new Uint8Array(randomBytes(COS_TEST_SLICE + 10));
    const session = await env.client.created({ fileName: 'late.bin', size: file.length });
    const stale = (await env.client.urls(session, [0])).urls[0]?.url ?? '';
    env.clock.now += 61_000;
    const refused = await env.client.slice(session, stale, 0, file.subarray(0, COS_TEST_SLICE));
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { code: number }).code, -59);
    const fresh = (await env.client.urls(session, [0])).urls[0]?.url ?? '';
    assert.notEqual(fresh, stale);
    assert.equal((await env.client.slice(session, fresh, 0, file.subarray(0, COS_TEST_SLICE))).status, 200);
    await sendAll(env.client, session, file, [1]);
    const done = await completed(env.client, session, [{ index: 0 }, { index: 1 }]);
    assert.ok(Buffer.from(file).equals(await download(done.result.downloadUrl)));
  });

  void it('follows the slice_size COS answers, and accepts the fileContent spelling', async (t: TestContext) => {
    const env = await fixture(t, { forceSliceSize: 524288 });
    const file = new Uint8Array(randomBytes(524288 + 5));
    const session = await env.client.created({ fileName: 'forced.bin', size: file.length });
    assert.deepEqual(session.plan, { partSize: 524288, partCount: 2 });
    const { urls } = await env.client.urls(session, [0, 1]);
    for (const { index, url } of urls) assert.equal((await env.client.slice(session, url, index, slicesOf(file, 524288)[index] ?? new Uint8Array(0), 'fileContent')).status, 200);
    const done = await completed(env.client, session, [{ index: 0 }, { index: 1 }]);
    assert.ok(Buffer.from(file).equals(await download(done.result.downloadUrl)));
  });
});

void describe('backend with the COS legacy emulator: signatures and secrets', () => {
  void it('signs init multi-effect and finish single-effect, both bound to the file, and never shows the SecretKey', async (t: TestContext) => {
    const env = await fixture(t);
    const file = new Uint8Array(randomBytes(300));
    const session = await env.client.created({ fileName: 'a b.bin', size: file.length });
    const { urls } = await env.client.urls(session, [0]);
    await completed(env.client, session, await sendAll(env.client, session, file));
    const fileId = `/${COS_TEST.appId}/${COS_TEST.bucket}/docs/2024/a%20b.bin`;
    const [init, finish] = [env.upstream[0], env.upstream[env.upstream.length - 1]];
    assert.ok(init && finish);
    const nowSec = Math.floor(env.clock.now / 1000);
    assert.deepEqual({ ...signedText(init.authorization), r: '' }, { a: COS_TEST.appId, b: COS_TEST.bucket, k: COS_TEST.secretId, e: String(nowSec + 600), t: String(nowSec), r: '', f: fileId });
    assert.equal(signedText(finish.authorization)['e'], '0');
    assert.equal(signedText(finish.authorization)['f'], fileId);
    // The vended slice signature: multi-effect, 10 minutes, bound to the one file.
    const vended = signedText(new URL(urls[0]?.url ?? '').searchParams.get('sign') ?? '');
    assert.deepEqual([vended['k'], vended['e'], vended['f']], [COS_TEST.secretId, String(nowSec + 600), fileId]);
    const everything = env.client.seen.join('\n');
    assert.ok(!everything.includes(COS_TEST.secretKey));
    assert.ok(!everything.includes(Buffer.from(COS_TEST.secretKey).toString('base64').slice(0, 16)));
  });

  void it('re-signs and retries once when COS answers -59 to a backend call', async (t: TestContext) => {
    const env = await fixture(t);
    env.emulator.faults.set({ routes: { 'cos-legacy.upload_slice_init': { failNext: 1, errorCode: -59 } } });
    const session = await env.client.created({ fileName: 'clock.bin', size: 10 });
    assert.equal(typeof session.uploadId, 'string');
    assert.deepEqual(env.emulator.log.filter('cos-legacy.upload_slice_init').map((e) => e.code), [-59, 0]);
    assert.notEqual(env.upstream[0]?.authorization, env.upstream[1]?.authorization);
  });
});

void describe('backend with the COS legacy emulator: failures', () => {
  void it('refuses bad input before calling COS: target, providerOptions, hashes.sha1, uploadparts', async (t: TestContext) => {
    const env = await fixture(t);
    const file = new Uint8Array(randomBytes(COS_TEST_SLICE * 2));
    const parts = await uploadparts(file, COS_TEST_SLICE);
    const cases: Record<string, unknown>[] = [
      { target: 'a/../b', fileName: 'x', size: 1 },
      { target: 'a//b', fileName: 'x', size: 1 },
      { fileName: 'x', size: 1, providerOptions: { api: 'medias' } },
      { fileName: 'x', size: 1, providerOptions: { overwrite: 'yes' } },
      { fileName: 'x', size: 1, hashes: { sha1: 'abc' } },
      { fileName: 'x', size: file.length, providerOptions: { uploadparts: '[' } },
      { fileName: 'x', size: file.length, providerOptions: { uploadparts: JSON.stringify(parts.slice(0, 1)) } },
      { fileName: 'x', size: file.length, providerOptions: { uploadparts: JSON.stringify(parts) }, hashes: { sha1: sha1Hex(new Uint8Array(1)) } },
      { fileName: 'x', size: file.length, providerOptions: { uploadparts: JSON.stringify([parts[0], { ...parts[1], datalen: 5 }]) } },
    ];
    for (const body of cases) assert.equal((await errorOf(await env.client.create(body), 400)).code, 'bad-request', JSON.stringify(body));
    assert.equal(env.emulator.log.entries.length, 0);
  });

  void it('maps COS codes: -177 and -4020 to 409, overwrite to insertOnly=0, -71 to 429 with Retry-After, -196 to 503', async (t: TestContext) => {
    const env = await fixture(t);
    const file = new Uint8Array(randomBytes(100));
    const first = await env.client.created({ fileName: 'dup.bin', size: file.length });
    await completed(env.client, first, await sendAll(env.client, first, file));
    const exists = await errorOf(await env.client.create({ fileName: 'dup.bin', size: 50 }), 409);
    assert.deepEqual([exists.providerCode, exists.kind], ['-177', 'fatal']);
    const replaced = await env.client.created({ fileName: 'dup.bin', size: 50, providerOptions: { overwrite: true, bizAttr: 'v2' } });
    const other = new Uint8Array(randomBytes(50));
    await completed(env.client, replaced, await sendAll(env.client, replaced, other));
    assert.equal(env.emulator.cosLegacy.files().find((f) => f.path === 'docs/2024/dup.bin')?.bizAttr, 'v2');
    await env.client.created({ fileName: 'busy.bin', size: 10, hashes: { sha1: sha1Hex(new Uint8Array(10)) } });
    const busy = await errorOf(await env.client.create({ fileName: 'busy.bin', size: 10, hashes: { sha1: sha1Hex(new Uint8Array([1])) } }), 409);
    assert.equal(busy.providerCode, '-4020');
    env.emulator.faults.set({ routes: { 'cos-legacy.upload_slice_init': { failNext: 1, errorCode: -71 } } });
    const limited = await env.client.create({ fileName: 'rl.bin', size: 10 });
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.deepEqual(((await errorOf(limited, 429)).kind), 'rate-limited');
    env.emulator.faults.set({ routes: { 'cos-legacy.upload_slice_init': { failNext: 1 } } });
    const down = await errorOf(await env.client.create({ fileName: 'rl.bin', size: 10 }), 503);
    assert.deepEqual([down.providerCode, down.kind], ['-196', 'retry']);
  });

  void it('reports missing slices, a wrong sha1 and an expired session at complete and list', async (t: TestContext) => {
    const env = await fixture(t);
    const file = new Uint8Array(randomBytes(COS_TEST_SLICE * 2));
    const session = await env.client.created({ fileName: 'gap.bin', size: file.length, hashes: { sha1: sha1Hex(file) } });
    await sendAll(env.client, session, file, [0]);
    const missing = await errorOf(await env.client.complete(session, [{ index: 0 }]), 400);
    assert.equal(missing.providerCode, '-5999');
    const wrong = await errorOf(await env.client.complete(session, [{ index: 0 }], sha1Hex(new Uint8Array(3))), 400);
    assert.equal(wrong.kind, 'checksum-mismatch');
    await env.emulator.cosLegacy.expireSessions();
    const gone = await errorOf(await env.client.complete(session, [{ index: 0 }, { index: 1 }]), 410);
    assert.deepEqual([gone.code, gone.kind, gone.providerCode], ['session-expired', 'session-expired', '-197']);
    assert.equal((await errorOf(await env.client.listParts(session), 410)).kind, 'session-expired');
    assert.equal((await errorOf(await env.client.partUrls(session, [2]), 400)).code, 'bad-request');
    const aborted = await env.client.call('/v1/sessions', { method: 'DELETE', headers: { authorization: `Bearer ${session.ticket}` } });
    assert.equal(aborted.status, 204);
  });

  void it('answers a wrong-content slice with -4016 from storage, straight to the client', async (t: TestContext) => {
    const env = await fixture(t);
    const file = new Uint8Array(randomBytes(COS_TEST_SLICE * 2));
    const session = await env.client.created({ fileName: 'bad.bin', size: file.length, hashes: { sha1: sha1Hex(file) }, providerOptions: { uploadparts: JSON.stringify(await uploadparts(file, COS_TEST_SLICE)) } });
    const { urls } = await env.client.urls(session, [1]);
    const response = await env.client.slice(session, urls[0]?.url ?? '', 1, new Uint8Array(randomBytes(COS_TEST_SLICE)));
    assert.equal(response.status, 409);
    assert.equal(((await response.json()) as { code: number }).code, -4016);
  });
});
