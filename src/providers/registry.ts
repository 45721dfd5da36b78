import { UploadError, isProviderName } from '../core/index.js';
import type { ProviderClient, ProviderName } from '../core/index.js';
import { createCosLegacyClient } from './cos-legacy.js';
import { createFeishuClient } from './feishu.js';
import { createPdsClient } from './pds.js';
import { createS3Client } from './s3.js';
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

// A static map, so bundlers see every client and nothing is looked up by string at build time.
// PDS, COS and S3 clients join here as sibling modules.
const FACTORIES: Partial<Record<ProviderName, ProviderFactory>> = {
  feishu: (options) => createFeishuClient({ ...options, flavour: 'feishu' }),
  lark: (options) => createFeishuClient({ ...options, flavour: 'lark' }),
  pds: (options) => createPdsClient(options),
  'cos-legacy': (options) => createCosLegacyClient(options),
  s3: (options) => createS3Client(options),
};

/** Providers that have a browser client today. */
export function supportedProviders(): ProviderName[] {
  return Object.keys(FACTORIES).filter(isProviderName);
}

/**
 * The browser client for a provider name (the element's `provider` attribute).
 *
 * @throws UploadError `unknown-provider` (fatal) for a name without a client.
 * @example
 * const provider = createProviderClient('feishu', { endpoint: '/upload' });
 */
export function createProviderClient(name: ProviderName, options: ProviderClientOptions): ProviderClient {
  const factory = isProviderName(name) ? FACTORIES[name] : undefined;
  if (factory === undefined) {
    throw new UploadError({
      code: 'unknown-provider',
      kind: 'fatal',
      message: `No upload client for provider "${String(name)}"; supported: ${supportedProviders().join(', ')}`,
    });
  }
  return factory(options);
}
