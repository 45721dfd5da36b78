import { UploadError } from '../core/index.js';
import type { FailureKind, UploadErrorCode } from '../core/index.js';
import { retryableStorageStatus } from './retryable-storage-status.js';
import { xmlText } from './xml-text.js';

/** What a failed part PUT to PDS storage (OSS) means for the client. */
export interface PdsStorageFailure {
  /** The presigned URL expired: ask the backend for a new one and send again (cloud-apis.md §2.5). */
  urlExpired: boolean;
  /** Serial mode: storage already holds this part; its etag comes from list parts (§2.5, §2.11). */
  partExists: boolean;
  /** What the engine gets when the client cannot fix it by itself. */
  error: UploadError;
}

interface Row {
  code: UploadErrorCode;
  kind: FailureKind;
  message: string;
}

/**
 * OSS error codes a part PUT can answer, from cloud-apis.md §2.5 / §2.11 and docs/protocol.md
 * §PDS "Sending a part". Anything else is classified by its HTTP status below.
 */
const OSS_CODES: Readonly<Record<string, Row>> = {
  // A URL signed for other headers (e.g. a Content-Type was added): sending again cannot help.
  SignatureDoesNotMatch: { code: 'forbidden', kind: 'fatal', message: 'Storage refused the part signature: the part was sent with headers its URL did not sign' },
  // The upload id is gone (finished, expired after 10 days, seed 003): open a new session.
  NoSuchUpload: { code: 'session-expired', kind: 'session-expired', message: 'Storage no longer knows this upload' },
  // Serial mode: an earlier part is not stored yet (e.g. still being written); retry in order (§2.11).
  PartNotSequential: { code: 'parts-missing', kind: 'retry', message: 'Storage wants the parts in order; an earlier part is not stored yet' },
  // OSS: the client kept the connection idle too long.
  RequestTimeout: { code: 'timeout', kind: 'retry', message: 'Storage timed out reading the part' },
  EntityTooLarge: { code: 'size-mismatch', kind: 'fatal', message: 'Storage refused the part size' },
  EntityTooSmall: { code: 'size-mismatch', kind: 'fatal', message: 'Storage refused the part size' },
  // Parallel mode: the part's URL was issued without its SHA-1 context.
  InvalidArgument: { code: 'bad-request', kind: 'fatal', message: 'Storage refused the part request' },
};

function byStatus(status: number): Row {
  const retryable = retryableStorageStatus(status);
  if (retryable !== undefined) return retryable;
  if (status === 403) return { code: 'forbidden', kind: 'fatal', message: 'Storage denied the part upload' };
  if (status === 404) return { code: 'not-found', kind: 'fatal', message: 'Storage does not know the part URL' };
  return { code: 'bad-request', kind: 'fatal', message: `Storage refused the part (HTTP ${status})` };
}

/**
 * Classify an error answer of a part PUT to a presigned PDS storage URL. OSS answers XML
 * (`<Error><Code/><Message/><RequestId/></Error>`, cloud-apis.md §2.3); the code decides, the
 * status is the fallback. Two answers the client fixes itself are flagged, not thrown:
 * - `403 AccessDenied` whose message says the request has expired: the URL's time is over
 *   (PDS URLs live 15 min). This is the one place a message is read, because OSS gives the
 *   expiry no code of its own: the official SDKs test for "AccessDenied" and "expired" in the
 *   body (cloud-apis.md §2.5, `HttpUtil.isOssUrlExpired`).
 * - `409` in serial mode: the part is already stored (a re-send after a lost answer).
 * Messages never contain the URL (it is a credential until it expires).
 *
 * @example
 * const failure = pdsStorageError(403, '<Error><Code>AccessDenied</Code><Message>Request has expired.</Message></Error>');
 * // failure.urlExpired === true
 */
export function pdsStorageError(status: number, text: string): PdsStorageFailure {
  const code = xmlText(text, 'Code');
  const message = xmlText(text, 'Message') ?? '';
  const urlExpired = status === 403 && code === 'AccessDenied' && /expired/i.test(message);
  const partExists = status === 409;
  let row: Row;
  if (urlExpired) row = { code: 'forbidden', kind: 'retry', message: 'The part URL expired' };
  else if (partExists) row = { code: 'parts-missing', kind: 'retry', message: 'Storage already holds this part, but does not list it yet' };
  else row = (code !== undefined && Object.hasOwn(OSS_CODES, code) ? OSS_CODES[code] : undefined) ?? byStatus(status);
  const error = new UploadError({
    code: row.code,
    kind: row.kind,
    message: code !== undefined ? `${row.message} (${code})` : row.message,
    status,
    ...(code !== undefined && { providerCode: code }),
  });
  return { urlExpired, partExists, error };
}
