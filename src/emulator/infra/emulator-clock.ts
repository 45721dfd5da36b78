/**
 * The emulator's notion of time: an injectable base clock plus an offset that tests (or the
 * `POST /__emulator/clock` admin route) can push forward, so token and upload-id expiry
 * (cloud-apis.md §7 "configurable clock") can be tested without waiting.
 */
export class EmulatorClock {
  readonly #base: () => number;
  #offsetMs = 0;

  /** @param base milliseconds since the epoch; defaults to `Date.now`. */
  constructor(base: () => number = Date.now) {
    this.#base = base;
  }

  /** Current emulator time in ms since the epoch. */
  now(): number {
    return this.#base() + this.#offsetMs;
  }

  /** Moves emulator time forward by `ms` (negative values are rejected: time never runs back). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance(ms) needs a finite ms >= 0, got ${ms}`);
    this.#offsetMs += ms;
  }
}
