import type { FailureKind, UploadErrorCode } from '../../core/index.js';
import { HttpError } from '../http-error.js';

/** How one documented PDS code reaches the browser. */
export interface PdsErrorEntry {
  /** HTTP status of our answer: 4xx client fault, 429 rate limit, 410 expired, 502/504 upstream. */
  status: number;
  code: UploadErrorCode;
  kind: FailureKind;
  message: string;
}

/** Wait this long after `TooManyRequests` when no Retry-After came with it (ms). [infer] */
export const PDS_RETRY_AFTER_MS = 1000;

/** "The access token is invalid or expired": refresh it and retry once (cloud-apis.md §2.11). */
export const PDS_AUTH_CODES: ReadonlySet<string> = new Set(['AccessTokenInvalid', 'AccessTokenExpired']);

const e = (status: number, code: UploadErrorCode, kind: FailureKind, message: string): PdsErrorEntry => ({ status, code, kind, message });

/**
 * PDS codes an upload can meet (cloud-apis.md §2.11, plus the emulator's [infer] names for
 * checks the spec leaves unnamed, §8 q3). Exact codes first; a dotted code not listed falls back
 * to its prefix (`InvalidParameter.Name` → `InvalidParameter`). Classification comes from this
 * table only, never from message text.
 */
export const PDS_ERROR_TABLE: ReadonlyMap<string, PdsErrorEntry> = new Map([
  ['InvalidParameter', e(400, 'bad-request', 'fatal', 'The provider rejected the request parameters')],
  ['InvalidParameterMissing', e(400, 'bad-request', 'fatal', 'The provider says a parameter is missing')],
  ['InvalidParameterEmpty', e(400, 'bad-request', 'fatal', 'The provider says a parameter is empty')],
  ['InvalidParameterWrongFormat', e(400, 'bad-request', 'fatal', 'The provider says a parameter is malformed')],
  ['InvalidParameterOutOfRange', e(400, 'bad-request', 'fatal', 'The provider says a parameter is out of range')],
  ['InvalidParameterNotSupported', e(400, 'bad-request', 'fatal', 'The provider does not support this request')],
  ['InvalidRequestJSONFormat', e(400, 'bad-request', 'fatal', 'The provider could not read the request')],
  ['InvalidParameter.Name', e(400, 'invalid-name', 'fatal', 'The provider rejected the file name')],
  ['InvalidParameter.PartMissing', e(409, 'parts-missing', 'fatal', 'Some parts were never stored; upload them before completing')],
  ['InvalidParameter.Size', e(400, 'size-mismatch', 'fatal', 'The stored parts do not add up to the file size')],
  ['InvalidParameter.ContentHash', e(400, 'checksum-mismatch', 'fatal', 'The stored bytes do not match the SHA-1 of the file')],
  ['InvalidParameter.Crc64Hash', e(400, 'checksum-mismatch', 'fatal', 'The stored bytes do not match the CRC-64 of the file')],
  ['InvalidParameter.ParallelSha1Ctx', e(400, 'checksum-mismatch', 'checksum-mismatch', 'A part does not continue the SHA-1 of the parts before it')],
  ['InvalidParameter.PartSize', e(400, 'bad-request', 'fatal', 'A part has a size the provider does not accept')],
  ['EntityTooSmall', e(400, 'bad-request', 'fatal', 'A part is smaller than the provider allows')],
  ['InvalidRapidProof', e(400, 'bad-request', 'fatal', 'The provider rejected the rapid-upload proof')],
  ['NotFound.UploadId', e(410, 'session-expired', 'session-expired', 'The upload expired at the provider (parts are kept 10 days); start a new upload session')],
  ['NotFound', e(404, 'not-found', 'fatal', 'The target folder or file does not exist')],
  ['AccessTokenInvalid', e(502, 'server-error', 'retry', 'The provider rejected the backend access token')],
  ['AccessTokenExpired', e(502, 'server-error', 'retry', 'The provider rejected the backend access token')],
  ['ShareLinkTokenInvalid', e(403, 'forbidden', 'fatal', 'The share link token is not valid')],
  ['ForbiddenNoPermission', e(403, 'forbidden', 'fatal', 'The backend may not write to the target folder')],
  ['Forbidden', e(403, 'forbidden', 'fatal', 'The provider refused the request')],
  ['PermissionDenied', e(403, 'forbidden', 'fatal', 'The provider refused the request')],
  ['UserNotAllowedAccessDrive', e(403, 'forbidden', 'fatal', 'The backend user may not access this drive')],
  ['QuotaExhausted', e(403, 'quota-exceeded', 'fatal', 'The drive storage quota is exhausted')],
  ['PreHashMatched', e(409, 'bad-request', 'fatal', 'The provider wants the full SHA-1 of the file')],
  ['AlreadyExist', e(409, 'bad-request', 'fatal', 'The upload has already finished at the provider')],
  ['OperationConflict', e(409, 'server-error', 'retry', 'The provider is still completing this upload')],
  ['TooManyRequests', e(429, 'rate-limited', 'rate-limited', 'The provider asked us to slow down')],
  ['InternalError', e(502, 'server-error', 'retry', 'The provider had an internal error')],
  ['ServiceUnavailable', e(503, 'server-error', 'retry', 'The provider is unavailable')],
  ['D504TO', e(504, 'timeout', 'retry', 'The provider gateway timed out')],
]);

/** The table entry for a code: exact, else its prefix before the first dot. */
export function pdsErrorEntry(code: string): PdsErrorEntry | undefined {
  return PDS_ERROR_TABLE.get(code) ?? PDS_ERROR_TABLE.get(code.split('.')[0] ?? '');
}

/**
 * The HttpError for a PDS failure: `{code, message}` (or the gateway's `x-ca-error-code`)
 * answered with `httpStatus` (cloud-apis.md §2.3). 413 means the account's size limit. Unknown
 * codes: 5xx → retry, anything else → fatal, both 502. The provider's message is never
 * echoed (it may quote what we sent).
 */
export function pdsError(code: string, httpStatus: number, headers: Headers): HttpError {
  const entry = pdsErrorEntry(code) ?? (httpStatus === 413
    ? e(413, 'file-too-large', 'fatal', 'The file is larger than the provider allows for this account')
    : e(502, httpStatus >= 500 ? 'server-error' : 'unknown', httpStatus >= 500 ? 'retry' : 'fatal', `The provider failed with an undocumented code (HTTP ${httpStatus})`));
  const retryAfter = Number(headers.get('retry-after'));
  const retryAfterMs = entry.kind !== 'rate-limited' ? undefined : Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : PDS_RETRY_AFTER_MS;
  return new HttpError(entry.status, {
    code: entry.code,
    kind: entry.kind,
    message: `${entry.message} (PDS ${code})`,
    providerCode: code,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  });
}
