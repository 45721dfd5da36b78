import type { FailureKind, UploadErrorCode } from '../core/index.js';

/**
 * How a part PUT answered with a retryable HTTP status (and no known error code) is treated
 * by every storage (S3, OSS): 429 slows down, 408 and 5xx (or no status: the connection
 * ended) send again. Undefined for any other status, which each storage words itself.
 *
 * @example
 * const row = retryableStorageStatus(status) ?? { code: 'bad-request', kind: 'fatal', message };
 */
export function retryableStorageStatus(status: number): { code: UploadErrorCode; kind: FailureKind; message: string } | undefined {
  if (status === 429) return { code: 'rate-limited', kind: 'rate-limited', message: 'Storage asks to slow down' };
  if (status === 408) return { code: 'timeout', kind: 'retry', message: 'Storage timed out reading the part' };
  if (status >= 500 || status === 0) return { code: 'server-error', kind: 'retry', message: `Storage failed to store the part (HTTP ${status})` };
  return undefined;
}
