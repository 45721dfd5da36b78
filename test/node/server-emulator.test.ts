import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adler32 } from 'hash-wasm';
import type { CompleteResponse, CreateSessionResponse, ErrorResponse, PartReceipt, RenewResponse } from '../../src/core/index.js';
import { startEmulator, type FeishuEmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import { startUploadServer, type RunningUploadServer, type UploadHandlerOptions } from '../../src/server/index.js';
import { FEISHU_PACING_MARGIN_MS } from '../../src/server/providers/feishu-provider.js';

const APP = { appId: 'cli_server_test', appSecret: 'server-test-app-secret-9f3c' };
const TARGET = 'fldemulatorroot';

/** Adler-32 as Feishu wants it: unsigned decimal (cloud-apis.md §1.7), from hash-wasm, not our code. */
async function adler(bytes: Uint8Array): Promise<string> {
  return String(parseInt(await adler32(bytes), 16));
}

/** An emulator and a backend on 127.0.0.1:0, torn down by `close`. */
async function fixture(feishu: FeishuEmulatorOptions, server: Partial<UploadHandlerOptions> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'ccu-server-'));
  const emulator = await startEmulator({ port: 0, dataDir, feishu: { ...APP, ...feishu } });
  const backend = await startUploadServer({
    port: 0,
    secret: 'server-test-ticket-secret-0123456789abcdef',
    providers: { feishu: { baseUrl: emulator.url, ...APP } },
    ...server,
  });
  return {
    emulator,
    backend,
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
    const text = await response.clone().text();
    this.seen.push(JSON.stringify([...response.headers]), text);
    return response;
  }

  async create(size: number, fileName = 'report.bin'): Promise<CreateSessionResponse> {
    const response = await this.call('/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'feishu', target: TARGET, fileName, size }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as CreateSessionResponse;
  }

  async put(session: CreateSessionResponse, index: number, bytes: Uint8Array<ArrayBuffer>, checksum?: string): Promise<Response> {
    return this.call(`/v1/sessions/parts/${index}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${session.ticket}`, ...(checksum !== undefined && { 'x-part-checksum': checksum }) },
      body: bytes,
    });
  }

  async complete(session: CreateSessionResponse, parts: PartReceipt[]): Promise<Response> {
    return this.call('/v1/sessions/complete', {
      method: 'POST',
      headers: { authorization: `Bearer ${session.ticket}`, 'content-type': 'application/json' },
      body: JSON.stringify({ parts }),
    });
  }
}

function slices(file: Uint8Array<ArrayBuffer>, partSize: number): Uint8Array<ArrayBuffer>[] {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (let start = 0; start < file.length; start += partSize) parts.push(file.subarray(start, start + partSize));
  return parts;
}

async function uploadAll(client: Client, file: Uint8Array<ArrayBuffer>, name = 'report.bin'): Promise<CompleteResponse> {
  const session = await client.create(file.length, name);
  const receipts: PartReceipt[] = [];
  for (const [index, part] of slices(file, session.plan.partSize).entries()) {
    const response = await client.put(session, index, part, await adler(part));
    assert.equal(response.status, 200, await response.clone().text());
    receipts.push((await response.json()) as PartReceipt);
  }
  const done = await client.complete(session, receipts);
  assert.equal(done.status, 200, await done.clone().text());
  return (await done.json()) as CompleteResponse;
}

void describe('backend relaying to the Feishu emulator', () => {
  let env: Awaited<ReturnType<typeof fixture>>;
  let emulator: RunningEmulator;
  let backend: RunningUploadServer;
  before(async () => {
    env = await fixture({ blockSize: 65536, rateLimit: { enabled: false } });
    ({ emulator, backend } = env);
  });
  after(async () => {
    await env.close();
  });

  void it('stores bytes equal to the original: create, relayed parts with Adler-32, complete, download', async () => {
    const file = new Uint8Array(randomBytes(65536 * 3 + 1234));
    const client = new Client(backend.url);
    emulator.log.clear();
    const session = await client.create(file.length, 'report.bin');
    assert.deepEqual(session.plan, { partSize: 65536, partCount: 4 });
    assert.deepEqual(session.traffic, { maxConcurrency: 1, minIntervalMs: 200 });
    assert.equal(session.transport, 'relay');
    assert.equal(session.partChecksum, 'adler32');
    const receipts: PartReceipt[] = [];
    for (const [index, part] of slices(file, 65536).entries()) {
      const checksum = await adler(part);
      const response = await client.put(session, index, part, checksum);
      assert.equal(response.status, 200, await response.clone().text());
      const receipt = (await response.json()) as PartReceipt;
      assert.deepEqual(receipt, { index, checksum });
      receipts.push(receipt);
    }
    const done = await client.complete(session, receipts);
    assert.equal(done.status, 200, await done.clone().text());
    const { result } = (await done.json()) as CompleteResponse;
    assert.equal(result.provider, 'feishu');
    assert.equal(result.name, 'report.bin');
    assert.equal(result.size, file.length);
    assert.ok(result.fileToken);

    // The emulator verified every checksum and stored exactly what we sent.
    const partCalls = emulator.log.filter('feishu.files.upload_part');
    assert.deepEqual(partCalls.map((e) => e.code), [0, 0, 0, 0]);
    const direct = await fetch(`${emulator.url}/open-apis/drive/v1/files/${result.fileToken}/download`, {
      headers: { authorization: `Bearer ${emulator.feishu.tenantToken()}` },
    });
    assert.deepEqual(new Uint8Array(await direct.arrayBuffer()), file);

    // And the backend's download link streams the same bytes without the tenant token.
    assert.ok(result.downloadUrl?.startsWith(`${backend.url}/v1/files/feishu/${result.fileToken}/download?ticket=`));
    const viaBackend = await client.call(result.downloadUrl ?? '');
    assert.equal(viaBackend.status, 200);
    assert.equal(viaBackend.headers.get('content-disposition'), "attachment; filename*=UTF-8''report.bin");
    assert.deepEqual(new Uint8Array(await viaBackend.arrayBuffer()), file);
  });

  void it('passes a wrong part checksum through as checksum-mismatch, and the part can then be re-sent', async () => {
    const file = new Uint8Array(randomBytes(1000));
    const client = new Client(backend.url);
    const session = await client.create(file.length);
    const wrong = String((Number(await adler(file)) + 1) % 2 ** 32);
    const refused = await client.put(session, 0, file, wrong);
    assert.equal(refused.status, 400);
    const { error } = (await refused.json()) as ErrorResponse;
    assert.equal(error.code, 'checksum-mismatch');
    assert.equal(error.kind, 'checksum-mismatch');
    assert.equal(error.providerCode, '1062008');
    assert.equal((await client.put(session, 0, file, await adler(file))).status, 200);
    assert.equal((await client.complete(session, [{ index: 0 }])).status, 200);
  });

  void it('refuses a part whose body is longer than the plan says, before the provider stores anything', async () => {
    const client = new Client(backend.url);
    const session = await client.create(70000);
    emulator.log.clear();
    const tooLong = await client.put(session, 1, new Uint8Array(70000 - 65536 + 1));
    assert.equal(tooLong.status, 400);
    assert.equal(((await tooLong.json()) as ErrorResponse).error.code, 'size-mismatch');
    assert.equal(emulator.log.filter('feishu.*.upload_part').length, 0);
  });

  void it('aborts a chunked relay that runs past the planned length, so the provider stores no part', async () => {
    const file = new Uint8Array(randomBytes(65536 + 100));
    const client = new Client(backend.url);
    const session = await client.create(file.length);
    assert.equal((await client.put(session, 0, file.subarray(0, 65536))).status, 200);
    // No Content-Length: the body arrives chunked and is only found too long mid-stream.
    const tooLong = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(file.subarray(65536));
        controller.enqueue(new Uint8Array(50));
        controller.close();
      },
    });
    const refused = await client.call('/v1/sessions/parts/1', {
      method: 'PUT', headers: { authorization: `Bearer ${session.ticket}` }, body: tooLong, duplex: 'half',
    } as RequestInit);
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as ErrorResponse).error.code, 'size-mismatch');
    const early = await client.complete(session, []);
    assert.equal(early.status, 409, 'part 1 was not stored');
    assert.equal(((await early.json()) as ErrorResponse).error.code, 'parts-missing');
    assert.equal((await client.put(session, 1, file.subarray(65536))).status, 200);
    const done = await client.complete(session, []);
    assert.equal(done.status, 200);
    const { result } = (await done.json()) as CompleteResponse;
    const stored = await fetch(`${emulator.url}/open-apis/drive/v1/files/${result.fileToken}/download`, {
      headers: { authorization: `Bearer ${emulator.feishu.tenantToken()}` },
    });
    assert.deepEqual(new Uint8Array(await stored.arrayBuffer()), file);
  });

  void it('renews a ticket for the same upload, and the new ticket completes it', async () => {
    const file = new Uint8Array(randomBytes(300));
    const client = new Client(backend.url);
    const session = await client.create(file.length);
    assert.equal((await client.put(session, 0, file)).status, 200);
    const renewed = await client.call('/v1/sessions/renew', { method: 'POST', headers: { authorization: `Bearer ${session.ticket}` } });
    assert.equal(renewed.status, 200);
    const { ticket, expiresAt } = (await renewed.json()) as RenewResponse;
    assert.notEqual(ticket, session.ticket);
    assert.ok(expiresAt >= session.expiresAt);
    const done = await client.complete({ ...session, ticket }, [{ index: 0 }]);
    assert.equal(done.status, 200);
  });
});

void describe('tenant token handling against the emulator', () => {
  void it('refreshes the tenant token three minutes before it expires', async () => {
    let now = Date.now();
    const env = await fixture({ rateLimit: { enabled: false } }, { now: () => now });
    try {
      const client = new Client(env.backend.url);
      await uploadAll(client, new Uint8Array(randomBytes(100)));
      assert.equal(env.emulator.log.filter('feishu.token').length, 1);
      // 2 h lifetime minus the 3 min margin, on both clocks: the emulator then issues a new token.
      const step = 7200_000 - 3 * 60_000 + 1000;
      now += step;
      env.emulator.clock.advance(step);
      await uploadAll(client, new Uint8Array(randomBytes(100)));
      const tokenCalls = env.emulator.log.filter('feishu.token');
      assert.equal(tokenCalls.length, 2);
      assert.ok(env.emulator.log.entries.every((e) => e.code !== 99991663), 'no call was made with a stale token');
    } finally {
      await env.close();
    }
  });

  void it('fetches a new token once when the provider rejects the cached one, and the create succeeds', async () => {
    const env = await fixture({ rateLimit: { enabled: false } });
    try {
      const client = new Client(env.backend.url);
      await uploadAll(client, new Uint8Array(randomBytes(100)));
      // The emulator's clock runs past the token's life; the backend's clock does not know.
      env.emulator.clock.advance(7200_000 + 1000);
      await uploadAll(client, new Uint8Array(randomBytes(100)));
      assert.equal(env.emulator.log.filter('feishu.token').length, 2);
      assert.deepEqual(env.emulator.log.filter('feishu.files.upload_prepare').map((e) => e.code), [0, 99991663, 0]);
    } finally {
      await env.close();
    }
  });

  void it('answers a relayed part rejected for its token with a retryable error, and the resend succeeds', async () => {
    const env = await fixture({ rateLimit: { enabled: false } });
    try {
      const client = new Client(env.backend.url);
      const part = new Uint8Array(randomBytes(100));
      const session = await client.create(part.length);
      env.emulator.clock.advance(7200_000 + 1000);
      const refused = await client.put(session, 0, part, await adler(part));
      assert.equal(refused.status, 502);
      const { error } = (await refused.json()) as ErrorResponse;
      assert.equal(error.kind, 'retry');
      assert.equal(error.providerCode, '99991663');
      assert.equal((await client.put(session, 0, part, await adler(part))).status, 200);
      assert.equal((await client.complete(session, [{ index: 0 }])).status, 200);
    } finally {
      await env.close();
    }
  });

  void it('never shows the app secret or the tenant token in any response header or body', async () => {
    const env = await fixture({ blockSize: 4096, rateLimit: { enabled: false } });
    try {
      const client = new Client(env.backend.url);
      const file = new Uint8Array(randomBytes(10_000));
      const { result } = await uploadAll(client, file);
      await client.call(result.downloadUrl ?? '');
      // Failures too: a forged ticket, a bad part, an expired token, a missing route.
      const session = await client.create(10);
      await client.put({ ...session, ticket: `${session.ticket}x` }, 0, new Uint8Array(10));
      await client.put(session, 0, new Uint8Array(11));
      await client.put(session, 0, new Uint8Array(10), '1');
      const tokens = [env.emulator.feishu.tenantToken()];
      env.emulator.clock.advance(7200_000 + 1000);
      await client.put(session, 0, new Uint8Array(10));
      await client.call('/v1/nope');
      await client.call('/v1/sessions', { method: 'DELETE', headers: { authorization: `Bearer ${session.ticket}` } });
      const everything = client.seen.join('\n');
      assert.ok(client.seen.length >= 16);
      assert.ok(!everything.includes(APP.appSecret), 'app secret leaked');
      tokens.push(env.emulator.feishu.tenantToken());
      for (const token of tokens) assert.ok(!everything.includes(token), 'tenant token leaked');
      assert.ok(!/\bt-[0-9a-f]{40}\b/.test(everything), 'something shaped like a tenant token leaked');
    } finally {
      await env.close();
    }
  });
});

void describe('app-wide pacing against the emulator rate limit (5 QPS)', () => {
  void it('keeps parallel relays of several uploads at or under 5 per second, so none is throttled', async () => {
    const env = await fixture({ blockSize: 1024 });
    try {
      const client = new Client(env.backend.url);
      const files = Array.from({ length: 4 }, () => new Uint8Array(randomBytes(1024 * 4)));
      const sessions: CreateSessionResponse[] = [];
      for (const file of files) sessions.push(await client.create(file.length));
      env.emulator.log.clear();
      // Four uploads at once, each sending its parts one after another (maxConcurrency 1).
      await Promise.all(files.map(async (file, i) => {
        const session = sessions[i] as CreateSessionResponse;
        for (const [index, part] of slices(file, 1024).entries()) {
          const response = await client.put(session, index, part, await adler(part));
          assert.equal(response.status, 200, await response.clone().text());
        }
      }));
      const arrivals = env.emulator.log.filter('feishu.files.upload_part').map((e) => e.at);
      assert.equal(arrivals.length, 16);
      // The backend starts calls 200 ms + FEISHU_PACING_MARGIN_MS apart, so six starts span at
      // least 1000 + 5 × margin ms; that slack is what absorbs arrival jitter (a loaded event loop).
      const window = 1000 - 5 * FEISHU_PACING_MARGIN_MS;
      const busiest = Math.max(...arrivals.map((t) => arrivals.filter((u) => u >= t && u < t + window).length));
      assert.ok(busiest <= 5, `${busiest} upload_part calls arrived within ${window} ms`);
      assert.ok(env.emulator.log.entries.every((e) => e.code !== 1061045), 'the emulator never had to throttle');
    } finally {
      await env.close();
    }
  });

  void it('answers 429 with Retry-After, and forwards nothing, when a relay would queue longer than 2 s', async () => {
    const env = await fixture({ blockSize: 1024 });
    try {
      const client = new Client(env.backend.url);
      const sessions: CreateSessionResponse[] = [];
      for (let i = 0; i < 12; i++) sessions.push(await client.create(1024));
      env.emulator.log.clear();
      const part = new Uint8Array(randomBytes(1024));
      const checksum = await adler(part);
      const responses = await Promise.all(sessions.map((s) => client.put(s, 0, part, checksum)));
      const limited = responses.filter((r) => r.status === 429);
      const passed = responses.filter((r) => r.status === 200);
      assert.equal(limited.length + passed.length, 12);
      assert.ok(limited.length >= 1, 'some relays were refused');
      for (const response of limited) {
        const retryAfter = Number(response.headers.get('retry-after'));
        assert.ok(retryAfter >= 1 && retryAfter <= 3, `Retry-After ${retryAfter}`);
        const { error } = (await response.json()) as ErrorResponse;
        assert.equal(error.code, 'rate-limited');
        assert.ok((error.retryAfterMs ?? 0) > 2000);
      }
      assert.equal(env.emulator.log.filter('feishu.files.upload_part').length, passed.length);
    } finally {
      await env.close();
    }
  });
});
