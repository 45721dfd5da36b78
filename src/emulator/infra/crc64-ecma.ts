import { createCRC64, type IHasher } from 'hash-wasm';

/**
 * CRC-64/ECMA-182 as XZ uses it ("CRC-64/XZ"): reflected polynomial 0xC96C5795D7870F42,
 * init and final XOR all ones. COS reports it as `x-cos-hash-crc64ecma` (unsigned decimal),
 * PDS as `crc64_hash` (cloud-apis.md §4.2, §6: check value "123456789" → 11051210869376104954).
 * Table-driven over two 32-bit halves, so no BigInt in the byte loop.
 */
const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;
const POLY = 0xc96c5795d7870f42n;
const TOP_BIT = 1n << 63n;

const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let hi = 0;
  let lo = n;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi >>>= 1;
    if (carry) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  TABLE_HI[n] = hi;
  TABLE_LO[n] = lo;
}

/** (a · b) mod P over GF(2), reflected bit order (zlib's `multmodp`, widened to 64 bits). */
function multModP(a: bigint, b: bigint): bigint {
  let m = TOP_BIT;
  let p = 0n;
  let x = b;
  for (;;) {
    if (a & m) {
      p ^= x;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    x = x & 1n ? (x >> 1n) ^ POLY : x >> 1n;
  }
  return p;
}

/** x^(2^k) mod P for k = 0..63 (zlib's `x2n_table`). */
const X2N: bigint[] = [TOP_BIT >> 1n];
for (let k = 1; k < 64; k++) X2N.push(multModP(X2N[k - 1] as bigint, X2N[k - 1] as bigint));

/** x^(n·2^k) mod P (zlib's `x2nmodp`). */
function x2nModP(n: bigint, k: number): bigint {
  let p = TOP_BIT;
  let i = k;
  for (let rest = n; rest > 0n; rest >>= 1n, i++) if (rest & 1n) p = multModP(X2N[i & 63] as bigint, p);
  return p;
}

/**
 * Incremental CRC-64/ECMA (XZ). `new Crc64Ecma()` is pure JS; {@link Crc64Ecma.create} is
 * the same checksum in WebAssembly (hash-wasm `createCRC64`, its default polynomial is this
 * one), several times faster, for the emulator's hot paths.
 * @example new Crc64Ecma().update(Buffer.from('123456789')).toString() === '11051210869376104954'
 */
export class Crc64Ecma {
  #hi = 0xffffffff;
  #lo = 0xffffffff;
  #wasm: IHasher | undefined;

  /** A CRC-64/ECMA computed by hash-wasm. */
  static async create(): Promise<Crc64Ecma> {
    const crc = new Crc64Ecma();
    crc.#wasm = (await createCRC64()).init();
    return crc;
  }

  /**
   * The CRC of A‖B from crc(A), crc(B) and B's length, in O(log length) (zlib's
   * `crc32_combine`, widened): lets a multipart object's CRC come from its parts' CRCs
   * without reading a byte again.
   * @example Crc64Ecma.combine(crcOf(a), crcOf(b), b.length) === crcOf(Buffer.concat([a, b]))
   */
  static combine(first: bigint, second: bigint, secondLength: number): bigint {
    if (secondLength === 0) return first;
    return multModP(x2nModP(BigInt(secondLength), 3), first) ^ second;
  }

  /** Feeds more bytes; returns this for chaining. */
  update(bytes: Uint8Array): this {
    if (this.#wasm) {
      this.#wasm.update(bytes);
      return this;
    }
    let hi = this.#hi;
    let lo = this.#lo;
    const tableHi = TABLE_HI;
    const tableLo = TABLE_LO;
    for (let n = 0; n < bytes.length; n++) {
      const i = (lo ^ (bytes[n] as number)) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ (tableLo[i] as number);
      hi = (hi >>> 8) ^ (tableHi[i] as number);
    }
    hi >>>= 0;
    lo >>>= 0;
    this.#hi = hi;
    this.#lo = lo;
    return this;
  }

  /** The CRC as an unsigned 64-bit value. */
  get value(): bigint {
    if (this.#wasm) {
      // hash-wasm's digest ends the hasher; keep it usable for more bytes.
      const state = this.#wasm.save();
      const hex = this.#wasm.digest('hex');
      this.#wasm.load(state);
      return BigInt(`0x${hex}`);
    }
    return (BigInt((this.#hi ^ 0xffffffff) >>> 0) << 32n) | BigInt((this.#lo ^ 0xffffffff) >>> 0);
  }

  /** Unsigned decimal, as COS and PDS send it. */
  toString(): string {
    return this.value.toString();
  }
}
