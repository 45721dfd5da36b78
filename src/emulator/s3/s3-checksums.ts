import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** Additional checksum algorithms of S3 (`x-amz-checksum-<name>`, `x-amz-sdk-checksum-algorithm`). */
export const S3_CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;

/** One of {@link S3_CHECKSUM_ALGORITHMS}, lower case as in the header names. */
export type S3ChecksumAlgorithm = (typeof S3_CHECKSUM_ALGORITHMS)[number];

/** Digest length in bytes, to reject a malformed header value before any byte is read. */
export const S3_CHECKSUM_BYTES: Readonly<Record<S3ChecksumAlgorithm, number>> = { crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

/** Narrows a header or XML value (any case) to an algorithm name. */
export function toS3ChecksumAlgorithm(value: string | undefined): S3ChecksumAlgorithm | undefined {
  const lower = value?.toLowerCase();
  return (S3_CHECKSUM_ALGORITHMS as readonly string[]).includes(lower ?? '') ? (lower as S3ChecksumAlgorithm) : undefined;
}

/** A streaming checksum: feed chunks, then read the base64 digest once. */
export interface S3ChecksumHasher {
  update(chunk: Uint8Array): void;
  /** Base64 of the big-endian digest bytes, as S3 headers carry it. */
  digestBase64(): string;
  /** The raw digest bytes (for composite multipart checksums). */
  digest(): Buffer;
}

/** Reflected CRC-32C (Castagnoli) table, polynomial 0x82F63B78. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Reflected CRC-64/NVME table, polynomial 0x9A6C9329AC4BC9B5 (S3 `crc64nvme`). */
const CRC64NVME_TABLE = (() => {
  const table: bigint[] = [];
  for (let n = 0n; n < 256n; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1n ? 0x9a6c9329ac4bc9b5n ^ (c >> 1n) : c >> 1n;
    table.push(c);
  }
  return table;
})();

function bigEndian(value: number | bigint, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  if (bytes === 8) out.writeBigUInt64BE(BigInt(value));
  else out.writeUInt32BE(Number(value) >>> 0);
  return out;
}

/**
 * A streaming hasher for `algorithm`. CRC-32 is zlib's; CRC-32C and CRC-64/NVME are small
 * table-driven implementations (check values `"123456789"` → `e3069283` and
 * `ae8b14860a799888`, tested).
 */
export function createS3ChecksumHasher(algorithm: S3ChecksumAlgorithm): S3ChecksumHasher {
  const wrap = (update: (chunk: Uint8Array) => void, digest: () => Buffer): S3ChecksumHasher => {
    let result: Buffer | undefined;
    return {
      update,
      digest: () => (result ??= digest()),
      digestBase64: () => (result ??= digest()).toString('base64'),
    };
  };
  switch (algorithm) {
    case 'crc32': {
      let value = 0;
      return wrap((chunk) => (value = crc32(chunk, value)), () => bigEndian(value, 4));
    }
    case 'crc32c': {
      let c = 0xffffffff;
      return wrap(
        (chunk) => {
          for (const byte of chunk) c = (CRC32C_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
        },
        () => bigEndian((c ^ 0xffffffff) >>> 0, 4),
      );
    }
    case 'crc64nvme': {
      let c = 0xffffffffffffffffn;
      return wrap(
        (chunk) => {
          for (const byte of chunk) c = (CRC64NVME_TABLE[Number((c ^ BigInt(byte)) & 0xffn)] ?? 0n) ^ (c >> 8n);
        },
        () => bigEndian(c ^ 0xffffffffffffffffn, 8),
      );
    }
    case 'sha1':
    case 'sha256': {
      const hash = createHash(algorithm);
      return wrap((chunk) => hash.update(chunk), () => hash.digest());
    }
  }
}

/** True when `value` is base64 of exactly the digest length of `algorithm`. */
export function isS3ChecksumValue(algorithm: S3ChecksumAlgorithm, value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return false;
  return Buffer.from(value, 'base64').length === S3_CHECKSUM_BYTES[algorithm];
}
