/** Limits for one rate-limited key, e.g. Feishu upload endpoints: 5 QPS and 10 000/day (cloud-apis.md §1.8). */
export interface RateLimit {
  /** Sustained requests per second; also the burst size of the token bucket. */
  qps: number;
  /** Requests per UTC day (emulator clock). */
  perDay: number;
  /** When false, every request passes. */
  enabled: boolean;
}

/** Why a request was refused. */
export type RateLimitVerdict = 'ok' | 'qps' | 'day';

const DAY_MS = 86_400_000;

interface Bucket {
  tokens: number;
  refilledAt: number;
  day: number;
  dayCount: number;
}

/**
 * A token bucket per key plus a per-day counter, read against the emulator clock so tests can
 * refill it with `clock.advance`. Limits are read on every call, so they can change at run time.
 */
export class RateLimiter {
  readonly #now: () => number;
  readonly #limits: () => RateLimit;
  readonly #buckets = new Map<string, Bucket>();

  /**
   * @param now emulator clock (ms)
   * @param limits current limits; called on every `take`
   */
  constructor(now: () => number, limits: () => RateLimit) {
    this.#now = now;
    this.#limits = limits;
  }

  /** Takes one request for `key` (e.g. `appId:route`); refused requests consume nothing. */
  take(key: string): RateLimitVerdict {
    const limits = this.#limits();
    if (!limits.enabled) return 'ok';
    const now = this.#now();
    const capacity = Math.max(1, limits.qps);
    const day = Math.floor(now / DAY_MS);
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = { tokens: capacity, refilledAt: now, day, dayCount: 0 };
      this.#buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(capacity, bucket.tokens + (Math.max(0, now - bucket.refilledAt) * limits.qps) / 1000);
    bucket.refilledAt = now;
    if (bucket.day !== day) {
      bucket.day = day;
      bucket.dayCount = 0;
    }
    if (bucket.dayCount >= limits.perDay) return 'day';
    if (bucket.tokens < 1) return 'qps';
    bucket.tokens -= 1;
    bucket.dayCount += 1;
    return 'ok';
  }

  /** Seconds until `key` may send again (for `x-ogw-ratelimit-reset`), at least 1. */
  retryAfterSec(key: string): number {
    const limits = this.#limits();
    const bucket = this.#buckets.get(key);
    if (!bucket || limits.qps <= 0) return 1;
    if (bucket.dayCount >= limits.perDay) return Math.max(1, Math.ceil(((bucket.day + 1) * DAY_MS - this.#now()) / 1000));
    return Math.max(1, Math.ceil(((1 - bucket.tokens) * 1000) / limits.qps / 1000));
  }

  /** Forgets all buckets. */
  reset(): void {
    this.#buckets.clear();
  }
}
