/**
 * A small seeded PRNG (mulberry32) so fault rates are reproducible: the same seed and the
 * same request sequence give the same injected faults (task brief: "seeded PRNG for rates").
 */
export class SeededRandom {
  #state: number;

  /** @param seed any integer; only the low 32 bits are used. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Next value in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
