import type { PartChecksumKind } from '../core/protocol.js';

/** The part checksums a worker computes from the part's bytes alone (the SHA-1 kinds chain over the file). */
export type IndependentChecksumKind = Extract<PartChecksumKind, 'adler32' | 'md5' | 'crc32' | 'sha1'>;

/** The kinds {@link encodeChecksum} accepts, for narrowing a `PartChecksumKind`. */
export const INDEPENDENT_CHECKSUM_KINDS: readonly IndependentChecksumKind[] = ['adler32', 'md5', 'crc32', 'sha1'];

/** Standard base64 with padding, for Content-MD5 and x-amz-checksum-crc32. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * A raw digest (hash-wasm `digest('binary')`, big-endian) in the encoding the provider
 * expects on the wire.
 * - `adler32`: unsigned decimal string (Feishu `checksum`, spec §1.7: "Wikipedia" → "300286872").
 * - `md5`: base64 of the 16 digest bytes (Content-MD5, spec §4).
 * - `crc32`: base64 of the 4 big-endian bytes (x-amz-checksum-crc32, spec §4).
 * - `sha1`: lowercase hex of the range's own SHA-1 (PDS `pre_hash`, spec §2.9).
 *
 * @example
 * encodeChecksum('adler32', new Uint8Array([0x11, 0xe6, 0x03, 0x98])) // '300286872'
 */
export function encodeChecksum(kind: IndependentChecksumKind, digest: Uint8Array): string {
  switch (kind) {
    case 'adler32': {
      if (digest.length !== 4) throw new RangeError(`Adler-32 digest must be 4 bytes, got ${digest.length}`);
      return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0, false).toString(10);
    }
    case 'md5':
      return bytesToBase64(digest);
    case 'crc32':
      return bytesToBase64(digest);
    case 'sha1':
      return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
  }
}
