import { UploadError, isProviderName } from '../core/index.js';
import type { ProviderClient, ProviderName } from '../core/index.js';
import { loadOnce } from '../core/load-once.js';
import type { BodySender } from './send-body.js';

/** What every provider client needs: where the backend is. */
export interface ProviderClientOptions {
  /** The backend's base URL (the element's `endpoint`), absolute or relative to the page. */
  endpoint: string;
  /** Injectable for tests. */
  fetch?: typeof fetch;
  sendBody?: BodySender;
}

type ProviderFactory = (options: ProviderClientOptions) => ProviderClient;

/** One provider: how to load its client, and what the engine reads from it before the first call. */
interface ProviderEntry {
  /**
   * Loads the client's module on first use. Each `import()` names a literal path, so bundlers
   * give every client a chunk of its own and a page loads only the one it uploads with
   * (issue 7 item 9). test/browser/provider-registry-lazy.test.ts keeps the facts below
   * equal to the loaded client's.
   */
  load: () => Promise<ProviderFactory>;
  /** ProviderClient.acceptsEmptyFiles: the engine refuses empty files before any call. */
  acceptsEmptyFiles: boolean;
  /** The client implements `listParts`. */
  listsParts: boolean;
}

// A static map, so bundlers see every client and nothing is looked up by string at build time.
const PROVIDERS: Partial<Record<ProviderName, ProviderEntry>> = {
  feishu: {
    load: async () => {
      const { createFeishuClient } = await import('./feishu.js');
      return (options) => createFeishuClient({ ...options, flavour: 'feishu' });
    },
    acceptsEmptyFiles: false,
    listsParts: false,
  },
  lark: {
    load: async () => {
      const { createFeishuClient } = await import('./feishu.js');
      return (options) => createFeishuClient({ ...options, flavour: 'lark' });
    },
    acceptsEmptyFiles: false,
    listsParts: false,
  },
  pds: { load: async () => (await import('./pds.js')).createPdsClient, acceptsEmptyFiles: true, listsParts: true },
  'cos-legacy': { load: async () => (await import('./cos-legacy.js')).createCosLegacyClient, acceptsEmptyFiles: true, listsParts: true },
  s3: { load: async () => (await import('./s3.js')).createS3Client, acceptsEmptyFiles: true, listsParts: true },
};

/** Providers that have a browser client today. */
export function supportedProviders(): ProviderName[] {
  return Object.keys(PROVIDERS).filter(isProviderName);
}

/**
 * A client whose module loads on its first call. A failed load (e.g. the chunk's request
 * dropped) is a retryable network error, and the next call tries the load again.
 */
function lazyClient(name: ProviderName, entry: ProviderEntry, options: ProviderClientOptions): ProviderClient {
  const loaded = loadOnce(async () => (await entry.load())(options), `The upload client for ${name} could not be loaded`);
  const client = (): Promise<ProviderClient> => loaded.get();
  const listParts: Pick<ProviderClient, 'listParts'> = entry.listsParts
    ? { listParts: async (session, signal) => (await client()).listParts?.(session, signal) ?? [] }
    : {};
  return {
    name,
    acceptsEmptyFiles: entry.acceptsEmptyFiles,
    ...listParts,
    createSession: async (request, signal, context) => (await client()).createSession(request, signal, context),
    sendPart: async (session, part, onProgress, signal) => (await client()).sendPart(session, part, onProgress, signal),
    complete: async (session, request, signal) => (await client()).complete(session, request, signal),
    // Never throws, like every client's abort: without a client there is nothing to tell.
    abort: async (session) => client().then((loaded) => loaded.abort(session), () => undefined),
  };
}

/**
 * The browser client for a provider name (the element's `provider` attribute). Its module
 * loads on the first call, so naming a provider costs no bytes until an upload starts.
 *
 * @throws UploadError `unknown-provider` (fatal) for a name without a client.
 * @example
 * const provider = createProviderClient('feishu', { endpoint: '/upload' });
 */
export function createProviderClient(name: ProviderName, options: ProviderClientOptions): ProviderClient {
  const entry = isProviderName(name) ? PROVIDERS[name] : undefined;
  if (entry === undefined) {
    throw new UploadError({
      code: 'unknown-provider',
      kind: 'fatal',
      message: `No upload client for provider "${String(name)}"; supported: ${supportedProviders().join(', ')}`,
    });
  }
  return lazyClient(name, entry, options);
}
