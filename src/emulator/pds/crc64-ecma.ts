/**
 * CRC-64/ECMA-182 as OSS and COS use it (`x-oss-hash-crc64ecma`, PDS `crc64_hash`), a.k.a.
 * CRC-64/XZ: reflected polynomial 0xC96C5795D7870F42, init and xorout all ones
 * (cloud-apis.md §2.9 item 5; check value `crc64("123456789") = 11051210869376104954`, §6).
 */
const POLY = 0xc96c5795d7870f42n;
const MASK = 0xffffffffffffffffn;

/** The byte table, split into 32-bit halves so the hot loop needs no BigInt. */
const TABLE_LO = new Uint32Array(256);
const TABLE_HI = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let crc = BigInt(i);
  for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
  TABLE_LO[i] = Number(crc & 0xffffffffn);
  TABLE_HI[i] = Number(crc >> 32n);
}

/**
 * Incremental CRC-64/ECMA, table-driven.
 * @example
 * const crc = new Crc64Ecma();
 * crc.update(Buffer.from('123456789'));
 * crc.toString(); // '11051210869376104954'
 */
export class Crc64Ecma {
  /** Register, pre-xorout, as two unsigned 32-bit halves. */
  #lo = 0xffffffff;
  #hi = 0xffffffff;

  /** Feeds bytes. */
  update(bytes: Uint8Array): void {
    let lo = this.#lo;
    let hi = this.#hi;
    for (let i = 0; i < bytes.length; i++) {
      const index = (lo ^ bytes[i]!) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ TABLE_LO[index]!) >>> 0;
      hi = ((hi >>> 8) ^ TABLE_HI[index]!) >>> 0;
    }
    this.#lo = lo;
    this.#hi = hi;
  }

  /** The CRC of the bytes so far. */
  get value(): bigint {
    return ((BigInt(this.#hi) << 32n) | BigInt(this.#lo)) ^ MASK;
  }

  /** The CRC as an unsigned decimal string, as PDS and OSS serialise it. */
  toString(): string {
    return this.value.toString(10);
  }
}
