/** Bounds of the exponential backoff (ms). */
export interface BackoffBounds {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Exponential backoff with full jitter: a uniform wait in [0, min(max, base · 2^(attempt−1))).
 * Full jitter spreads the retries of many clients that failed together (AWS architecture
 * blog, "Exponential Backoff And Jitter"), which matters when a whole office loses Wi-Fi.
 *
 * @param attempt 1 for the first retry.
 * @param random a uniform source in [0, 1), injectable for tests.
 * @example
 * backoffDelay(3, { baseDelayMs: 500, maxDelayMs: 15000 }, () => 0.5); // 1000
 */
export function backoffDelay(attempt: number, bounds: BackoffBounds, random: () => number): number {
  const ceiling = Math.min(bounds.maxDelayMs, bounds.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(0, Math.floor(random() * ceiling));
}
