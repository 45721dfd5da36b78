/**
 * CRC-64/ECMA-182 as XZ uses it ("CRC-64/XZ"): reflected polynomial 0xC96C5795D7870F42,
 * init and final XOR all ones. COS reports it as `x-cos-hash-crc64ecma` (unsigned decimal),
 * PDS as `crc64_hash` (cloud-apis.md §4.2, §6: check value "123456789" → 11051210869376104954).
 * Table-driven over two 32-bit halves, so no BigInt in the byte loop.
 */
const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;

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

/**
 * Incremental CRC-64/ECMA (XZ).
 * @example new Crc64Ecma().update(Buffer.from('123456789')).toString() === '11051210869376104954'
 */
export class Crc64Ecma {
  #hi = 0xffffffff;
  #lo = 0xffffffff;

  /** Feeds more bytes; returns this for chaining. */
  update(bytes: Uint8Array): this {
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
    return (BigInt((this.#hi ^ 0xffffffff) >>> 0) << 32n) | BigInt((this.#lo ^ 0xffffffff) >>> 0);
  }

  /** Unsigned decimal, as COS and PDS send it. */
  toString(): string {
    return this.value.toString();
  }
}
