import { HttpError } from '../http-error.js';
import { SingleFlightToken, type IssuedToken } from './single-flight-token.js';
import { fetchUpstream } from './upstream.js';

/**
 * Refresh this long before the token's stated expiry, like the Go SDK
 * (cloud-apis.md §1.10: "treats tokens as expired 3 minutes early").
 */
export const TOKEN_REFRESH_MARGIN_MS = 3 * 60 * 1000;

/** Path of the self-built app token endpoint (cloud-apis.md §1.10). */
const TENANT_TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';

/** Options of a token cache. */
export interface FeishuTokenCacheOptions {
  baseUrl: string;
  appId: string;
  appSecret: string;
  fetch: typeof fetch;
  now: () => number;
}

/**
 * The app's tenant_access_token, fetched on first use, cached, refreshed
 * TOKEN_REFRESH_MARGIN_MS before it expires, and fetched single-flight: however many parts
 * ask at once, one request goes to the token endpoint (the ali-oss refresh race,
 * peers.md §2 item 21, is what this avoids).
 *
 * @example
 * const tokens = new FeishuTokenCache({ baseUrl, appId, appSecret, fetch, now: Date.now });
 * const token = await tokens.get();
 * // after a 99991663 answer:
 * tokens.invalidate(token);
 */
export class FeishuTokenCache {
  #options: FeishuTokenCacheOptions;
  #token: SingleFlightToken;

  constructor(options: FeishuTokenCacheOptions) {
    this.#options = options;
    this.#token = new SingleFlightToken(() => this.#fetch(), options.now);
  }

  /** A token valid for at least TOKEN_REFRESH_MARGIN_MS more (as the provider said). */
  get(): Promise<string> {
    return this.#token.get();
  }

  /** Forget `token` after the provider rejected it (N failing parts cause one refresh, not N). */
  invalidate(token: string): void {
    this.#token.invalidate(token);
  }

  async #fetch(): Promise<IssuedToken> {
    const { baseUrl, appId, appSecret, fetch, now } = this.#options;
    const response = await fetchUpstream(fetch, new URL(TENANT_TOKEN_PATH, baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ app_id: appId, app_secret: appSecret }),
    }, 'The backend could not reach the provider to get its access token');
    const body: unknown = await response.json().catch(() => null);
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const code = fields['code'];
    if (typeof code === 'number' && code !== 0) {
      // 10014 / 10015 / 99991543: the app id or secret is wrong: a deployment problem that
      // retrying will not fix (cloud-apis.md §1.10). Never echo the provider's text here:
      // it may quote what we sent.
      throw new HttpError(502, {
        code: 'server-error',
        kind: 'fatal',
        providerCode: String(code),
        message: 'The provider refused the backend app credentials (check FEISHU_APP_ID / FEISHU_APP_SECRET)',
      });
    }
    const value = fields['tenant_access_token'];
    const expire = fields['expire'];
    if (code !== 0 || typeof value !== 'string' || value === '' || typeof expire !== 'number' || !(expire > 0)) {
      throw new HttpError(502, { code: 'bad-response', kind: 'retry', message: 'The provider sent an unreadable access-token response' });
    }
    // Fields sit at the top level, not under `data` (§1.10). `expire` is remaining seconds.
    return { value, refreshAt: now() + expire * 1000 - TOKEN_REFRESH_MARGIN_MS };
  }
}
