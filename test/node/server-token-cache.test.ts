import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../../src/server/http-error.js';
import { FeishuTokenCache, TOKEN_REFRESH_MARGIN_MS } from '../../src/server/providers/feishu-token-cache.js';

/** A token endpoint that counts calls and hands out t-1, t-2, … valid for `expire` seconds. */
function tokenEndpoint(expire = 7200, delayMs = 0) {
  const calls: unknown[] = [];
  const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
    calls.push(JSON.parse(init?.body as string));
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return Response.json({ code: 0, msg: 'ok', tenant_access_token: `t-${calls.length}`, expire });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

void describe('FeishuTokenCache', () => {
  void it('fetches once for many concurrent callers (single flight) and sends the app credentials', async () => {
    const endpoint = tokenEndpoint(7200, 20);
    const cache = new FeishuTokenCache({ baseUrl: 'http://feishu.test', appId: 'cli_a', appSecret: 's3', fetch: endpoint.fetch, now: () => 0 });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => cache.get()));
    assert.deepEqual(new Set(tokens), new Set(['t-1']));
    assert.deepEqual(endpoint.calls, [{ app_id: 'cli_a', app_secret: 's3' }]);
  });

  void it('refreshes three minutes before the stated expiry, not after', async () => {
    const endpoint = tokenEndpoint(7200);
    let now = 0;
    const cache = new FeishuTokenCache({ baseUrl: 'http://feishu.test', appId: 'a', appSecret: 'b', fetch: endpoint.fetch, now: () => now });
    assert.equal(await cache.get(), 't-1');
    now = 7200_000 - TOKEN_REFRESH_MARGIN_MS - 1;
    assert.equal(await cache.get(), 't-1');
    now += 1;
    assert.equal(await cache.get(), 't-2');
    assert.equal(endpoint.calls.length, 2);
  });

  void it('fetches a new token after invalidate, but ignores invalidating a token already replaced', async () => {
    const endpoint = tokenEndpoint();
    const cache = new FeishuTokenCache({ baseUrl: 'http://feishu.test', appId: 'a', appSecret: 'b', fetch: endpoint.fetch, now: () => 0 });
    const first = await cache.get();
    cache.invalidate(first);
    assert.equal(await cache.get(), 't-2');
    cache.invalidate(first);
    assert.equal(await cache.get(), 't-2');
    assert.equal(endpoint.calls.length, 2);
  });

  void it('reports wrong app credentials as a fatal 502 without echoing the secret', async () => {
    const fetch = (() => Promise.resolve(Response.json({ code: 10015, msg: 'app secret invalid: sekrit-value' }))) as typeof globalThis.fetch;
    const cache = new FeishuTokenCache({ baseUrl: 'http://feishu.test', appId: 'a', appSecret: 'sekrit-value', fetch, now: () => 0 });
    await assert.rejects(cache.get(), (error: unknown) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 502);
      assert.equal(error.data.kind, 'fatal');
      assert.equal(error.data.providerCode, '10015');
      assert.ok(!JSON.stringify(error.data).includes('sekrit'));
      return true;
    });
  });

  void it('retries after a failed fetch instead of caching the failure', async () => {
    let fail = true;
    const fetch = (() => Promise.resolve(fail ? new Response('<html>bad gateway</html>', { status: 502 }) : Response.json({ code: 0, tenant_access_token: 't-ok', expire: 7200 }))) as typeof globalThis.fetch;
    const cache = new FeishuTokenCache({ baseUrl: 'http://feishu.test', appId: 'a', appSecret: 'b', fetch, now: () => 0 });
    await assert.rejects(cache.get(), (error: unknown) => error instanceof HttpError && error.data.code === 'bad-response');
    fail = false;
    assert.equal(await cache.get(), 't-ok');
  });
});
