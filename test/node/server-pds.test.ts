// Backend ↔ PDS emulator: full round trips over session protocol v1 with the browser's side
// played by fetch (parallel and serial modes), the rapid-upload exchange, presigned URL expiry
// and re-signing, SHA-1 context checks, the JWT-bearer token, abort, error mapping and secret
// hygiene (cloud-apis.md §2; docs/protocol.md §PDS).
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { CompleteResponse, CreateSessionResponse, ErrorResponse, ListPartsResponse, PartReceipt, PartUrl, PartUrlsResponse } from '../../src/core/index.js';
import { startEmulator, type PdsEmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import { Crc64Ecma } from '../../src/emulator/infra/crc64-ecma.js';
import { Sha1Compressor } from '../../src/emulator/infra/sha1-compressor.js';
import { pdsProofRange, startUploadServer, type PdsServerConfig, type RunningUploadServer, type UploadHandlerOptions } from '../../src/server/index.js';

const TOKEN = 'pds-server-test-token-6c1f0e';
const OSS_SECRET = 'pds-server-test-oss-secret-77aa';
const TICKET_SECRET = 'server-pds-test-ticket-secret-0123456789abcdef';
const PART = 4096;

interface Env {
  emulator: RunningEmulator;
  backend: RunningUploadServer;
  client: Client;
}

/** An emulator and a backend on 127.0.0.1:0, closed by t.after. */
async function fixture(t: TestContext, pds: PdsEmulatorOptions = {}, server: Partial<PdsServerConfig> = {}, handler: Partial<UploadHandlerOptions> = {}): Promise<Env> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ccu-server-pds-'));
  const emulator = await startEmulator({ port: 0, dataDir, pds: { accessToken: TOKEN, ossSecret: OSS_SECRET, minPartSize: 1024, ...pds } });
  const backend = await startUploadServer({
    ...handler,
    port: 0,
    secret: TICKET_SECRET,
    providers: { pds: { baseUrl: emulator.url, domainId: 'emulator', driveId: '1', accessToken: TOKEN, minPartSize: 1024, partSize: PART, ...server } },
  });
  t.after(async () => {
    await backend.close();
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { emulator, backend, client: new Client(backend.url) };
}

/** The browser's side: records every header and body it saw, to prove no secret leaked. */
class Client {
  readonly seen: string[] = [];
  constructor(readonly base: string) {}

  async call(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url.startsWith('http') ? url : `${this.base}${url}`, init);
    const text = await response.clone().text();
    this.seen.push(JSON.stringify([...response.headers]), text);
    return response;
  }

  async create(body: Record<string, unknown>, status = 201): Promise<CreateSessionResponse> {
    const response = await this.call('/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'pds', target: 'root', fileName: 'data.bin', partSize: PART, ...body }),
    });
    assert.equal(response.status, status, await response.clone().text());
    return (await response.json()) as CreateSessionResponse;
  }

  async createError(body: Record<string, unknown>): Promise<{ status: number; error: ErrorResponse['error'] }> {
    const response = await this.call('/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'pds', target: 'root', fileName: 'data.bin', partSize: PART, ...body }),
    });
    return { status: response.status, error: ((await response.json()) as ErrorResponse).error };
  }

  async partUrls(session: CreateSessionResponse, indexes: number[], checksums?: Record<string, string>): Promise<Response> {
    return this.call('/v1/sessions/part-urls', {
      method: 'POST',
      headers: { authorization: `Bearer ${session.ticket}`, 'content-type': 'application/json' },
      body: JSON.stringify({ indexes, ...(checksums && { checksums }) }),
    });
  }

  async urls(session: CreateSessionResponse, indexes: number[], checksums?: Record<string, string>): Promise<PartUrl[]> {
    const response = await this.partUrls(session, indexes, checksums);
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as PartUrlsResponse).urls;
  }

  async put(url: PartUrl, bytes: Uint8Array<ArrayBuffer>): Promise<Response> {
    return this.call(url.url, { method: url.method, headers: url.headers, body: bytes });
  }

  async complete(session: CreateSessionResponse, body: Record<string, unknown>): Promise<Response> {
    return this.call('/v1/sessions/complete', {
      method: 'POST',
      headers: { authorization: `Bearer ${session.ticket}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
}

function slice(file: Uint8Array<ArrayBuffer>, plan: CreateSessionResponse['plan'], index: number): Uint8Array<ArrayBuffer> {
  return file.subarray(index * plan.partSize, (index + 1) * plan.partSize);
}

/** `sha1-ctx` of each part as the hash pool encodes it (spec §2.9 item 4). */
function ctxChecksums(file: Uint8Array, partSize: number): Record<string, string> {
  const out: Record<string, string> = {};
  const sha = new Sha1Compressor();
  for (let index = 0, offset = 0; offset < file.length || index === 0; index++, offset += partSize) {
    out[String(index)] = JSON.stringify({ h: offset === 0 ? [] : sha.words(), part_offset: offset });
    sha.update(file.subarray(offset, offset + partSize));
  }
  return out;
}

const sha1 = (bytes: Uint8Array): string => createHash('sha1').update(bytes).digest('hex');
const crc64 = (bytes: Uint8Array): string => {
  const crc = new Crc64Ecma();
  crc.update(bytes);
  return crc.toString();
};

/** The browser's whole parallel upload: first URL from create, the rest from part-urls. */
async function uploadParallel(client: Client, file: Uint8Array<ArrayBuffer>, session: CreateSessionResponse): Promise<PartReceipt[]> {
  const checksums = ctxChecksums(file, session.plan.partSize);
  const first = (session.providerData?.['partUrls'] as PartUrl[])[0]!;
  const rest = Array.from({ length: session.plan.partCount - 1 }, (_, i) => i + 1);
  const urls = [first, ...(rest.length > 0 ? await client.urls(session, rest, Object.fromEntries(rest.map((i) => [String(i), checksums[String(i)]!]))) : [])];
  const receipts: PartReceipt[] = [];
  // Parallel mode: send the parts in reverse order on purpose.
  for (const url of [...urls].reverse()) {
    const response = await client.put(url, slice(file, session.plan, url.index));
    assert.equal(response.status, 200, await response.text());
    receipts.push({ index: url.index, etag: response.headers.get('etag')! });
  }
  return receipts;
}

void describe('backend with the PDS emulator: round trips', () => {
  void it('stores bytes equal to the original in parallel mode: create, part URLs with SHA-1 contexts, direct PUTs, complete, download', async (t) => {
    const { client, emulator } = await fixture(t);
    const file = new Uint8Array(randomBytes(5 * PART + 321));
    const session = await client.create({ size: file.length, mimeType: 'application/octet-stream' });
    assert.equal(session.transport, 'direct');
    assert.equal(session.partChecksum, 'sha1-ctx');
    assert.deepEqual(session.plan, { partSize: PART, partCount: 6 });
    assert.deepEqual(session.traffic, { maxConcurrency: 4, minIntervalMs: 0 });
    const data = session.providerData!;
    assert.equal(data['mode'], 'parallel');
    assert.equal(data['driveId'], '1');
    assert.match(String(data['fileId']), /^[a-z0-9]{40}$/);
    const first = data['partUrls'] as PartUrl[];
    assert.equal(first.length, 1);
    assert.equal(first[0]!.index, 0);
    assert.deepEqual(first[0]!.headers, {}, 'content_type "" → send no Content-Type');
    assert.ok(first[0]!.expiresAt > Date.now() + 14 * 60_000 && first[0]!.expiresAt <= Date.now() + 16 * 60_000, 'expiresAt is the URL Expires, 15 min ahead');
    const receipts = await uploadParallel(client, file, session);

    const listed = await client.call('/v1/sessions/parts', { headers: { authorization: `Bearer ${session.ticket}` } });
    assert.equal(listed.status, 200);
    const parts = ((await listed.json()) as ListPartsResponse).parts;
    assert.deepEqual(parts.map((p) => p.index), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(parts.map((p) => p.etag), [...receipts].sort((a, b) => a.index - b.index).map((r) => r.etag));

    emulator.log.clear();
    const done = await client.complete(session, { parts: receipts, sha1: sha1(file), crc64: crc64(file) });
    assert.equal(done.status, 200, await done.clone().text());
    const { result } = (await done.json()) as CompleteResponse;
    assert.equal(result.provider, 'pds');
    assert.equal(result.fileId, data['fileId']);
    assert.equal(result.driveId, '1');
    assert.equal(result.name, 'data.bin');
    assert.equal(result.size, file.length);
    assert.equal(emulator.log.filter('pds.file.complete').length, 1);
    const download = await fetch(result.downloadUrl!);
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), Buffer.from(file));
  });

  void it('falls back to serial mode when PDS refuses parallel upload: one part at a time, in order, no checksum', async (t) => {
    const { client, emulator } = await fixture(t, { parallelUpload: false });
    const file = new Uint8Array(randomBytes(6 * PART + 5));
    const session = await client.create({ size: file.length });
    assert.equal(session.providerData?.['mode'], 'serial');
    assert.equal(session.partChecksum, null);
    assert.deepEqual(session.traffic, { maxConcurrency: 1, minIntervalMs: 0 });
    const first = session.providerData?.['partUrls'] as PartUrl[];
    assert.deepEqual(first.map((u) => u.index), [0, 1, 2, 3], 'a first batch of URLs comes with the session');
    assert.equal(emulator.log.filter('pds.file.create').map((e) => e.code).join(','), 'InvalidParameterNotSupported.ParallelUpload,', 'one refused create, then serial');
    const outOfOrder = await client.put(first[1]!, slice(file, session.plan, 1));
    assert.equal(outOfOrder.status, 400);
    assert.match(await outOfOrder.text(), /PartNotSequential/);
    const receipts: PartReceipt[] = [];
    const urls = [...first, ...(await client.urls(session, [4, 5, 6]))];
    for (const url of urls) {
      const response = await client.put(url, slice(file, session.plan, url.index));
      assert.equal(response.status, 200, await response.text());
      receipts.push({ index: url.index, etag: response.headers.get('etag')! });
    }
    const done = await client.complete(session, { parts: receipts });
    assert.equal(done.status, 200, await done.clone().text());
    const { result } = (await done.json()) as CompleteResponse;
    assert.deepEqual(Buffer.from(await (await fetch(result.downloadUrl!)).arrayBuffer()), Buffer.from(file));
  });

  void it('uploads an empty file as one empty part', async (t) => {
    const { client } = await fixture(t);
    const session = await client.create({ size: 0, fileName: 'empty.txt' });
    assert.deepEqual(session.plan, { partSize: PART, partCount: 1 });
    const url = (session.providerData?.['partUrls'] as PartUrl[])[0]!;
    assert.equal((await client.put(url, new Uint8Array(0))).status, 200);
    const done = await client.complete(session, { parts: [] });
    assert.equal(done.status, 200, await done.clone().text());
    assert.equal(((await done.json()) as CompleteResponse).result.size, 0);
  });

  void it('answers a repeated complete with the same stored file (PDS NotFound.UploadId, then file/get)', async (t) => {
    const { client } = await fixture(t);
    const file = new Uint8Array(randomBytes(PART + 1));
    const session = await client.create({ size: file.length });
    const receipts = await uploadParallel(client, file, session);
    const first = (await (await client.complete(session, { parts: receipts })).json()) as CompleteResponse;
    const again = await client.complete(session, { parts: receipts });
    assert.equal(again.status, 200, await again.clone().text());
    assert.equal(((await again.json()) as CompleteResponse).result.fileId, first.result.fileId);
  });
});

void describe('backend with the PDS emulator: rapid upload', () => {
  void it('walks pre_hash → full SHA-1 → proof bytes and completes without sending any part', async (t) => {
    const { client, emulator } = await fixture(t, {}, { rapidUploadMinSize: 1 });
    const file = new Uint8Array(randomBytes(3 * PART + 17));
    const original = await client.create({ size: file.length, fileName: 'original.bin' });
    await client.complete(original, { parts: await uploadParallel(client, file, original) });
    emulator.log.clear();

    const preHash = sha1(file.subarray(0, 1024));
    const step1 = await client.create({ size: file.length, fileName: 'copy.bin', hashes: { preHash } });
    assert.deepEqual(step1.providerData?.['rapidUpload'], { need: 'sha1' });
    assert.equal(step1.uploadId, '');
    assert.equal(emulator.log.filter('pds.file.create')[0]?.code, 'PreHashMatched');

    const step2 = await client.create({ size: file.length, fileName: 'copy.bin', hashes: { preHash, sha1: sha1(file) } });
    const need = step2.providerData?.['rapidUpload'] as { need: string; offset: number; length: number };
    const expected = pdsProofRange(TOKEN, file.length);
    assert.deepEqual(need, { need: 'proof', offset: expected.offset, length: expected.length });
    assert.equal(emulator.log.filter('pds.file.create').length, 1, 'asking for proof bytes costs no PDS call');

    const proofBytes = Buffer.from(file.subarray(need.offset, need.offset + need.length)).toString('base64');
    const step3 = await client.create({ size: file.length, fileName: 'copy.bin', hashes: { preHash, sha1: sha1(file), proofOffset: String(need.offset), proofBytes } });
    assert.ok(step3.result, 'the upload finished at creation');
    assert.equal(step3.result.rapid, true);
    assert.equal(step3.result.name, 'copy.bin');
    assert.notEqual(step3.result.fileId, undefined);
    assert.equal(emulator.log.filter('pds.oss.put_part').length, 0, 'no part bytes were sent');
    assert.deepEqual(Buffer.from(await (await fetch(step3.result.downloadUrl!)).arrayBuffer()), Buffer.from(file));
  });

  void it('creates a normal upload when the pre_hash does not match or the proof is wrong', async (t) => {
    const { client } = await fixture(t, {}, { rapidUploadMinSize: 1 });
    const file = new Uint8Array(randomBytes(2 * PART));
    const fresh = await client.create({ size: file.length, hashes: { preHash: sha1(file.subarray(0, 1024)) } });
    assert.notEqual(fresh.uploadId, '', 'no stored content matches: upload as usual');
    assert.equal(fresh.providerData?.['rapidUpload'], undefined);
    await client.complete(fresh, { parts: await uploadParallel(client, file, fresh) });

    const { offset, length } = pdsProofRange(TOKEN, file.length);
    const wrong = Buffer.from(file.subarray(offset, offset + length).map((b) => b ^ 0xff)).toString('base64');
    const fallback = await client.create({ size: file.length, hashes: { sha1: sha1(file), proofOffset: String(offset), proofBytes: wrong } });
    assert.equal(fallback.result, undefined);
    assert.notEqual(fallback.uploadId, '', 'InvalidRapidProof → a normal upload session');
    const bad = await client.createError({ size: file.length, hashes: { sha1: sha1(file), proofOffset: String(offset), proofBytes: 'AA==' } });
    assert.equal(bad.status, 400, 'proof bytes of the wrong length are refused before any PDS call');
  });
});

void describe('backend with the PDS emulator: URLs, contexts and errors', () => {
  void it('re-signs part URLs after they expire: the old URL gets 403 "Request has expired.", part-urls gives a working one', async (t) => {
    const { client, emulator } = await fixture(t);
    const file = new Uint8Array(randomBytes(PART));
    const session = await client.create({ size: file.length });
    const old = (session.providerData?.['partUrls'] as PartUrl[])[0]!;
    emulator.clock.advance(15 * 60_000 + 1000);
    const expired = await client.put(old, file);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>AccessDenied<\/Code>[\s\S]*Request has expired/);
    const [fresh] = await client.urls(session, [0], ctxChecksums(file, PART));
    assert.notEqual(fresh!.url, old.url);
    assert.equal((await client.put(fresh!, file)).status, 200);

    await fetch(`${emulator.url}/__emulator/pds/expire-urls`, { method: 'POST' });
    const again = await client.urls(session, [0]);
    assert.equal((await client.put(again[0]!, file)).status, 200, 'URLs signed after a revocation work at once');
  });

  void it('checks SHA-1 contexts: a wrong part_offset is refused at once, a wrong state fails complete as checksum-mismatch', async (t) => {
    const { client } = await fixture(t);
    const file = new Uint8Array(randomBytes(2 * PART));
    const session = await client.create({ size: file.length });
    const offBy = await client.partUrls(session, [1], { '1': JSON.stringify({ h: [1, 2, 3, 4, 5], part_offset: 64 }) });
    assert.equal(offBy.status, 400);
    const missing = await client.partUrls(session, [1]);
    assert.equal(missing.status, 400, 'parallel parts after the first need their context');
    const [url] = await client.urls(session, [1], { '1': JSON.stringify({ h: [1, 2, 3, 4, 5], part_offset: PART }) });
    const first = (session.providerData?.['partUrls'] as PartUrl[])[0]!;
    assert.equal((await client.put(first, slice(file, session.plan, 0))).status, 200);
    assert.equal((await client.put(url!, slice(file, session.plan, 1))).status, 200);
    const done = await client.complete(session, { parts: [] });
    assert.equal(done.status, 400);
    const { error } = (await done.json()) as ErrorResponse;
    assert.equal(error.code, 'checksum-mismatch');
    assert.equal(error.kind, 'checksum-mismatch');
    assert.equal(error.providerCode, 'InvalidParameter.ParallelSha1Ctx');
  });

  void it('maps PDS failures to typed errors: bad target, missing folder, name clash, expired upload, gateway timeout', async (t) => {
    const { client, emulator } = await fixture(t);
    emulator.log.clear();
    const badTarget = await client.createError({ size: 10, target: 'Root/..' });
    assert.equal(badTarget.status, 400);
    assert.equal(emulator.log.entries.length, 0, 'refused before any PDS call');
    const missing = await client.createError({ size: 10, target: 'nosuchfolder' });
    assert.deepEqual([missing.status, missing.error.code, missing.error.providerCode], [404, 'not-found', 'NotFound.File']);
    await client.create({ size: 10, fileName: 'same.txt' });
    const clash = await client.createError({ size: 10, fileName: 'same.txt', providerOptions: { checkNameMode: 'refuse' } });
    assert.deepEqual([clash.status, clash.error.code], [409, 'invalid-name']);
    const renamed = await client.create({ size: 10, fileName: 'same.txt' });
    assert.equal(renamed.providerData?.['fileName'], 'same(1).txt', 'auto_rename is the default');

    const session = await client.create({ size: 2 * PART });
    await emulator.pds.expireUploads();
    const gone = await client.partUrls(session, [1], ctxChecksums(new Uint8Array(2 * PART), PART));
    assert.equal(gone.status, 410);
    const goneError = ((await gone.json()) as ErrorResponse).error;
    assert.deepEqual([goneError.code, goneError.kind, goneError.providerCode], ['session-expired', 'session-expired', 'NotFound.UploadId']);

    emulator.faults.set({ routes: { 'pds.file.create': { failNext: 1, errorCode: 'D504TO' } } });
    const timeout = await client.createError({ size: 10 });
    assert.deepEqual([timeout.status, timeout.error.code, timeout.error.kind, timeout.error.providerCode], [504, 'timeout', 'retry', 'D504TO']);
    emulator.faults.set({ routes: { 'pds.file.create': { failNext: 1, errorCode: 'TooManyRequests' } } });
    const limited = await client.createError({ size: 10 });
    assert.deepEqual([limited.status, limited.error.kind], [429, 'rate-limited']);
    assert.equal(limited.error.retryAfterMs, 1000);
  });

  void it('aborts by deleting the uploading file, and leaves a finished file alone', async (t) => {
    const { client, emulator } = await fixture(t);
    const session = await client.create({ size: 10 });
    const abort = await client.call('/v1/sessions', { method: 'DELETE', headers: { authorization: `Bearer ${session.ticket}` } });
    assert.equal(abort.status, 204);
    assert.equal(emulator.pds.files().some((f) => f.fileId === session.providerData?.['fileId']), false);

    const file = new Uint8Array(randomBytes(100));
    const kept = await client.create({ size: file.length, fileName: 'kept.bin' });
    await client.complete(kept, { parts: await uploadParallel(client, file, kept) });
    await client.call('/v1/sessions', { method: 'DELETE', headers: { authorization: `Bearer ${kept.ticket}` } });
    assert.equal(emulator.pds.files().find((f) => f.fileId === kept.providerData?.['fileId'])?.status, 'available');
  });

  void it('never shows the browser the access token or the storage signing secret', async (t) => {
    const { client, emulator } = await fixture(t, {}, { rapidUploadMinSize: 1 });
    const file = new Uint8Array(randomBytes(2 * PART + 3));
    const session = await client.create({ size: file.length });
    await client.complete(session, { parts: await uploadParallel(client, file, session), sha1: sha1(file) });
    await client.create({ size: file.length, hashes: { sha1: sha1(file) } });
    emulator.faults.set({ routes: { 'pds.file.create': { failNext: 1 } } });
    await client.createError({ size: 1 });
    await client.createError({ size: 1, target: 'nosuchfolder' });
    const seen = client.seen.join('\n');
    assert.ok(client.seen.length > 10);
    assert.equal(seen.includes(TOKEN), false, 'access token');
    assert.equal(seen.includes(OSS_SECRET), false, 'OSS secret');
  });
});

void describe('backend with the PDS emulator: JWT app', () => {
  void it('gets its access token with an RS256 jwt-bearer assertion, caches it, renews it before expiry, and once when PDS rejects it', async (t) => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const shared = { now: (): number => Date.now() };
    const { client, emulator } = await fixture(
      t,
      { domainId: 'dom-test', jwtApp: { clientId: 'app-test', publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() } },
      { accessToken: undefined, domainId: 'dom-test', jwt: { clientId: 'app-test', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), subject: 'user-1' } },
      // One clock for both sides, so advancing it ages the backend's token too.
      { now: () => shared.now() },
    );
    shared.now = () => emulator.clock.now();
    const file = new Uint8Array(randomBytes(PART + 9));
    const session = await client.create({ size: file.length });
    const done = await client.complete(session, { parts: await uploadParallel(client, file, session) });
    assert.equal(done.status, 200, await done.clone().text());
    assert.equal(emulator.log.filter('pds.oauth.token').length, 1, 'one token for every call');
    // 1 h 56 min later the token has less than the refresh margin left: a new one first.
    emulator.clock.advance(116 * 60_000);
    emulator.log.clear();
    assert.notEqual((await client.create({ size: 10, fileName: 'later.bin' })).uploadId, '');
    assert.deepEqual(emulator.log.entries.map((e) => e.route), ['pds.oauth.token', 'pds.file.create']);
    // PDS forgets the token (e.g. revoked): the backend fetches a new one and retries once.
    emulator.pds.revokeTokens();
    emulator.log.clear();
    assert.notEqual((await client.create({ size: 10, fileName: 'revoked.bin' })).uploadId, '');
    assert.deepEqual(emulator.log.entries.map((e) => [e.route, e.code ?? e.status]), [
      ['pds.file.create', 'AccessTokenInvalid'],
      ['pds.oauth.token', 200],
      ['pds.file.create', 201],
    ]);
  });
});
