import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompleteResponse, CreateSessionResponse, ErrorResponse, RenewResponse } from '../../src/core/index.js';
import { createUploadHandler, type UploadHandlerOptions } from '../../src/server/index.js';

const BASE = 'http://127.0.0.1:8788';
const APP_ORIGIN = 'http://127.0.0.1:5173';
const SECRET = 'handler-test-secret-0123456789abcdef0123';

interface UpstreamCall {
  path: string;
  /** Body as text (JSON calls) or the multipart body once fully delivered. */
  body?: string;
  /** True when the request body errored mid-way (the relay aborted it). */
  aborted?: boolean;
}

type Scripted = () => Response;

/**
 * A tiny in-process Feishu: records every call, reads bodies like a server would (so an
 * aborted relay shows up as `aborted`), and answers from a script when one is queued.
 */
class FakeFeishu {
  readonly calls: UpstreamCall[] = [];
  readonly #script = new Map<string, Scripted[]>();
  #uploads = 0;

  constructor(readonly blockSize = 4) {}

  /** Answer the next call whose path ends with `endpoint` with `reply`. */
  next(endpoint: string, reply: Scripted): void {
    this.#script.set(endpoint, [...(this.#script.get(endpoint) ?? []), reply]);
  }

  /** Calls whose path ends with `endpoint`. */
  to(endpoint: string): UpstreamCall[] {
    return this.calls.filter((c) => c.path.endsWith(endpoint));
  }

  readonly fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const path = new URL(input instanceof Request ? input.url : input).pathname;
    const call: UpstreamCall = { path };
    this.calls.push(call);
    if (init?.body instanceof ReadableStream) {
      try {
        call.body = await new Response(init.body).text();
      } catch (cause) {
        call.aborted = true;
        throw new TypeError('fetch failed', { cause });
      }
    } else if (typeof init?.body === 'string') {
      call.body = init.body;
    }
    const scripted = [...this.#script.entries()].find(([endpoint, replies]) => path.endsWith(endpoint) && replies.length > 0);
    if (scripted) return (scripted[1].shift() as Scripted)();
    if (path.endsWith('/tenant_access_token/internal')) return Response.json({ code: 0, msg: 'ok', tenant_access_token: 't-fake0123', expire: 7200 });
    if (path.endsWith('/upload_prepare')) {
      const { size } = JSON.parse(call.body ?? '{}') as { size: number };
      return Response.json({ code: 0, msg: 'success', data: { upload_id: `71112116913455123${++this.#uploads}`, block_size: this.blockSize, block_num: Math.ceil(size / this.blockSize) } });
    }
    if (path.endsWith('/upload_part')) return Response.json({ code: 0, msg: 'success', data: {} });
    if (path.endsWith('/upload_finish')) return Response.json({ code: 0, msg: 'success', data: { file_token: 'boxcnFakeToken' } });
    if (path.endsWith('/download')) return new Response('stored bytes', { headers: { 'content-type': 'application/octet-stream', 'content-length': '12' } });
    return Response.json({ code: 1061003, msg: 'not found' }, { status: 404 });
  }) as typeof fetch;
}

function setup(options: Partial<UploadHandlerOptions> = {}, blockSize = 4) {
  const fake = new FakeFeishu(blockSize);
  const handle = createUploadHandler({
    secret: SECRET,
    providers: { feishu: { baseUrl: 'http://feishu.test', appId: 'cli_fake', appSecret: 'fake-secret' } },
    allowedOrigins: [APP_ORIGIN],
    fetch: fake.fetch,
    ...options,
  });
  const request = (path: string, init: RequestInit = {}) => handle(new Request(path.startsWith('http') ? path : `${BASE}${path}`, init));
  const create = async (body: unknown, headers: Record<string, string> = {}) =>
    request('/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const session = async (size = 10, extra: Record<string, unknown> = {}) => {
    const response = await create({ provider: 'feishu', target: 'fldroot', fileName: 'a.bin', size, ...extra });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as CreateSessionResponse;
  };
  const put = (ticket: string, index: number | string, body: BodyInit | null, headers: Record<string, string> = {}) =>
    request(`/v1/sessions/parts/${index}`, { method: 'PUT', headers: { authorization: `Bearer ${ticket}`, ...headers }, body, ...(body instanceof ReadableStream && { duplex: 'half' }) });
  return { fake, handle, request, create, session, put };
}

async function errorOf(response: Response): Promise<ErrorResponse['error']> {
  const body = (await response.json()) as ErrorResponse;
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  assert.equal(body.error.status, response.status);
  return body.error;
}

function streamOf(...chunks: number[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const n of chunks) controller.enqueue(new Uint8Array(n).fill(7));
      controller.close();
    },
  });
}

void describe('create session: input validation', () => {
  const cases: [string, unknown, number, string][] = [
    ['an unknown provider', { provider: 'dropbox', target: 'f', fileName: 'a', size: 1 }, 400, 'unknown-provider'],
    ['a known provider this backend does not serve', { provider: 'lark', target: 'f', fileName: 'a', size: 1 }, 400, 'unknown-provider'],
    ['a missing provider', { target: 'f', fileName: 'a', size: 1 }, 400, 'unknown-provider'],
    ['an empty file name', { provider: 'feishu', target: 'f', fileName: '', size: 1 }, 400, 'invalid-name'],
    ['a name of only unsafe characters', { provider: 'feishu', target: 'f', fileName: ' \u0000\u202e\u0007 ', size: 1 }, 400, 'invalid-name'],
    ['a 251-character name', { provider: 'feishu', target: 'f', fileName: 'a'.repeat(251), size: 1 }, 400, 'invalid-name'],
    ['a name that is not a string', { provider: 'feishu', target: 'f', fileName: 5, size: 1 }, 400, 'invalid-name'],
    ['a negative size', { provider: 'feishu', target: 'f', fileName: 'a', size: -1 }, 400, 'bad-request'],
    ['a fractional size', { provider: 'feishu', target: 'f', fileName: 'a', size: 1.5 }, 400, 'bad-request'],
    ['a size given as a string', { provider: 'feishu', target: 'f', fileName: 'a', size: '10' }, 400, 'bad-request'],
    ['a size above maxFileSize', { provider: 'feishu', target: 'f', fileName: 'a', size: 1001 }, 413, 'file-too-large'],
    ['an empty target', { provider: 'feishu', target: '', fileName: 'a', size: 1 }, 400, 'bad-request'],
    ['a blank target', { provider: 'feishu', target: '   ', fileName: 'a', size: 1 }, 400, 'bad-request'],
    ['the medias API without a parentType', { provider: 'feishu', target: 'f', fileName: 'a', size: 1, providerOptions: { api: 'medias' } }, 400, 'bad-request'],
    ['an unknown API', { provider: 'feishu', target: 'f', fileName: 'a', size: 1, providerOptions: { api: 'drive' } }, 400, 'bad-request'],
    ['an unknown provider option', { provider: 'feishu', target: 'f', fileName: 'a', size: 1, providerOptions: { colour: 'red' } }, 400, 'bad-request'],
    ['media extra that is not JSON', { provider: 'feishu', target: 'f', fileName: 'a', size: 1, providerOptions: { api: 'medias', parentType: 'docx_image', extra: '{' } }, 400, 'bad-request'],
    ['a JSON array body', [], 400, 'bad-request'],
  ];
  for (const [what, body, status, code] of cases) {
    void it(`refuses ${what} with ${status} ${code} and calls nothing upstream`, async () => {
      const { fake, create } = setup({ maxFileSize: 1000 });
      const response = await create(body);
      assert.equal(response.status, status);
      assert.equal((await errorOf(response)).code, code);
      assert.deepEqual(fake.calls, []);
    });
  }

  void it('refuses a body that is not JSON, and a non-JSON content type, without calling upstream', async () => {
    const { fake, request } = setup();
    const notJson = await request('/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"provider":' });
    assert.equal(notJson.status, 400);
    const textPlain = await request('/v1/sessions', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    assert.equal(textPlain.status, 415);
    assert.deepEqual(fake.calls, []);
  });

  void it('sends the sanitised name to the provider and accepts exactly 250 characters', async () => {
    const { fake, session } = setup();
    await session(10, { fileName: ' re\u202eport/..\u0007.txt ' });
    await session(10, { fileName: '字'.repeat(250) });
    const names = fake.to('/upload_prepare').map((c) => (JSON.parse(c.body ?? '') as { file_name: string }).file_name);
    assert.deepEqual(names, ['report_...txt', '字'.repeat(250)]);
  });

  void it('prepares with parent_type explorer by default and the media knobs when asked', async () => {
    const { fake, session } = setup();
    await session(10);
    await session(10, { providerOptions: { api: 'medias', parentType: 'docx_image', extra: '{"drive_route_token":"doxcn1"}' } });
    const [files, medias] = fake.to('/upload_prepare');
    assert.equal(files?.path, '/open-apis/drive/v1/files/upload_prepare');
    assert.deepEqual(JSON.parse(files?.body ?? ''), { file_name: 'a.bin', parent_type: 'explorer', parent_node: 'fldroot', size: 10 });
    assert.equal(medias?.path, '/open-apis/drive/v1/medias/upload_prepare');
    assert.deepEqual(JSON.parse(medias?.body ?? ''), { file_name: 'a.bin', parent_type: 'docx_image', parent_node: 'fldroot', size: 10, extra: '{"drive_route_token":"doxcn1"}' });
  });

  void it('answers with the plan, budget, transport and checksum kind of a Feishu upload', async () => {
    const { session } = setup();
    const s = await session(10);
    assert.equal(s.protocol, 1);
    assert.deepEqual(s.plan, { partSize: 4, partCount: 3 });
    assert.deepEqual(s.traffic, { maxConcurrency: 1, minIntervalMs: 200 });
    assert.equal(s.transport, 'relay');
    assert.equal(s.partChecksum, 'adler32');
    assert.match(s.uploadId, /^7111211691345512/);
  });
});

void describe('relay part: validation before anything reaches the provider', () => {
  void it('refuses part indexes outside the plan', async () => {
    const { fake, session, put } = setup();
    const s = await session(10);
    for (const index of [3, 'x', '-1', '1.0']) {
      const response = await put(s.ticket, index, new Uint8Array(4));
      assert.equal(response.status, 400, `index ${index}`);
    }
    assert.deepEqual(fake.to('/upload_part'), []);
  });

  void it('refuses a Content-Length that differs from the planned part length', async () => {
    const { fake, session, put } = setup();
    const s = await session(10);
    const response = await put(s.ticket, 2, new Uint8Array(3), { 'content-length': '3' });
    assert.equal(response.status, 400);
    const error = await errorOf(response);
    assert.equal(error.code, 'size-mismatch');
    assert.match(error.message, /exactly 2 bytes/);
    assert.deepEqual(fake.to('/upload_part'), []);
  });

  void it('aborts the upstream request when a streamed body runs longer or shorter than planned', async () => {
    const { fake, session, put } = setup();
    const s = await session(10);
    const longer = await put(s.ticket, 0, streamOf(2, 2, 1));
    assert.equal(longer.status, 400);
    assert.equal((await errorOf(longer)).code, 'size-mismatch');
    const shorter = await put(s.ticket, 1, streamOf(1, 2));
    assert.equal(shorter.status, 400);
    assert.equal((await errorOf(shorter)).code, 'size-mismatch');
    const parts = fake.to('/upload_part');
    assert.equal(parts.length, 2);
    assert.ok(parts.every((p) => p.aborted === true && p.body === undefined), 'no complete part body was delivered');
  });

  void it('refuses a checksum that is not an unsigned 32-bit decimal', async () => {
    const { fake, session, put } = setup();
    const s = await session(10);
    for (const checksum of ['abc', '-1', '4294967296', '0x10', '']) {
      const response = await put(s.ticket, 0, new Uint8Array(4), { 'x-part-checksum': checksum });
      assert.equal(response.status, 400, `checksum ${JSON.stringify(checksum)}`);
    }
    assert.deepEqual(fake.to('/upload_part'), []);
  });

  void it('refuses missing, forged and expired tickets with 401', async () => {
    let now = 1_800_000_000_000;
    const { fake, session, put, request } = setup({ now: () => now });
    const s = await session(10);
    const missing = await request('/v1/sessions/parts/0', { method: 'PUT', body: new Uint8Array(4) });
    assert.equal((await errorOf(missing)).code, 'ticket-invalid');
    const forged = await put(`${s.ticket.slice(0, -2)}AA`, 0, new Uint8Array(4));
    assert.equal(forged.status, 401);
    assert.equal((await errorOf(forged)).code, 'ticket-invalid');
    now = s.expiresAt;
    const expired = await put(s.ticket, 0, new Uint8Array(4));
    assert.equal(expired.status, 401);
    assert.equal((await errorOf(expired)).code, 'ticket-expired');
    assert.deepEqual(fake.to('/upload_part'), []);
  });

  void it('streams a valid part as multipart with fields in SDK order and the file last', async () => {
    const { fake, session, put } = setup();
    const s = await session(10);
    const response = await put(s.ticket, 2, streamOf(1, 1), { 'x-part-checksum': '4294967295' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { index: 2, checksum: '4294967295' });
    const [part] = fake.to('/upload_part');
    const names = [...(part?.body ?? '').matchAll(/; name="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(names, ['upload_id', 'seq', 'size', 'checksum', 'file']);
    assert.match(part?.body ?? '', /name="seq"\r\n\r\n2\r\n/);
    assert.match(part?.body ?? '', /name="size"\r\n\r\n2\r\n/);
    assert.ok((part?.body ?? '').includes('filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\u0007\u0007\r\n--'), 'file bytes last');
  });
});

void describe('provider failures become typed errors', () => {
  const cases: [string, string, () => Response, number, string, string, string | null][] = [
    ['an expired upload id (1061021)', '/upload_part', () => Response.json({ code: 1061021, msg: 'upload id expire' }, { status: 400 }), 410, 'session-expired', 'session-expired', null],
    ['a checksum mismatch (1062008)', '/upload_part', () => Response.json({ code: 1062008, msg: 'checksum param Invalid.' }, { status: 400 }), 400, 'checksum-mismatch', 'checksum-mismatch', null],
    ['drive throttling at HTTP 200 (1061045)', '/upload_part', () => Response.json({ code: 1061045, msg: 'can retry' }), 429, 'rate-limited', 'rate-limited', '1'],
    ['the gateway limit (99991400 with x-ogw-ratelimit-reset)', '/upload_part', () => Response.json({ code: 99991400, msg: 'request trigger frequency limit' }, { status: 429, headers: { 'x-ogw-ratelimit-reset': '7' } }), 429, 'rate-limited', 'rate-limited', '7'],
    ['malformed JSON', '/upload_part', () => new Response('<html>502 Bad Gateway</html>', { status: 502 }), 502, 'bad-response', 'retry', null],
    ['an undocumented 5xx code', '/upload_part', () => Response.json({ code: 1234567, msg: '?' }, { status: 500 }), 502, 'server-error', 'retry', null],
    ['missing blocks at finish (1062010)', '/upload_finish', () => Response.json({ code: 1062010, msg: 'block missing' }, { status: 400 }), 409, 'parts-missing', 'fatal', null],
    ['an internal error at finish (1061001)', '/upload_finish', () => Response.json({ code: 1061001, msg: 'internal error' }), 502, 'server-error', 'retry', null],
  ];
  for (const [what, endpoint, reply, status, code, kind, retryAfter] of cases) {
    void it(`maps ${what} to ${status} ${code} (${kind})`, async () => {
      const { fake, session, put, request } = setup();
      const s = await session(4);
      fake.next(endpoint, reply);
      const response = endpoint === '/upload_part'
        ? await put(s.ticket, 0, new Uint8Array(4))
        : await request('/v1/sessions/complete', { method: 'POST', headers: { authorization: `Bearer ${s.ticket}` } });
      assert.equal(response.status, status);
      assert.equal(response.headers.get('retry-after'), retryAfter);
      const error = await errorOf(response);
      assert.equal(error.code, code);
      assert.equal(error.kind, kind);
      if (retryAfter !== null) assert.equal(error.retryAfterMs, Number(retryAfter) * 1000);
    });
  }

  void it('reports an unreachable provider as a retryable network error', async () => {
    const { fake, session, put } = setup();
    const s = await session(4);
    fake.next('/upload_part', () => {
      throw new TypeError('fetch failed');
    });
    const response = await put(s.ticket, 0, new Uint8Array(4));
    assert.equal(response.status, 502);
    const error = await errorOf(response);
    assert.equal(error.code, 'network');
    assert.equal(error.kind, 'retry');
  });

  void it('refuses a provider plan that does not describe the file', async () => {
    const { fake, create } = setup();
    fake.next('/upload_prepare', () => Response.json({ code: 0, data: { upload_id: '1', block_size: 4, block_num: 9 } }));
    const response = await create({ provider: 'feishu', target: 'f', fileName: 'a', size: 10 });
    assert.equal(response.status, 502);
    assert.equal((await errorOf(response)).code, 'bad-response');
  });

  void it('finishes with the upload id and block count from the ticket', async () => {
    const { fake, session, request } = setup();
    const s = await session(10);
    const response = await request('/v1/sessions/complete', { method: 'POST', headers: { authorization: `Bearer ${s.ticket}`, 'content-type': 'application/json' }, body: '{"parts":[]}' });
    assert.equal(response.status, 200);
    const { result } = (await response.json()) as CompleteResponse;
    assert.equal(result.fileToken, 'boxcnFakeToken');
    assert.deepEqual(JSON.parse(fake.to('/upload_finish')[0]?.body ?? ''), { upload_id: s.uploadId, block_num: 3 });
  });
});

void describe('CORS and authentication', () => {
  void it('answers a preflight from an allowed origin with that origin, the headers the element sends, and never *', async () => {
    const { request } = setup();
    const response = await request('/v1/sessions/parts/0', { method: 'OPTIONS', headers: { origin: APP_ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, x-part-checksum' } });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.equal(response.headers.get('access-control-allow-headers'), 'authorization, content-type, x-part-checksum');
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /PUT/);
    assert.equal(response.headers.get('vary'), 'Origin');
  });

  void it('refuses a preflight and a request from an origin not on the allowlist, without calling upstream', async () => {
    const { fake, request, create } = setup();
    const preflight = await request('/v1/sessions', { method: 'OPTIONS', headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const post = await create({ provider: 'feishu', target: 'f', fileName: 'a', size: 1 }, { origin: 'http://evil.test' });
    assert.equal(post.status, 403);
    assert.equal(post.headers.get('access-control-allow-origin'), null);
    assert.deepEqual(fake.calls, []);
  });

  void it('lets an allowed origin read successes and errors, including Retry-After', async () => {
    const { create } = setup();
    const ok = await create({ provider: 'feishu', target: 'f', fileName: 'a', size: 1 }, { origin: APP_ORIGIN });
    assert.equal(ok.status, 201);
    assert.equal(ok.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.match(ok.headers.get('access-control-expose-headers') ?? '', /retry-after/);
    const bad = await create({ provider: 'nope', target: 'f', fileName: 'a', size: 1 }, { origin: APP_ORIGIN });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('access-control-allow-origin'), APP_ORIGIN);
  });

  void it('by default refuses callers that are not on a loopback host or come from a non-loopback page', async () => {
    const { fake, request } = setup({ allowedOrigins: [APP_ORIGIN, 'http://evil.test'] });
    const init = (origin?: string): RequestInit => ({
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(origin !== undefined && { origin }) },
      body: JSON.stringify({ provider: 'feishu', target: 'f', fileName: 'a', size: 1 }),
    });
    assert.equal((await request('http://uploads.example.com/v1/sessions', init())).status, 401);
    assert.equal((await request('/v1/sessions', init('http://evil.test'))).status, 401);
    assert.deepEqual(fake.calls, []);
    assert.equal((await request('http://localhost:8788/v1/sessions', init(APP_ORIGIN))).status, 201);
  });

  void it('uses the authenticate hook, and lets only the same subject renew', async () => {
    let user: string | null = 'alice';
    const { session, request } = setup({ authenticate: () => (user === null ? null : { subject: user }) });
    const s = await session(10);
    const renew = () => request('/v1/sessions/renew', { method: 'POST', headers: { authorization: `Bearer ${s.ticket}` } });
    user = 'bob';
    assert.equal((await renew()).status, 403);
    user = null;
    assert.equal((await renew()).status, 401);
    user = 'alice';
    assert.equal((await renew()).status, 200);
  });
});

void describe('ticket lifetime, renewal and the other routes', () => {
  void it('renews an expired ticket within the upload id lifetime, with the same scope, and refuses after 24 h', async () => {
    const t0 = 1_800_000_000_000;
    let now = t0;
    const { session, request, put } = setup({ now: () => now, ticketTtlMs: 60_000 });
    const s = await session(10);
    assert.equal(s.expiresAt, t0 + 60_000);
    const renew = (ticket: string) => request('/v1/sessions/renew', { method: 'POST', headers: { authorization: `Bearer ${ticket}` } });
    now = t0 + 120_000;
    const renewed = await renew(s.ticket);
    assert.equal(renewed.status, 200);
    const { ticket, expiresAt } = (await renewed.json()) as RenewResponse;
    assert.equal(expiresAt, now + 60_000);
    assert.equal((await put(ticket, 2, new Uint8Array(2))).status, 200);
    const scope = (t: string) => {
      const { expiresAt: _e, ...rest } = JSON.parse(Buffer.from(t.split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>;
      return rest;
    };
    assert.deepEqual(scope(ticket), scope(s.ticket));
    now = t0 + 24 * 3600_000;
    const late = await renew(ticket);
    assert.equal(late.status, 410);
    assert.equal((await errorOf(late)).code, 'session-expired');
  });

  void it('never issues a ticket that outlives the 24 h upload id', async () => {
    const t0 = 1_800_000_000_000;
    const { session } = setup({ now: () => t0, ticketTtlMs: 48 * 3600_000 });
    assert.equal((await session(10)).expiresAt, t0 + 24 * 3600_000);
  });

  void it('answers 501 to list-parts and part-urls, and 204 to abort even with an expired ticket', async () => {
    let now = 1_800_000_000_000;
    const { session, request } = setup({ now: () => now });
    const s = await session(10);
    const auth = { authorization: `Bearer ${s.ticket}` };
    assert.equal((await request('/v1/sessions/parts', { headers: auth })).status, 501);
    assert.equal((await request('/v1/sessions/part-urls', { method: 'POST', headers: auth, body: '{"indexes":[0]}' })).status, 501);
    now = s.expiresAt + 1;
    assert.equal((await request('/v1/sessions', { method: 'DELETE', headers: auth })).status, 204);
    assert.equal((await request('/v1/sessions', { method: 'DELETE', headers: { authorization: 'Bearer x.y' } })).status, 401);
  });

  void it('serves every route under basePath and nothing outside it', async () => {
    const { request } = setup({ basePath: '/upload/' });
    const init: RequestInit = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'feishu', target: 'f', fileName: 'a', size: 4 }) };
    assert.equal((await request('/v1/sessions', init)).status, 404);
    const created = await request('/upload/v1/sessions', init);
    assert.equal(created.status, 201);
    const s = (await created.json()) as CreateSessionResponse;
    const done = await request('/upload/v1/sessions/complete', { method: 'POST', headers: { authorization: `Bearer ${s.ticket}` } });
    const { result } = (await done.json()) as CompleteResponse;
    assert.ok(result.downloadUrl?.startsWith(`${BASE}/upload/v1/files/feishu/boxcnFakeToken/download?ticket=`));
  });

  void it('streams a download only for the file and provider its ticket names', async () => {
    const { session, request } = setup();
    const s = await session(4);
    const done = await request('/v1/sessions/complete', { method: 'POST', headers: { authorization: `Bearer ${s.ticket}` } });
    const url = ((await done.json()) as CompleteResponse).result.downloadUrl ?? '';
    const ok = await request(url);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'stored bytes');
    assert.equal(ok.headers.get('content-disposition'), "attachment; filename*=UTF-8''a.bin");
    assert.equal((await request(url.replace('boxcnFakeToken', 'boxcnOther'))).status, 401);
    assert.equal((await request(url.replace('/feishu/', '/lark/'))).status, 401);
    assert.equal((await request(url.slice(0, -3))).status, 401);
    // An upload ticket is not a download ticket.
    assert.equal((await request(url.replace(/ticket=.*$/, `ticket=${s.ticket}`))).status, 401);
  });
});
