// The Feishu/Lark browser client and the protocol client under it, in Chromium, against the
// real backend relaying to the Feishu emulator (started by test/support/wtr-backend-plugin.mjs).
import { UploadError } from '../../src/core/index.js';
import type { UploadSession } from '../../src/core/index.js';
import { createFeishuClient, createProviderClient, SessionApi, sendBody, TICKET_RENEW_MARGIN_MS } from '../../src/providers/index.js';
import type { BodySender } from '../../src/providers/index.js';
import { assert, equal, uploadRejection as rejection } from '../support/browser-assert.js';
import { randomFile, sha1Hex, storedBytes, testEnv } from '../support/test-env.js';

function adler32(bytes: Uint8Array): string {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return String(((b << 16) | a) >>> 0);
}

const never = new AbortController().signal;

describe('Feishu provider client (relay through the backend)', () => {
  it('sends each part with its Adler-32, reports byte progress and completes into the stored file', async () => {
    const env = await testEnv();
    const client = createFeishuClient({ endpoint: env.backendUrl });
    const file = randomFile('two-parts.bin', env.blockSize + 1000);
    const session = await client.createSession({ provider: 'feishu', target: env.target, fileName: file.name, size: file.size }, never);
    equal(session.provider, 'feishu', 'provider');
    equal(session.transport, 'relay', 'transport');
    equal(session.partChecksum, 'adler32', 'checksum kind');
    equal(session.plan, { partSize: env.blockSize, partCount: 2 }, 'plan');
    const receipts = [];
    for (let index = 0; index < 2; index += 1) {
      const start = index * env.blockSize;
      const end = Math.min(file.size, start + env.blockSize);
      const body = file.slice(start, end);
      const checksum = adler32(new Uint8Array(await body.arrayBuffer()));
      const progress: number[] = [];
      receipts.push(await client.sendPart(session, { index, start, end, body, checksum }, (loaded) => progress.push(loaded), never));
      equal(progress.at(-1), end - start, `last progress of part ${index}`);
      assert(progress.every((loaded, i) => loaded >= (progress[i - 1] ?? 0)), 'progress never goes back');
    }
    equal(receipts.map((r) => r.index), [0, 1], 'receipts');
    const result = await client.complete(session, { parts: receipts }, never);
    assert(typeof result.fileToken === 'string', 'a file token');
    equal(result.name, 'two-parts.bin', 'name');
    equal(await sha1Hex(await storedBytes(env, result.fileToken)), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored file');
  });

  it('uploads through the Lark flavour under the provider name lark', async () => {
    const env = await testEnv();
    const client = createProviderClient('lark', { endpoint: env.backendUrl });
    const file = randomFile('lark.bin', 4321);
    const session = await client.createSession({ provider: 'lark', target: env.target, fileName: file.name, size: file.size }, never);
    equal(session.provider, 'lark', 'session provider');
    const checksum = adler32(new Uint8Array(await file.arrayBuffer()));
    const receipt = await client.sendPart(session, { index: 0, start: 0, end: file.size, body: file, checksum }, () => {}, never);
    const result = await client.complete(session, { parts: [receipt] }, never);
    equal(result.provider, 'lark', 'result provider');
    equal(await sha1Hex(await storedBytes(env, result.fileToken ?? '')), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored file');
  });

  it('turns a wrong part checksum into checksum-mismatch with Feishu code 1062008', async () => {
    const env = await testEnv();
    const client = createFeishuClient({ endpoint: env.backendUrl });
    const file = randomFile('bad-sum.bin', 5000);
    const session = await client.createSession({ provider: 'feishu', target: env.target, fileName: file.name, size: file.size }, never);
    const error = await rejection(client.sendPart(session, { index: 0, start: 0, end: file.size, body: file, checksum: '12345' }, () => {}, never));
    equal(error.kind, 'checksum-mismatch', 'kind');
    equal(error.providerCode, '1062008', 'provider code');
    equal(error.status, 400, 'status');
  });

  it('reports a folder that does not exist as a fatal typed error', async () => {
    const env = await testEnv();
    const client = createFeishuClient({ endpoint: env.backendUrl });
    const error = await rejection(client.createSession({ provider: 'feishu', target: 'fldnosuchfolder', fileName: 'a.bin', size: 10 }, never));
    equal(error.kind, 'fatal', 'kind');
    equal(error.providerCode, '1061044', 'provider code');
  });

  it('renews a ticket that is about to expire before sending, and stores the fresh one in the session', async () => {
    const env = await testEnv();
    let skew = 0;
    const client = createFeishuClient({ endpoint: env.backendUrl, now: () => Date.now() + skew });
    const file = randomFile('renew.bin', 3000);
    const session = await client.createSession({ provider: 'feishu', target: env.target, fileName: file.name, size: file.size }, never);
    const first = session.ticket;
    skew = session.expiresAt - Date.now() - TICKET_RENEW_MARGIN_MS + 1000;
    const checksum = adler32(new Uint8Array(await file.arrayBuffer()));
    await client.sendPart(session, { index: 0, start: 0, end: file.size, body: file, checksum }, () => {}, never);
    assert(session.ticket !== first, 'the session holds a new ticket');
    skew = 0;
    const result = await client.complete(session, { parts: [{ index: 0, checksum }] }, never);
    assert(result.fileToken !== undefined, 'completed with the renewed ticket');
  });

  it('renews once and repeats the request when the backend says the ticket expired', async () => {
    const env = await testEnv();
    let answeredExpired = 0;
    const expiringOnce: BodySender = (request, onProgress, signal) => {
      if (answeredExpired > 0) return sendBody(request, onProgress, signal);
      answeredExpired += 1;
      const body = JSON.stringify({ error: { code: 'ticket-expired', kind: 'retry', message: 'The upload ticket has expired' } });
      return Promise.resolve({ status: 401, header: () => null, text: body });
    };
    const client = createFeishuClient({ endpoint: env.backendUrl, sendBody: expiringOnce });
    const file = randomFile('expired.bin', 2000);
    const session: UploadSession = await client.createSession({ provider: 'feishu', target: env.target, fileName: file.name, size: file.size }, never);
    const first = session.ticket;
    const checksum = adler32(new Uint8Array(await file.arrayBuffer()));
    const receipt = await client.sendPart(session, { index: 0, start: 0, end: file.size, body: file, checksum }, () => {}, never);
    equal(receipt.index, 0, 'receipt');
    equal(answeredExpired, 1, 'one expired answer');
    assert(session.ticket !== first, 'renewed');
  });

  it('aborting a part request rejects with an AbortError, not an UploadError', async () => {
    const env = await testEnv();
    const client = createFeishuClient({ endpoint: env.backendUrl });
    const file = randomFile('abort.bin', env.blockSize);
    const session = await client.createSession({ provider: 'feishu', target: env.target, fileName: file.name, size: file.size }, never);
    const controller = new AbortController();
    const sending = client.sendPart(session, { index: 0, start: 0, end: file.size, body: file, checksum: '1' }, () => {}, controller.signal);
    controller.abort();
    let caught: unknown;
    try {
      await sending;
    } catch (error) {
      caught = error;
    }
    assert(caught instanceof DOMException && caught.name === 'AbortError', `an AbortError, got ${String(caught)}`);
    await client.abort(session);
    await client.abort({ ...session, ticket: 'not-a-ticket' });
  });
});

describe('session protocol client: answers that are not what the protocol promises', () => {
  const json = (status: number, body: string, headers: Record<string, string> = {}): typeof fetch =>
    () => Promise.resolve(new Response(body, { status, headers }));
  const request = { provider: 'feishu' as const, target: 't', fileName: 'f', size: 1 };

  it('keeps the backend\'s own classification of a protocol error', async () => {
    const env = await testEnv();
    const error = await rejection(new SessionApi({ endpoint: env.backendUrl }).createSession({ ...request, provider: 'dropbox' as never }, never));
    equal([error.code, error.kind, error.status], ['unknown-provider', 'fatal', 400], 'error');
  });

  it('calls an HTML 404 from a wrong endpoint a fatal bad-response', async () => {
    const error = await rejection(new SessionApi({ endpoint: `${location.origin}/no-backend-here` }).createSession(request, never));
    equal([error.code, error.kind, error.status], ['bad-response', 'fatal', 404], 'error');
  });

  it('calls a refused connection a retryable network error', async () => {
    const error = await rejection(new SessionApi({ endpoint: 'http://127.0.0.1:9' }).createSession(request, never));
    equal([error.code, error.kind], ['network', 'retry'], 'error');
  });

  it('retries a proxy\'s HTML 503 and a body that is not JSON', async () => {
    const page = await rejection(new SessionApi({ endpoint: '/x', fetch: json(503, '<html>busy</html>') }).createSession(request, never));
    equal([page.code, page.kind, page.status], ['bad-response', 'retry', 503], '503 page');
    const garbled = await rejection(new SessionApi({ endpoint: '/x', fetch: json(201, '{"protocol":1,') }).createSession(request, never));
    equal([garbled.code, garbled.kind], ['bad-response', 'retry'], 'broken JSON');
    const other = await rejection(new SessionApi({ endpoint: '/x', fetch: json(201, '{"protocol":2}') }).createSession(request, never));
    equal([other.code, other.kind], ['bad-response', 'fatal'], 'other protocol version');
  });

  it('reads a 429 as rate-limited with the wait from Retry-After or from the body', async () => {
    const bare = await rejection(new SessionApi({ endpoint: '/x', fetch: json(429, 'slow down', { 'retry-after': '3' }) }).createSession(request, never));
    equal([bare.code, bare.kind, bare.retryAfterMs], ['rate-limited', 'rate-limited', 3000], 'bare 429');
    const body = JSON.stringify({ error: { code: 'rate-limited', kind: 'rate-limited', message: 'wait', retryAfterMs: 1500, providerCode: '99991400' } });
    const typed = await rejection(new SessionApi({ endpoint: '/x', fetch: json(429, body, { 'retry-after': '2' }) }).createSession(request, never));
    equal([typed.retryAfterMs, typed.providerCode], [1500, '99991400'], 'typed 429');
  });
});

describe('provider registry', () => {
  it('gives the Feishu and Lark clients by name and refuses names it does not know', () => {
    equal(createProviderClient('feishu', { endpoint: '/u' }).name, 'feishu', 'feishu');
    equal(createProviderClient('lark', { endpoint: '/u' }).name, 'lark', 'lark');
    equal(createProviderClient('feishu', { endpoint: '/u' }).acceptsEmptyFiles, false, 'empty files');
    for (const name of ['dropbox', 'nope', 'constructor', '__proto__']) {
      let caught: unknown;
      try {
        createProviderClient(name as 's3', { endpoint: '/u' });
      } catch (error) {
        caught = error;
      }
      assert(caught instanceof UploadError && caught.code === 'unknown-provider' && caught.kind === 'fatal', `${name} is refused`);
    }
  });
});
