/**
 * Time constant of the speed average (ms). Uppy's StatusBar smooths over a couple of
 * seconds too: short enough to follow a real change, long enough not to jitter.
 */
export const SPEED_TIME_CONSTANT_MS = 2500;
/** Samples closer together than this are merged, so a burst of progress events is one sample. */
const MIN_SAMPLE_GAP_MS = 100;

/**
 * Upload speed as an exponential moving average weighted by elapsed time:
 * `speed += (1 − e^(−Δt/τ)) · (instant − speed)`, so irregular progress events weigh by
 * how long they cover, not by how many there are.
 *
 * @example
 * meter.sample(bytesTransferred, now()); meter.at(now()); // bytes per second
 */
export class SpeedMeter {
  #speed = 0;
  #lastAt: number | undefined;
  #lastBytes = 0;
  #primed = false;

  /** Record the cumulative byte count at time `at` (ms). A drop (a failed attempt) counts as no progress. */
  sample(bytes: number, at: number): void {
    if (this.#lastAt === undefined) {
      this.#lastAt = at;
      this.#lastBytes = bytes;
      return;
    }
    const dt = at - this.#lastAt;
    if (bytes < this.#lastBytes) {
      this.#lastBytes = bytes;
      return;
    }
    if (dt < MIN_SAMPLE_GAP_MS) return;
    const instant = ((bytes - this.#lastBytes) * 1000) / dt;
    if (!this.#primed) {
      this.#speed = instant;
      this.#primed = true;
    } else {
      this.#speed += (1 - Math.exp(-dt / SPEED_TIME_CONSTANT_MS)) * (instant - this.#speed);
    }
    this.#lastAt = at;
    this.#lastBytes = bytes;
  }

  /** Bytes per second at time `at`: decays towards 0 while no sample arrives (a stall shows as slowing down). */
  at(at: number): number {
    if (this.#lastAt === undefined) return 0;
    const idle = at - this.#lastAt;
    return idle > SPEED_TIME_CONSTANT_MS ? this.#speed * Math.exp(-(idle - SPEED_TIME_CONSTANT_MS) / SPEED_TIME_CONSTANT_MS) : this.#speed;
  }

  /** Forget everything (after a pause the old rate says nothing). */
  reset(): void {
    this.#speed = 0;
    this.#lastAt = undefined;
    this.#lastBytes = 0;
    this.#primed = false;
  }
}
