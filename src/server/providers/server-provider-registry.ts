import type { ProviderName } from '../../core/index.js';
import { CosLegacyProvider, type CosLegacyServerConfig } from './cos-legacy-provider.js';
import { FeishuProvider, type FeishuServerConfig } from './feishu-provider.js';
import { PdsProvider, type PdsServerConfig } from './pds-provider.js';
import { S3Provider, type S3ServerConfig } from './s3-provider.js';
import type { ServerProvider } from './server-provider.js';

/** Provider configurations by provider name; only configured providers accept uploads. */
export interface ServerProvidersConfig {
  feishu?: FeishuServerConfig;
  lark?: FeishuServerConfig;
  'cos-legacy'?: CosLegacyServerConfig;
  pds?: PdsServerConfig;
  s3?: S3ServerConfig;
  // TODO(#3) pds, cos-legacy, s3: one sibling module each, registered below.
}

/** Shared dependencies every provider receives. */
export interface ServerProviderContext {
  fetch: typeof fetch;
  now: () => number;
}

/**
 * The static registry: one instance per configured provider. Adding a provider means adding
 * its module, its config field above and one line here; no other module changes.
 *
 * @example
 * const providers = serverProviderRegistry({ feishu: { baseUrl, appId, appSecret } }, { fetch, now: Date.now });
 * providers.get('feishu');
 */
export function serverProviderRegistry(config: ServerProvidersConfig, context: ServerProviderContext): ReadonlyMap<ProviderName, ServerProvider> {
  const providers = new Map<ProviderName, ServerProvider>();
  if (config.feishu) providers.set('feishu', new FeishuProvider('feishu', config.feishu, context));
  if (config.lark) providers.set('lark', new FeishuProvider('lark', config.lark, context));
  if (config['cos-legacy']) providers.set('cos-legacy', new CosLegacyProvider(config['cos-legacy'], context));
  if (config.pds) providers.set('pds', new PdsProvider(config.pds, context));
  if (config.s3) providers.set('s3', new S3Provider(config.s3, context));
  return providers;
}
