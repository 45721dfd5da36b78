import { sleep } from '../core/sleep.js';
import { untilAborted } from '../core/until-aborted.js';

/**
 * Gap between part starts after a rate limit, before it doubles: 200 ms is Feishu's
 * documented 5 QPS per upload endpoint (specs/cloud-apis.md §1.8).
 */
export const RATE_LIMIT_GAP_START_MS = 200;
/** Upper bound of the adaptive gap, so a burst of 429s cannot stall an upload for minutes. */
export const RATE_LIMIT_GAP_MAX_MS = 10_000;
/** Each acknowledged part shrinks the adaptive gap by this factor. */
const RELAX_FACTOR = 0.75;
/**
 * A late timer is made up for by starting the next request early, but never closer than
 * this share of the interval to the previous actual start, so catching up cannot bunch starts.
 */
export const PACER_MIN_GAP_SHARE = 0.9;

/**
 * Paces the starts of part requests to one provider, shared by every upload that talks
 * to it: provider rate limits are per app, not per file (specs/cloud-apis.md §1.8,
 * "per API × per app × per tenant"). A rate-limited answer blocks all starts for the
 * wait the server asked for and widens the gap between starts; successes narrow it again.
 *
 * @example
 * await pacer.wait(session.traffic.minIntervalMs, signal); // then start the request
 */
export class Pacer {
  #now: () => number;
  #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  #lastStart = Number.NEGATIVE_INFINITY;
  /** When the previous start was due (its slot on the schedule), which may be before it ran. */
  #lastSlot = Number.NEGATIVE_INFINITY;
  #blockedUntil = 0;
  #adaptiveGapMs = 0;
  #tail: Promise<void> = Promise.resolve();

  /**
   * @param now clock (ms)
   * @param wait timer; injectable for tests
   */
  constructor(now: () => number, wait: (ms: number, signal: AbortSignal) => Promise<void> = sleep) {
    this.#now = now;
    this.#sleep = wait;
  }

  /** No start before this time (ms since epoch); 0 when not blocked. */
  get blockedUntil(): number {
    return this.#blockedUntil;
  }

  /** The gap added after rate limits (ms); 0 when relaxed. */
  get adaptiveGapMs(): number {
    return this.#adaptiveGapMs;
  }

  /**
   * Wait for this caller's turn to start a request. Callers queue in order and starts follow
   * an absolute schedule: each slot is `max(minIntervalMs, adaptive gap)` after the previous
   * *slot*, not after the previous actual start, so timer lateness (a few ms per start on a
   * busy main thread) does not accumulate into a slower rate than the provider allows. After
   * an idle spell the schedule restarts at now. A start is never closer than
   * `PACER_MIN_GAP_SHARE` of the interval to the previous actual start.
   */
  async wait(minIntervalMs: number, signal: AbortSignal): Promise<void> {
    const previous = this.#tail;
    let passOn = (): void => {};
    this.#tail = new Promise<void>((resolve) => {
      passOn = resolve;
    });
    try {
      await untilAborted(previous, signal);
      const intervalMs = Math.max(minIntervalMs, this.#adaptiveGapMs);
      const now = this.#now();
      const slot = Math.max(now, this.#lastSlot + intervalMs, this.#blockedUntil);
      const at = Math.max(slot, this.#lastStart + intervalMs * PACER_MIN_GAP_SHARE);
      if (at > now) await this.#sleep(at - now, signal);
      this.#lastSlot = slot;
      this.#lastStart = this.#now();
    } finally {
      // An aborted caller hands its turn on only once the caller before it is through.
      void previous.then(passOn);
    }
  }

  /** The provider said "too many requests": block every start for `waitMs`, widen the gap. */
  penalize(waitMs: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, this.#now() + Math.max(0, waitMs));
    this.#adaptiveGapMs = Math.min(
      RATE_LIMIT_GAP_MAX_MS,
      this.#adaptiveGapMs === 0 ? RATE_LIMIT_GAP_START_MS : this.#adaptiveGapMs * 2,
    );
  }

  /** A part went through: narrow the adaptive gap again. */
  relax(): void {
    this.#adaptiveGapMs = this.#adaptiveGapMs * RELAX_FACTOR < 1 ? 0 : this.#adaptiveGapMs * RELAX_FACTOR;
  }
}
