import { createAdler32, type IHasher } from 'hash-wasm';

/** Adler-32 modulus, the largest prime below 2^16 (RFC 1950 §8.2; cloud-apis.md §1.7). */
const ADLER_MOD = 65521;
/**
 * Bytes that can be summed before `b` may overflow 2^53 — zlib uses 5552 for 32-bit
 * arithmetic; we keep the same bound, which is far inside what a JS number holds exactly.
 */
const ADLER_NMAX = 5552;

/**
 * Incremental Adler-32 (RFC 1950), written from cloud-apis.md §1.7: `a = 1, b = 0`; per byte
 * `a = (a + byte) mod 65521; b = (b + a) mod 65521`; value `(b << 16) | a`, unsigned.
 * Feishu sends it as an unsigned base-10 string (e.g. `"3248270248"`). `new Adler32()` is pure
 * JS (the reference the tests trust); {@link Adler32.create} is the same sum in WebAssembly
 * (hash-wasm), several times faster, for the emulator's part bodies.
 * @example new Adler32().update(Buffer.from('Wikipedia')).value === 300286872
 */
export class Adler32 {
  #a = 1;
  #b = 0;
  #wasm: IHasher | undefined;

  /** An Adler-32 computed by hash-wasm. */
  static async create(): Promise<Adler32> {
    const adler = new Adler32();
    adler.#wasm = (await createAdler32()).init();
    return adler;
  }

  /** Feeds more bytes; returns this for chaining. */
  update(bytes: Uint8Array): this {
    if (this.#wasm) {
      this.#wasm.update(bytes);
      return this;
    }
    let a = this.#a;
    let b = this.#b;
    let i = 0;
    while (i < bytes.length) {
      const end = Math.min(bytes.length, i + ADLER_NMAX);
      for (; i < end; i++) {
        a += bytes[i] ?? 0;
        b += a;
      }
      a %= ADLER_MOD;
      b %= ADLER_MOD;
    }
    this.#a = a;
    this.#b = b;
    return this;
  }

  /** The checksum as an unsigned 32-bit number. */
  get value(): number {
    if (this.#wasm) {
      // hash-wasm's digest ends the hasher; keep it usable for more bytes.
      const state = this.#wasm.save();
      const value = Number.parseInt(this.#wasm.digest('hex'), 16);
      this.#wasm.load(state);
      return value;
    }
    return ((this.#b << 16) | this.#a) >>> 0;
  }

  /** The checksum as Feishu's `checksum` field: unsigned decimal, no padding. */
  toString(): string {
    return String(this.value);
  }
}
