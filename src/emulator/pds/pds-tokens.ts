import { createPublicKey, randomBytes, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { PdsEmulatorConfig } from './pds-config.js';

/** Result of checking a bearer token (cloud-apis.md §2.11: 401 AccessTokenInvalid / AccessTokenExpired). */
export type PdsTokenCheck = { ok: true } | { ok: false; code: 'AccessTokenInvalid' | 'AccessTokenExpired' };

/** A refused grant: PDS code, HTTP status, message. */
export interface PdsGrantFailure {
  code: string;
  status: number;
  message: string;
}

/** An issued access token, as `/v2/oauth/token` answers (cloud-apis.md §2.2). */
export interface PdsIssuedToken {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  expire_time: string;
  user_id: string;
  domain_id: string;
}

/** `grant_type` of the JWT app flow (cloud-apis.md §2.2). */
export const PDS_JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Latest `exp` accepted in an assertion, seconds after now ([infer]; the docs say exp ≈ now + 60 s). */
export const PDS_JWT_MAX_LIFETIME_SEC = 3600;

function b64urlJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Access tokens of the PDS flavour: the configured static token (PDS_ACCESS_TOKEN, never
 * expires) plus tokens issued by `/v2/oauth/token` for a JWT app assertion (RS256, claims
 * `iss/sub/sub_type/aud/jti/exp`, cloud-apis.md §2.2, §7), which expire after `tokenTtlSec`.
 * Issued tokens live in memory: after a restart they are unknown (`AccessTokenInvalid`),
 * as a revoked token would be.
 */
export class PdsTokens {
  readonly #now: () => number;
  readonly #config: () => PdsEmulatorConfig;
  readonly #issued = new Map<string, number>();
  /** jti → exp (ms): an assertion is usable once. */
  readonly #seenJti = new Map<string, number>();
  #key: { pem: string; key: KeyObject } | undefined;

  constructor(now: () => number, config: () => PdsEmulatorConfig) {
    this.#now = now;
    this.#config = config;
  }

  /** Checks a bearer token against the static token and the issued ones. */
  check(token: string): PdsTokenCheck {
    const fixed = Buffer.from(this.#config().accessToken);
    const given = Buffer.from(token);
    if (fixed.length === given.length && timingSafeEqual(fixed, given)) return { ok: true };
    const expiresAt = this.#issued.get(token);
    if (expiresAt === undefined) return { ok: false, code: 'AccessTokenInvalid' };
    if (expiresAt <= this.#now()) return { ok: false, code: 'AccessTokenExpired' };
    return { ok: true };
  }

  /** Forgets every issued token (they answer AccessTokenInvalid from now on); the configured token stays. */
  revokeAll(): number {
    const count = this.#issued.size;
    this.#issued.clear();
    return count;
  }

  /** Issues a token without HTTP (tests). */
  issue(subject: string): PdsIssuedToken {
    const now = this.#now();
    this.#sweep(now);
    const ttlSec = this.#config().tokenTtlSec;
    const token = `eyJemu.${randomBytes(24).toString('base64url')}`;
    this.#issued.set(token, now + ttlSec * 1000);
    return {
      access_token: token,
      refresh_token: randomBytes(16).toString('hex'),
      token_type: 'Bearer',
      expires_in: ttlSec,
      expire_time: new Date(now + ttlSec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      user_id: subject,
      domain_id: this.#config().domainId,
    };
  }

  /**
   * The jwt-bearer grant: verifies the assertion with the configured app's public key and
   * checks its claims. Failure codes are [infer] (the spec names none for this route).
   */
  grantJwt(clientId: string | undefined, assertion: string | undefined): PdsIssuedToken | PdsGrantFailure {
    const app = this.#config().jwtApp;
    const refuse = (code: string, status: number, message: string): PdsGrantFailure => ({ code, status, message });
    if (!app) return refuse('InvalidParameter.ClientId', 400, 'no JWT app is configured on this emulator');
    if (clientId !== undefined && clientId !== app.clientId) return refuse('InvalidParameter.ClientId', 400, 'unknown client_id');
    if (!assertion) return refuse('InvalidParameterMissing.Assertion', 400, 'assertion is required');
    const parts = assertion.split('.');
    if (parts.length !== 3) return refuse('InvalidParameter.Assertion', 400, 'assertion is not a JWT');
    const [head = '', body = '', sig = ''] = parts;
    const header = b64urlJson(head);
    const claims = b64urlJson(body);
    if (!header || !claims) return refuse('InvalidParameter.Assertion', 400, 'assertion is not a JWT');
    if (header['alg'] !== 'RS256') return refuse('InvalidParameter.Assertion', 400, 'assertion must be signed with RS256');
    let valid: boolean;
    try {
      valid = verify('RSA-SHA256', Buffer.from(`${head}.${body}`), this.#publicKey(app.publicKey), Buffer.from(sig, 'base64url'));
    } catch {
      valid = false;
    }
    if (!valid) return refuse('InvalidJWT.Signature', 401, 'assertion signature does not verify with the app public key');
    const nowSec = Math.floor(this.#now() / 1000);
    const exp = claims['exp'];
    const jti = claims['jti'];
    const sub = claims['sub'];
    if (claims['iss'] !== app.clientId) return refuse('InvalidJWT.Claims', 401, 'iss must be the client_id');
    if (claims['aud'] !== this.#config().domainId) return refuse('InvalidJWT.Claims', 401, 'aud must be the domain_id');
    if (typeof sub !== 'string' || sub === '') return refuse('InvalidJWT.Claims', 401, 'sub is required');
    if (claims['sub_type'] !== 'user' && claims['sub_type'] !== 'service') return refuse('InvalidJWT.Claims', 401, 'sub_type must be "user" or "service"');
    if (typeof jti !== 'string' || jti.length < 16 || jti.length > 128) return refuse('InvalidJWT.Claims', 401, 'jti must be 16..128 characters');
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return refuse('InvalidJWT.Claims', 401, 'exp is required');
    if (exp <= nowSec) return refuse('InvalidJWT.Expired', 401, 'assertion has expired');
    if (exp > nowSec + PDS_JWT_MAX_LIFETIME_SEC) return refuse('InvalidJWT.Claims', 401, `exp may be at most ${PDS_JWT_MAX_LIFETIME_SEC} s ahead`);
    this.#sweep(this.#now());
    if (this.#seenJti.has(jti)) return refuse('InvalidJWT.Replay', 401, 'this jti was already used');
    this.#seenJti.set(jti, exp * 1000);
    return this.issue(sub);
  }

  #publicKey(pem: string): KeyObject {
    if (this.#key?.pem !== pem) this.#key = { pem, key: createPublicKey(pem) };
    return this.#key.key;
  }

  /** Forgets tokens and jtis long expired, so the maps stay small. */
  #sweep(now: number): void {
    for (const [token, expiresAt] of this.#issued) if (expiresAt + 86_400_000 < now) this.#issued.delete(token);
    for (const [jti, expiresAt] of this.#seenJti) if (expiresAt < now) this.#seenJti.delete(jti);
  }
}
