// Emulator fault injection and rate limiting (task brief; cloud-apis.md §1.8, §7 general).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { emulatorFixture, TEST_BLOCK_SIZE, type FeishuRawClient } from '../support/emulator-fixture.js';

async function prepareFile(client: FeishuRawClient, token: string, size: number): Promise<{ uploadId: string; blockNum: number }> {
  const res = await client.prepare('files', { file_name: 'f.bin', parent_type: 'explorer', parent_node: 'fldemulatorroot', size }, token);
  const data = res.json.data as { upload_id: string; block_num: number } | undefined;
  assert.ok(data, res.body.toString());
  return { uploadId: data.upload_id, blockNum: data.block_num };
}

/** Codes of `n` upload_part calls (seq 0 of a one-block upload, re-sent). */
async function partCodes(client: FeishuRawClient, token: string, n: number): Promise<unknown[]> {
  const { uploadId } = await prepareFile(client, token, 100);
  const codes: unknown[] = [];
  for (let i = 0; i < n; i++) codes.push((await client.part('files', uploadId, 0, Buffer.alloc(100, i), token)).json.code);
  return codes;
}

void describe('error-rate faults', () => {
  void it('answers every matching request with the documented retryable 1061001 (HTTP 200) at rate 1 and leaves other routes alone', async (t) => {
    const { client, emulator } = await emulatorFixture(t, { faults: { routes: { 'feishu.*.upload_part': { errorRate: 1 } } } });
    const token = await client.token();
    const { uploadId } = await prepareFile(client, token, 100);
    const res = await client.part('files', uploadId, 0, Buffer.alloc(100), token);
    assert.equal(res.status, 200);
    assert.equal(res.json.code, 1061001);
    assert.equal(typeof (res.json['error'] as { log_id?: string }).log_id, 'string');
    const entry = emulator.log.filter('feishu.files.upload_part').at(-1);
    assert.equal(entry?.fault, 'error');
    assert.equal(entry?.code, 1061001);
    assert.ok((entry?.bytesIn ?? 0) > 100, 'the body was read before answering');
    assert.equal(emulator.log.filter('feishu.files.upload_prepare').at(-1)?.fault, undefined);
  });

  void it('uses the chosen provider code with its documented status', async (t) => {
    const { client } = await emulatorFixture(t, { faults: { routes: { 'feishu.files.upload_finish': { errorRate: 1, errorCode: 1061021 } } } });
    const token = await client.token();
    const { uploadId } = await prepareFile(client, token, 10);
    await client.part('files', uploadId, 0, Buffer.alloc(10), token);
    const res = await client.finish('files', uploadId, 1, token);
    assert.equal(res.status, 400);
    assert.equal(res.json.code, 1061021);
  });

  void it('draws rates from a seeded PRNG, so the same seed gives the same faults', async (t) => {
    const faults = { seed: 42, routes: { 'feishu.files.upload_part': { errorRate: 0.5, errorCode: 1061045 } } };
    const a = await emulatorFixture(t, { faults });
    const b = await emulatorFixture(t, { faults });
    const codesA = await partCodes(a.client, await a.client.token(), 24);
    const codesB = await partCodes(b.client, await b.client.token(), 24);
    assert.deepEqual(codesA, codesB);
    const failures = codesA.filter((c) => c === 1061045).length;
    assert.ok(failures > 4 && failures < 20, `about half fail, got ${failures}/24`);
    assert.ok(codesA.every((c) => c === 0 || c === 1061045));
    b.emulator.faults.set({ ...faults, seed: 7 });
    assert.notDeepEqual(await partCodes(b.client, await b.client.token(), 24), codesA, 'another seed, another sequence');
  });

  void it('fails exactly the next N requests with failNext, then lets them through', async (t) => {
    const { client, emulator } = await emulatorFixture(t);
    emulator.faults.set({ routes: { 'feishu.files.upload_part': { failNext: 2, errorCode: 1061045 } } });
    assert.deepEqual(await partCodes(client, await client.token(), 4), [1061045, 1061045, 0, 0]);
    assert.equal(emulator.faults.get().routes?.['feishu.files.upload_part']?.failNext, 0);
  });

  void it('prefers an exact route over a glob and a glob over "*"', async (t) => {
    const { client, emulator } = await emulatorFixture(t);
    emulator.faults.set({
      routes: {
        '*': { errorRate: 1, errorCode: 1061006 },
        'feishu.*.upload_part': { errorRate: 1, errorCode: 1061045 },
        'feishu.files.upload_part': { errorRate: 0 },
        'feishu.token': {},
      },
    });
    const token = await client.token();
    assert.equal((await client.prepare('files', { file_name: 'a', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 }, token)).json.code, 1061006);
    assert.equal((await client.part('medias', '1', 0, Buffer.alloc(1), token)).json.code, 1061045);
    assert.equal((await client.part('files', '1', 0, Buffer.alloc(1), token)).json.code, 1061002, 'exact route: no fault, normal validation');
  });
});

void describe('latency and dropped connections', () => {
  void it('adds the configured latency before answering', async (t) => {
    const { client, emulator } = await emulatorFixture(t, { faults: { routes: { 'feishu.token': { latencyMs: 200 } } } });
    const started = performance.now();
    await client.token();
    assert.ok(performance.now() - started >= 190, 'latency applied');
    assert.equal(emulator.log.filter('feishu.token').at(-1)?.fault, 'latency');
  });

  void it('destroys the connection after reading dropAfterBytes of the body, without a response', async (t) => {
    const { client, emulator } = await emulatorFixture(t, { faults: { routes: { 'feishu.files.upload_part': { dropNext: 1, dropAfterBytes: 20_000 } } } });
    const token = await client.token();
    const { uploadId } = await prepareFile(client, token, TEST_BLOCK_SIZE);
    const block = randomBytes(TEST_BLOCK_SIZE);
    await assert.rejects(client.part('files', uploadId, 0, block, token), (error: NodeJS.ErrnoException) => ['ECONNRESET', 'EPIPE'].includes(error.code ?? '') || /socket hang up/.test(error.message));
    const entry = emulator.log.filter('feishu.files.upload_part').at(-1);
    assert.equal(entry?.status, 0);
    assert.equal(entry?.fault, 'drop');
    assert.ok((entry?.bytesIn ?? 0) >= 20_000 && (entry?.bytesIn ?? 0) < TEST_BLOCK_SIZE, `read part of the body (${entry?.bytesIn})`);
    const retry = await client.part('files', uploadId, 0, block, token);
    assert.equal(retry.json.code, 0, 'the next attempt goes through');
  });

  void it('drops at a seeded rate with dropRate', async (t) => {
    const { client } = await emulatorFixture(t, { faults: { seed: 3, routes: { 'feishu.files.upload_prepare': { dropRate: 1, dropAfterBytes: 0 } } } });
    const token = await client.token();
    await assert.rejects(client.prepare('files', { file_name: 'a', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 }, token));
  });
});

void describe('early upload-id expiry', () => {
  void it('expires an upload after expireUploadsAfterParts accepted parts', async (t) => {
    const { client } = await emulatorFixture(t, { faults: { expireUploadsAfterParts: 2 } });
    const token = await client.token();
    const bytes = randomBytes(3 * TEST_BLOCK_SIZE);
    const { uploadId } = await prepareFile(client, token, bytes.length);
    const block = (seq: number) => bytes.subarray(seq * TEST_BLOCK_SIZE, (seq + 1) * TEST_BLOCK_SIZE);
    assert.equal((await client.part('files', uploadId, 0, block(0), token)).json.code, 0);
    assert.equal((await client.part('files', uploadId, 1, block(1), token)).json.code, 0);
    const third = await client.part('files', uploadId, 2, block(2), token);
    assert.equal(third.status, 400);
    assert.equal(third.json.code, 1061021);
    assert.equal((await client.finish('files', uploadId, 3, token)).json.code, 1061021);
  });
});

void describe('upload endpoint rate limit (5 QPS per app, on by default)', () => {
  void it('answers 1061045 with HTTP 200 beyond 5 calls in a second and recovers a second later', async (t) => {
    const frozen = Date.UTC(2026, 0, 1);
    const { client, emulator } = await emulatorFixture(t, { now: () => frozen, feishu: { rateLimit: { enabled: true } } });
    const token = await client.token();
    const { uploadId } = await prepareFile(client, token, 100);
    const codes: unknown[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await client.part('files', uploadId, 0, Buffer.alloc(100), token);
      codes.push(res.json.code);
      statuses.push(res.status);
    }
    assert.deepEqual(codes, [0, 0, 0, 0, 0, 1061045, 1061045]);
    assert.ok(statuses.every((s) => s === 200));
    emulator.clock.advance(1000);
    assert.equal((await client.part('files', uploadId, 0, Buffer.alloc(100), token)).json.code, 0);
    // Limits are per endpoint: prepare still has its own budget.
    assert.equal((await client.prepare('files', { file_name: 'b', parent_type: 'explorer', parent_node: 'fldemulatorroot', size: 1 }, token)).json.code, 0);
  });

  void it('lets everything through when turned off, at start or at run time', async (t) => {
    const frozen = Date.UTC(2026, 0, 1);
    const { client, emulator } = await emulatorFixture(t, { now: () => frozen, feishu: { rateLimit: { enabled: true } } });
    emulator.feishu.setRateLimit({ enabled: false });
    assert.ok((await partCodes(client, await client.token(), 12)).every((c) => c === 0));
    const admin = await client.send('PUT', '/__emulator/feishu/rate-limit', { 'content-type': 'application/json' }, Buffer.from('{"enabled":true,"qps":2}'));
    assert.equal(admin.status, 200);
    assert.deepEqual(await partCodes(client, await client.token(), 3), [0, 0, 1061045]);
  });

  void it('enforces the per-day budget', async (t) => {
    const frozen = Date.UTC(2026, 0, 1, 12);
    const { client, emulator } = await emulatorFixture(t, { now: () => frozen, feishu: { rateLimit: { enabled: true, perDay: 3, qps: 100 } } });
    const token = await client.token();
    assert.deepEqual(await partCodes(client, token, 4), [0, 0, 0, 1061045]);
    emulator.clock.advance(12 * 3_600_000);
    const fresh = await client.token();
    assert.deepEqual((await partCodes(client, fresh, 1)), [0], 'a new day');
  });

  void it('answers HTTP 429 99991400 with x-ogw-ratelimit headers in gateway mode', async (t) => {
    const frozen = Date.UTC(2026, 0, 1);
    const { client } = await emulatorFixture(t, { now: () => frozen, feishu: { rateLimit: { enabled: true, mode: 'gateway', qps: 1 } } });
    const token = await client.token();
    const { uploadId } = await prepareFile(client, token, 10);
    assert.equal((await client.part('files', uploadId, 0, Buffer.alloc(10), token)).json.code, 0);
    const limited = await client.part('files', uploadId, 0, Buffer.alloc(10), token);
    assert.equal(limited.status, 429);
    assert.equal(limited.json.code, 99991400);
    assert.equal(limited.headers['x-ogw-ratelimit-limit'], '1');
    assert.equal(limited.headers['x-ogw-ratelimit-reset'], '1');
  });
});
