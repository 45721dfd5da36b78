import type { FailureKind, UploadErrorCode } from '../../core/index.js';
import { HttpError } from '../http-error.js';

/** How one S3 error code reaches the browser. */
export interface S3ErrorEntry {
  /** HTTP status of our answer: 4xx client fault, 429 slow down, 502/503/504 upstream. */
  status: number;
  code: UploadErrorCode;
  kind: FailureKind;
  message: string;
}

/** Wait this long after `SlowDown`, which carries no Retry-After (ms). [infer] */
export const S3_RETRY_AFTER_MS = 1000;

const e = (status: number, code: UploadErrorCode, kind: FailureKind, message: string): S3ErrorEntry => ({ status, code, kind, message });

/**
 * S3 error codes the backend's own calls (Initiate, ListParts, Complete, Abort) can meet, from
 * cloud-apis.md §4.1 and §4.3 ("Error classes": retry InternalError, SlowDown/ServiceUnavailable,
 * RequestTimeout; fatal NoSuchUpload, InvalidPart, InvalidPartOrder, EntityTooSmall,
 * EntityTooLarge, AccessDenied, InvalidArgument). A credential or signing problem is the
 * backend's configuration, never the user's: 502 fatal. Classification comes from this table
 * only, never from message text.
 */
export const S3_ERROR_TABLE: ReadonlyMap<string, S3ErrorEntry> = new Map([
  ['InternalError', e(502, 'server-error', 'retry', 'The storage had an internal error')],
  ['ServiceUnavailable', e(503, 'server-error', 'retry', 'The storage is unavailable')],
  ['SlowDown', e(429, 'rate-limited', 'rate-limited', 'The storage asked us to slow down')],
  ['RequestTimeout', e(504, 'timeout', 'retry', 'The storage timed out reading the request')],
  ['RequestTimeTooSkewed', e(502, 'server-error', 'retry', 'The backend clock differs too much from the storage clock')],
  ['NoSuchUpload', e(404, 'not-found', 'fatal', 'The upload no longer exists at the storage (aborted, completed or expired)')],
  ['InvalidPart', e(409, 'parts-missing', 'fatal', 'A listed part is missing at the storage or its ETag does not match')],
  ['InvalidPartOrder', e(400, 'bad-request', 'fatal', 'The parts were not listed in ascending order')],
  ['EntityTooSmall', e(400, 'size-mismatch', 'fatal', 'A part other than the last is smaller than the storage allows')],
  ['EntityTooLarge', e(413, 'file-too-large', 'fatal', 'A part is larger than the storage allows')],
  ['InvalidArgument', e(400, 'bad-request', 'fatal', 'The storage rejected a request argument')],
  ['InvalidRequest', e(400, 'bad-request', 'fatal', 'The storage rejected the request')],
  ['MalformedXML', e(502, 'server-error', 'fatal', 'The storage could not read the backend\'s request')],
  ['BadDigest', e(400, 'checksum-mismatch', 'checksum-mismatch', 'The storage received bytes that do not match their checksum')],
  ['InvalidDigest', e(400, 'bad-request', 'fatal', 'The part checksum is malformed')],
  ['XAmzContentSHA256Mismatch', e(400, 'checksum-mismatch', 'checksum-mismatch', 'The storage received bytes that do not match their SHA-256')],
  ['NoSuchBucket', e(502, 'server-error', 'fatal', 'The configured bucket does not exist')],
  ['NoSuchKey', e(404, 'not-found', 'fatal', 'The object does not exist')],
  ['AccessDenied', e(502, 'forbidden', 'fatal', 'The storage denied the backend\'s credentials this operation')],
  ['InvalidAccessKeyId', e(502, 'server-error', 'fatal', 'The storage does not know the backend\'s access key')],
  ['SignatureDoesNotMatch', e(502, 'server-error', 'fatal', 'The storage rejected the backend\'s signature (check the secret key and region)')],
  ['AuthorizationHeaderMalformed', e(502, 'server-error', 'fatal', 'The storage rejected the backend\'s signature scope (check the region)')],
  ['InvalidToken', e(502, 'server-error', 'fatal', 'The storage rejected the backend\'s session token')],
  ['ExpiredToken', e(502, 'server-error', 'fatal', 'The backend\'s temporary credentials have expired')],
  ['QuotaExceeded', e(403, 'quota-exceeded', 'fatal', 'The storage quota is exhausted')],
]);

/**
 * The HttpError for an S3 error `code` answered with `httpStatus`. Unknown codes: 5xx → retry,
 * anything else → fatal, both 502.
 */
export function s3Error(code: string, httpStatus: number): HttpError {
  const entry = S3_ERROR_TABLE.get(code) ?? {
    status: 502,
    code: httpStatus >= 500 ? 'server-error' : 'unknown',
    kind: httpStatus >= 500 ? 'retry' : 'fatal',
    message: `The storage failed with an unlisted error (HTTP ${httpStatus})`,
  } satisfies S3ErrorEntry;
  return new HttpError(entry.status, {
    code: entry.code,
    kind: entry.kind,
    message: `${entry.message} (S3 ${code})`,
    providerCode: code,
    ...(entry.kind === 'rate-limited' && { retryAfterMs: S3_RETRY_AFTER_MS }),
  });
}
