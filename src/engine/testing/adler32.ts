/** Largest prime below 2^16 (RFC 1950 §8.2). */
const ADLER_MOD = 65521;

/**
 * Adler-32 as Feishu's `checksum` wants it: unsigned decimal string (specs/cloud-apis.md §1.7).
 * A plain reference implementation for fakes and tests; production hashing is hash-wasm in a worker.
 *
 * @example
 * adler32(new TextEncoder().encode('Wikipedia')); // '300286872'
 */
export function adler32(bytes: Uint8Array): string {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % ADLER_MOD;
    b = (b + a) % ADLER_MOD;
  }
  return String(((b << 16) | a) >>> 0);
}
