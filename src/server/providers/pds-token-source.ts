import { HttpError } from '../http-error.js';
import { pdsJwtAssertion, type PdsJwtApp } from './pds-jwt-assertion.js';
import { SingleFlightToken, type IssuedToken } from './single-flight-token.js';
import { fetchUpstream } from './upstream.js';

/** Refresh an issued token this long before it expires (ms; tokens live ~2 h, cloud-apis.md §2.2). */
export const PDS_TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** The jwt-bearer grant type (cloud-apis.md §2.2 step 3). */
const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Where the backend's PDS access token comes from. */
export interface PdsTokenSourceOptions {
  baseUrl: string;
  domainId: string;
  /** A fixed token (PDS_ACCESS_TOKEN), e.g. against the emulator; used as is, never refreshed. */
  accessToken?: string;
  /** A JWT app: tokens from `POST /v2/oauth/token`, refreshed before they expire. */
  jwt?: PdsJwtApp;
  fetch: typeof fetch;
  now: () => number;
}

/**
 * The backend's PDS access token, which never leaves the backend: a fixed one, or one fetched
 * with the JWT-bearer grant (RS256 assertion, cloud-apis.md §2.2), cached, refreshed
 * PDS_TOKEN_REFRESH_MARGIN_MS before expiry, and fetched single-flight.
 *
 * @example
 * const tokens = new PdsTokenSource({ baseUrl, domainId, jwt: { clientId, privateKey, subject }, fetch, now: Date.now });
 * const token = await tokens.get();
 * tokens.invalidate(token); // after AccessTokenInvalid / AccessTokenExpired
 */
export class PdsTokenSource {
  #options: PdsTokenSourceOptions;
  #token: SingleFlightToken;

  constructor(options: PdsTokenSourceOptions) {
    if ((options.accessToken === undefined || options.accessToken === '') === (options.jwt === undefined)) {
      throw new TypeError('PDS needs exactly one of accessToken or jwt');
    }
    this.#options = options;
    this.#token = new SingleFlightToken(() => this.#fetch(), options.now);
  }

  /** True when the token can be refreshed (a JWT app), so an auth error is worth one retry. */
  get refreshable(): boolean {
    return this.#options.jwt !== undefined;
  }

  /** A token valid for at least the refresh margin (as the provider said). */
  get(): Promise<string> {
    const fixed = this.#options.accessToken;
    if (fixed !== undefined && fixed !== '') return Promise.resolve(fixed);
    return this.#token.get();
  }

  /** Forget `token` after PDS rejected it; a token already replaced is ignored (N failures → one refresh). */
  invalidate(token: string): void {
    this.#token.invalidate(token);
  }

  async #fetch(): Promise<IssuedToken> {
    const { baseUrl, domainId, jwt, fetch, now } = this.#options;
    const app = jwt!;
    const form = new URLSearchParams({ grant_type: JWT_GRANT, client_id: app.clientId, assertion: pdsJwtAssertion(app, domainId, now()) });
    const response = await fetchUpstream(fetch, new URL('/v2/oauth/token', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    }, 'The backend could not reach PDS to get its access token');
    const body: unknown = await response.json().catch(() => null);
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    if (!response.ok) {
      // A refused assertion is a deployment problem (key, client id, subject): retrying will not fix it.
      const code = typeof fields['code'] === 'string' ? fields['code'] : undefined;
      throw new HttpError(502, {
        code: 'server-error',
        kind: response.status >= 500 ? 'retry' : 'fatal',
        message: 'PDS refused the backend JWT app credentials (check PDS_CLIENT_ID / PDS_PRIVATE_KEY / PDS_SUBJECT / PDS_DOMAIN_ID)',
        ...(code !== undefined && { providerCode: code }),
      });
    }
    const value = fields['access_token'];
    const expiresIn = fields['expires_in'];
    if (typeof value !== 'string' || value === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
      throw new HttpError(502, { code: 'bad-response', kind: 'retry', message: 'PDS sent an unreadable access-token response' });
    }
    const lifetimeMs = expiresIn * 1000;
    // Short-lived tokens refresh at half their life rather than never being "fresh".
    return { value, refreshAt: now() + Math.max(lifetimeMs / 2, lifetimeMs - PDS_TOKEN_REFRESH_MARGIN_MS) };
  }
}
