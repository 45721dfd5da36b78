/** SHA-1 block size in bytes (FIPS 180-4 §5.1.1); chaining words exist only at block boundaries. */
export const SHA1_BLOCK_BYTES = 64;

/** SHA-1 initial hash value H(0) (FIPS 180-4 §5.3.1). */
export const SHA1_IV: readonly number[] = Object.freeze([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);

const HEX40 = /^[0-9a-f]{40}$/;

/**
 * SHA-1 that can start from, and expose, its chaining state: what COS legacy `datasha`
 * needs (cloud-apis.md §3.7). Node's crypto cannot resume SHA-1 from a state, so the
 * compression function is written here from FIPS 180-4 §6.1.2, small and pure.
 *
 * - {@link datasha} after a 64-byte-aligned prefix: the words H0..H4, each serialised
 *   little-endian, as lowercase hex (the COS intermediate `datasha`, "the byte-order trap").
 * - {@link digestHex}: the ordinary padded digest (big-endian hex), which COS uses for the
 *   last slice and for `sha`.
 *
 * @example
 * const h = new Sha1Compressor();
 * h.update(firstMiB);
 * h.datasha(); // 'bc92149b0ce9d856ab29eb0a92f3e63e43355e67' for the §6 test file
 * const next = Sha1Compressor.fromDatasha(h.datasha(), 1048576); // resume slice 2 from there
 */
export class Sha1Compressor {
  readonly #h = new Uint32Array(5);
  readonly #w = new Uint32Array(80);
  readonly #pending = new Uint8Array(SHA1_BLOCK_BYTES);
  #pendingLength = 0;
  /** Bytes fed so far, including the prefix a resumed state stands for. */
  #length: number;

  /**
   * @param words chaining state H0..H4 to start from; default {@link SHA1_IV}
   * @param processedBytes how many bytes that state covers (a multiple of 64)
   */
  constructor(words: readonly number[] = SHA1_IV, processedBytes = 0) {
    if (words.length !== 5) throw new RangeError('a SHA-1 state has 5 words');
    if (!Number.isSafeInteger(processedBytes) || processedBytes < 0 || processedBytes % SHA1_BLOCK_BYTES !== 0) {
      throw new RangeError(`a SHA-1 state covers a whole number of 64-byte blocks, not ${processedBytes} bytes`);
    }
    words.forEach((word, i) => {
      this.#h[i] = word >>> 0;
    });
    this.#length = processedBytes;
  }

  /**
   * A compressor resumed from a COS intermediate `datasha` (LE words as hex) that covers
   * `processedBytes` bytes. Throws RangeError on a malformed value.
   */
  static fromDatasha(datasha: string, processedBytes: number): Sha1Compressor {
    const hex = datasha.toLowerCase();
    if (!HEX40.test(hex)) throw new RangeError('datasha must be 40 hex digits');
    const bytes = Buffer.from(hex, 'hex');
    const words = [0, 1, 2, 3, 4].map((i) => bytes.readUInt32LE(i * 4));
    return new Sha1Compressor(words, processedBytes);
  }

  /** Bytes fed so far (including a resumed prefix). */
  get length(): number {
    return this.#length;
  }

  /** Feeds bytes; returns this for chaining. */
  update(data: Uint8Array): this {
    let i = 0;
    this.#length += data.length;
    if (this.#pendingLength > 0) {
      const take = Math.min(SHA1_BLOCK_BYTES - this.#pendingLength, data.length);
      this.#pending.set(data.subarray(0, take), this.#pendingLength);
      this.#pendingLength += take;
      i = take;
      if (this.#pendingLength < SHA1_BLOCK_BYTES) return this;
      this.#compress(this.#pending, 0);
      this.#pendingLength = 0;
    }
    for (; i + SHA1_BLOCK_BYTES <= data.length; i += SHA1_BLOCK_BYTES) this.#compress(data, i);
    if (i < data.length) {
      this.#pending.set(data.subarray(i), 0);
      this.#pendingLength = data.length - i;
    }
    return this;
  }

  /** The chaining words H0..H4 (unsigned). Throws unless the input so far is whole blocks. */
  words(): number[] {
    if (this.#pendingLength !== 0) throw new RangeError(`SHA-1 chaining words need whole 64-byte blocks; ${this.#length} bytes were fed`);
    return Array.from(this.#h);
  }

  /** COS intermediate `datasha`: each chaining word little-endian, lowercase hex (§3.7). */
  datasha(): string {
    const out = Buffer.alloc(20);
    this.words().forEach((word, i) => out.writeUInt32LE(word, i * 4));
    return out.toString('hex');
  }

  /** The standard SHA-1 digest of everything fed (big-endian hex). Does not change this object. */
  digestHex(): string {
    const copy = new Sha1Compressor(Array.from(this.#h), 0);
    copy.#length = this.#length;
    copy.#pending.set(this.#pending);
    copy.#pendingLength = this.#pendingLength;
    return copy.#finish();
  }

  #finish(): string {
    const bits = this.#length * 8;
    // Padding: 0x80, zeros to 56 mod 64, then the 64-bit big-endian bit length.
    const padLength = (this.#pendingLength < 56 ? 56 : 120) - this.#pendingLength;
    const tail = new Uint8Array(padLength + 8);
    tail[0] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(padLength, Math.floor(bits / 2 ** 32));
    view.setUint32(padLength + 4, bits >>> 0);
    const length = this.#length;
    this.update(tail);
    this.#length = length;
    const out = Buffer.alloc(20);
    this.#h.forEach((word, i) => out.writeUInt32BE(word, i * 4));
    return out.toString('hex');
  }

  /** FIPS 180-4 §6.1.2 step 1–4 for the 64-byte block at `offset`. */
  #compress(block: Uint8Array, offset: number): void {
    const w = this.#w;
    for (let t = 0; t < 16; t++) {
      const o = offset + t * 4;
      w[t] = (((block[o] ?? 0) << 24) | ((block[o + 1] ?? 0) << 16) | ((block[o + 2] ?? 0) << 8) | (block[o + 3] ?? 0)) >>> 0;
    }
    for (let t = 16; t < 80; t++) {
      const x = (w[t - 3] ?? 0) ^ (w[t - 8] ?? 0) ^ (w[t - 14] ?? 0) ^ (w[t - 16] ?? 0);
      w[t] = ((x << 1) | (x >>> 31)) >>> 0;
    }
    const h = this.#h;
    let a = h[0] ?? 0;
    let b = h[1] ?? 0;
    let c = h[2] ?? 0;
    let d = h[3] ?? 0;
    let e = h[4] ?? 0;
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
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + (w[t] ?? 0)) >>> 0;
      e = d;
      d = c;
      c = ((b << 30) | (b >>> 2)) >>> 0;
      b = a;
      a = temp;
    }
    h[0] = ((h[0] ?? 0) + a) >>> 0;
    h[1] = ((h[1] ?? 0) + b) >>> 0;
    h[2] = ((h[2] ?? 0) + c) >>> 0;
    h[3] = ((h[3] ?? 0) + d) >>> 0;
    h[4] = ((h[4] ?? 0) + e) >>> 0;
  }
}
