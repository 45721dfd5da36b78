import type { HashHandle, ProviderName } from '../core/index.js';

/**
 * Bytes hashed at each end of a file for its fingerprint: enough to tell two files with the
 * same name, size and date apart, little enough to cost nothing next to the upload.
 */
export const FINGERPRINT_SAMPLE_BYTES = 64 * 1024;

/** What names a file besides its bytes. */
export interface FileIdentity {
  provider: ProviderName;
  target: string;
  name: string;
  size: number;
  lastModified: number;
}

/**
 * Provider, target, name, size and date: cheap to compare, known without reading the file.
 * A re-picked file is matched to a restored upload by this key, then confirmed by the
 * fingerprint before anything is sent.
 */
export function fileKey(file: FileIdentity): string {
  return JSON.stringify(['v1', file.provider, file.target, file.name, file.size, file.lastModified]);
}

/**
 * The file key plus the SHA-1 of the first and last {@link FINGERPRINT_SAMPLE_BYTES} bytes,
 * hashed in the pool (off the main thread), so a different file that happens to share name,
 * size and date is never resumed onto.
 */
export async function fileFingerprint(hash: HashHandle, file: FileIdentity, signal?: AbortSignal): Promise<string> {
  const headEnd = Math.min(FINGERPRINT_SAMPLE_BYTES, file.size);
  const tailStart = Math.max(headEnd, file.size - FINGERPRINT_SAMPLE_BYTES);
  const [head, tail] = await Promise.all([
    hash.partChecksum('sha1', 0, headEnd, signal),
    tailStart < file.size ? hash.partChecksum('sha1', tailStart, file.size, signal) : Promise.resolve(''),
  ]);
  return JSON.stringify(['v1', file.provider, file.target, file.name, file.size, file.lastModified, head, tail]);
}
