import { randomBytes } from 'node:crypto';

/** A tenant token issued by the emulator. */
interface IssuedToken {
  appId: string;
  expiresAt: number;
}

/** Result of checking a bearer token. */
export type TokenCheck = { ok: true; appId: string } | { ok: false; reason: 'unknown' | 'expired' };

/**
 * Tenant access tokens (cloud-apis.md §1.10): `t-…`, lifetime `tokenTtlSec`; asking again
 * returns the same token while it has at least the reissue window left, else a new one (the
 * old one stays valid until it expires). Kept in memory: after a restart clients simply get
 * `99991663` and fetch a new token, as with a real revoked token.
 */
export class FeishuTokens {
  readonly #now: () => number;
  readonly #ttlMs: () => number;
  readonly #windowMs: () => number;
  readonly #tokens = new Map<string, IssuedToken>();
  readonly #latest = new Map<string, string>();

  constructor(now: () => number, ttlSec: () => number, reissueWindowSec: () => number) {
    this.#now = now;
    this.#ttlMs = () => ttlSec() * 1000;
    this.#windowMs = () => reissueWindowSec() * 1000;
  }

  /** Returns the app's token and its remaining lifetime in whole seconds (`expire`). */
  issue(appId: string): { token: string; expire: number } {
    const now = this.#now();
    const current = this.#latest.get(appId);
    const issued = current === undefined ? undefined : this.#tokens.get(current);
    if (current !== undefined && issued && issued.expiresAt - now >= this.#windowMs()) {
      return { token: current, expire: Math.floor((issued.expiresAt - now) / 1000) };
    }
    this.#sweep(now);
    const token = `t-${randomBytes(20).toString('hex')}`;
    const ttl = this.#ttlMs();
    this.#tokens.set(token, { appId, expiresAt: now + ttl });
    this.#latest.set(appId, token);
    return { token, expire: Math.floor(ttl / 1000) };
  }

  /** Checks a bearer token against the emulator clock. */
  check(token: string): TokenCheck {
    const issued = this.#tokens.get(token);
    if (!issued) return { ok: false, reason: 'unknown' };
    if (issued.expiresAt <= this.#now()) return { ok: false, reason: 'expired' };
    return { ok: true, appId: issued.appId };
  }

  /** Forgets tokens expired for more than a day, so the map stays small. */
  #sweep(now: number): void {
    for (const [token, issued] of this.#tokens) {
      if (issued.expiresAt + 86_400_000 < now) this.#tokens.delete(token);
    }
  }
}
