// The registry's lazy clients: the facts the engine reads before the first call must equal the
// loaded client's, and a call loads the real client and goes through it.
import type { ProviderClient, ProviderName } from '../../src/core/index.js';
import { createCosLegacyClient, createFeishuClient, createPdsClient, createProviderClient, createS3Client, supportedProviders } from '../../src/providers/index.js';
import { assert, strictEqual as equal } from '../support/browser-assert.js';

const REAL: Record<string, (endpoint: string, fetchImpl: typeof fetch) => ProviderClient> = {
  feishu: (endpoint, fetchImpl) => createFeishuClient({ endpoint, fetch: fetchImpl, flavour: 'feishu' }),
  lark: (endpoint, fetchImpl) => createFeishuClient({ endpoint, fetch: fetchImpl, flavour: 'lark' }),
  pds: (endpoint, fetchImpl) => createPdsClient({ endpoint, fetch: fetchImpl }),
  'cos-legacy': (endpoint, fetchImpl) => createCosLegacyClient({ endpoint, fetch: fetchImpl }),
  s3: (endpoint, fetchImpl) => createS3Client({ endpoint, fetch: fetchImpl }),
};

describe('provider registry (clients loaded on first use)', () => {
  it('states the same name, empty-file rule, session lifetime and listParts as each loaded client', () => {
    const refuse: typeof fetch = () => Promise.reject(new TypeError('no network in this test'));
    equal(supportedProviders().join(','), Object.keys(REAL).join(','), 'providers with a client');
    for (const name of supportedProviders()) {
      const lazy = createProviderClient(name, { endpoint: '/u/' });
      const real = REAL[name]?.('/u/', refuse);
      assert(real !== undefined, `a real client for ${name}`);
      equal(lazy.name, real.name, `${name}: name`);
      equal(lazy.acceptsEmptyFiles ?? false, real.acceptsEmptyFiles ?? false, `${name}: acceptsEmptyFiles`);
      equal(lazy.sessionLifetimeMs, real.sessionLifetimeMs, `${name}: sessionLifetimeMs`);
      equal(typeof lazy.listParts, typeof real.listParts, `${name}: listParts`);
    }
  });

  it('loads the client on the first call and sends through it with the options it was given', async () => {
    const seen: string[] = [];
    const recording: typeof fetch = (input) => {
      seen.push(input instanceof Request ? input.url : input.toString());
      return Promise.resolve(new Response(JSON.stringify({ error: { code: 'bad-request', kind: 'fatal', message: 'refused by the test' } }), { status: 400, headers: { 'content-type': 'application/json' } }));
    };
    const client = createProviderClient('s3' satisfies ProviderName, { endpoint: 'https://backend.test/up/', fetch: recording });
    const request = { protocol: 1, provider: 's3', fileName: 'a.bin', size: 1, target: '' } as unknown as Parameters<ProviderClient['createSession']>[0];
    const error = await client.createSession(request, new AbortController().signal).then(() => undefined, (e: unknown) => e);
    assert(error !== undefined, 'the backend\'s refusal reaches the caller');
    assert(seen.some((url) => url.startsWith('https://backend.test/up/')), 'the loaded client used the endpoint and fetch it was given');
  });
});
