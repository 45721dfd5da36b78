/** SHA-1 initial chaining values H0..H4 (FIPS 180-4 §5.3.1). */
export const SHA1_IV: readonly number[] = Object.freeze([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);

/** SHA-1 works on 64-byte blocks; PDS parallel parts start on a multiple of this (cloud-apis.md §2.5, §2.9 item 4). */
export const SHA1_BLOCK_BYTES = 64;

/**
 * SHA-1 that can start from any chaining state, which node:crypto cannot: PDS parallel mode
 * sends, per part, the SHA-1 state after all bytes before it (`parallel_sha1_ctx`, cloud-apis.md
 * §2.9 item 4), and the emulator must check that the bytes of part k, compressed from ctx(k),
 * give ctx(k+1). Small and pure TypeScript (FIPS 180-4 §6.1).
 *
 * @example
 * const c = new Sha1Compressor(ctx.h.length ? ctx.h : SHA1_IV, ctx.part_offset);
 * c.update(partBytes);
 * c.state(); // the next part's `h`, when the part length is a multiple of 64
 */
export class Sha1Compressor {
  readonly #h = new Uint32Array(5);
  readonly #w = new Uint32Array(80);
  readonly #block = new Uint8Array(SHA1_BLOCK_BYTES);
  #blockLength = 0;
  #offset: number;

  /**
   * @param h chaining state to start from (five unsigned 32-bit words); default the IV
   * @param offset bytes already hashed into `h` (a multiple of 64); default 0
   */
  constructor(h: readonly number[] = SHA1_IV, offset = 0) {
    if (h.length !== 5 || h.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) throw new RangeError('SHA-1 state must be five unsigned 32-bit words');
    if (!Number.isSafeInteger(offset) || offset < 0 || offset % SHA1_BLOCK_BYTES !== 0) throw new RangeError(`SHA-1 offset must be a multiple of 64, got ${offset}`);
    this.#h.set(h);
    this.#offset = offset;
  }

  /** Bytes hashed so far, including the starting offset. */
  get offset(): number {
    return this.#offset;
  }

  /** Feeds bytes. */
  update(bytes: Uint8Array): void {
    let i = 0;
    this.#offset += bytes.length;
    if (this.#blockLength > 0) {
      const take = Math.min(SHA1_BLOCK_BYTES - this.#blockLength, bytes.length);
      this.#block.set(bytes.subarray(0, take), this.#blockLength);
      this.#blockLength += take;
      i = take;
      if (this.#blockLength < SHA1_BLOCK_BYTES) return;
      this.#compress(this.#block, 0);
      this.#blockLength = 0;
    }
    for (; i + SHA1_BLOCK_BYTES <= bytes.length; i += SHA1_BLOCK_BYTES) this.#compress(bytes, i);
    if (i < bytes.length) {
      this.#block.set(bytes.subarray(i), 0);
      this.#blockLength = bytes.length - i;
    }
  }

  /** The chaining state H0..H4, or undefined when the bytes so far do not end on a 64-byte boundary. */
  state(): number[] | undefined {
    return this.#blockLength === 0 ? Array.from(this.#h) : undefined;
  }

  /** Finishes (pads with the total length) and returns the lowercase hex digest. Call once. */
  digest(): string {
    const total = this.#offset;
    const tail = new Uint8Array(this.#blockLength < 56 ? 64 : 128);
    tail.set(this.#block.subarray(0, this.#blockLength));
    tail[this.#blockLength] = 0x80;
    const view = new DataView(tail.buffer);
    // Message length in bits as a 64-bit big-endian integer.
    view.setUint32(tail.length - 8, Math.floor(total / 0x20000000), false);
    view.setUint32(tail.length - 4, (total * 8) >>> 0, false);
    for (let i = 0; i < tail.length; i += SHA1_BLOCK_BYTES) this.#compress(tail, i);
    this.#blockLength = 0;
    return Array.from(this.#h, (v) => v.toString(16).padStart(8, '0')).join('');
  }

  #compress(bytes: Uint8Array, at: number): void {
    const w = this.#w;
    for (let t = 0; t < 16; t++) {
      const j = at + t * 4;
      w[t] = ((bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!) >>> 0;
    }
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
      w[t] = ((x << 1) | (x >>> 31)) >>> 0;
    }
    const h = this.#h;
    let a = h[0]!;
    let b = h[1]!;
    let c = h[2]!;
    let d = h[3]!;
    let e = h[4]!;
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]!) >>> 0;
      e = d;
      d = c;
      c = ((b << 30) | (b >>> 2)) >>> 0;
      b = a;
      a = temp;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
  }
}
