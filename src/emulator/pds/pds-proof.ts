import { createHash } from 'node:crypto';

/** Bytes of the file a v1 proof quotes (cloud-apis.md §2.9 item 3). */
export const PDS_PROOF_LENGTH = 8;

/**
 * Where the v1 rapid-upload proof reads the file (cloud-apis.md §2.9 item 3):
 * `start = uint64(first 16 hex chars of MD5(access_token)) mod size`, `end = min(start + 8, size)`.
 * The proof itself is standard base64 of `file[start:end]`. Undefined for an empty file.
 *
 * @example
 * pdsProofRange('eyJ-test-access-token', 2098152); // { start: 1211963, end: 1211971 }
 */
export function pdsProofRange(accessToken: string, size: number): { start: number; end: number } | undefined {
  if (!Number.isSafeInteger(size) || size <= 0) return undefined;
  const m = createHash('md5').update(accessToken, 'utf8').digest('hex');
  const start = Number(BigInt(`0x${m.slice(0, 16)}`) % BigInt(size));
  return { start, end: Math.min(start + PDS_PROOF_LENGTH, size) };
}
