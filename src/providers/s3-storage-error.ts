import { UploadError } from '../core/index.js';
import type { FailureKind, UploadErrorCode } from '../core/index.js';
import type { BodyResponse } from './send-body.js';
import { retryableStorageStatus } from './retryable-storage-status.js';
import { xmlText } from './xml-text.js';

/** What a failed part PUT to S3 storage means for the S3 client. */
export interface S3StorageFailure {
  /**
   * The presigned URL was refused as expired or not valid (403 `AccessDenied`,
   * `RequestTimeTooSkewed`): ask the backend for a fresh URL and send once more
   * (cloud-apis.md §4.3 step 5). Decided by code, not by message text: a fresh URL that is
   * refused again is reported as `error`.
   */
  resign: boolean;
  /** What the engine gets when the client cannot fix it by itself. */
  error: UploadError;
}

/** How the client treats one storage error code. */
export interface S3PartErrorRow {
  code: UploadErrorCode;
  kind: FailureKind;
  message: string;
  /** Worth one re-signed attempt before `kind` applies. */
  resign?: true;
}

/**
 * S3 error codes an UploadPart PUT can answer (cloud-apis.md §4.1, §4.3 "Error classes";
 * docs/protocol.md §S3 "Sending a part"); anything else is classified by its HTTP status.
 */
export const S3_PART_ERRORS: Readonly<Record<string, S3PartErrorRow>> = Object.freeze({
  // An expired (or revoked) presigned URL; S3 says "Request has expired". Also a real denial
  // (the backend's key lacks s3:PutObject). Refused again after a re-sign, it is still worth
  // the engine's bounded retries: X-Amz-Date has whole seconds, so a URL re-signed within the
  // second of a revocation is refused too; a real denial fails once the attempts run out.
  AccessDenied: { code: 'forbidden', kind: 'retry', resign: true, message: 'Storage refused the part URL even after it was signed again (403 AccessDenied): check the backend key\'s permissions and the clocks of backend and storage' },
  // The signing second is too far from the storage clock: a fresh signature may land inside.
  RequestTimeTooSkewed: { code: 'forbidden', kind: 'fatal', resign: true, message: 'Storage refused the part URL: the backend\'s clock differs from the storage\'s by more than 15 minutes' },
  // The bytes did not match the signed Content-MD5 / x-amz-checksum-crc32: re-read and re-hash once.
  BadDigest: { code: 'checksum-mismatch', kind: 'checksum-mismatch', message: 'Storage computed another checksum for the part than the one sent with it' },
  // A checksum header that is not a checksum at all: our bug, sending again cannot help.
  InvalidDigest: { code: 'bad-request', kind: 'fatal', message: 'Storage refused the part checksum as malformed' },
  SignatureDoesNotMatch: { code: 'forbidden', kind: 'fatal', message: 'Storage refused the part signature: the part was sent with other headers than its URL signed' },
  InvalidAccessKeyId: { code: 'forbidden', kind: 'fatal', message: 'Storage does not know the backend\'s access key' },
  InvalidToken: { code: 'forbidden', kind: 'fatal', message: 'Storage refused the backend\'s session token' },
  ExpiredToken: { code: 'forbidden', kind: 'fatal', message: 'The backend\'s temporary credentials have expired; restart it with fresh ones' },
  AuthorizationHeaderMalformed: { code: 'forbidden', kind: 'fatal', message: 'Storage refused the part URL\'s credential scope (region or service)' },
  NoSuchBucket: { code: 'not-found', kind: 'fatal', message: 'Storage has no such bucket' },
  // The upload was aborted (a lifecycle rule, an abort, an expiry fault): open a new session
  // and send the parts again (DESIGN.md "Expired upload id → a new session").
  NoSuchUpload: { code: 'session-expired', kind: 'session-expired', message: 'Storage no longer knows this multipart upload (aborted or expired)' },
  SlowDown: { code: 'rate-limited', kind: 'rate-limited', message: 'Storage asks to slow down' },
  InternalError: { code: 'server-error', kind: 'retry', message: 'Storage failed to store the part' },
  ServiceUnavailable: { code: 'server-error', kind: 'retry', message: 'Storage is unavailable' },
  RequestTimeout: { code: 'timeout', kind: 'retry', message: 'Storage timed out reading the part' },
  // The body ended early (a dropped connection mid-part): send it again.
  IncompleteBody: { code: 'network', kind: 'retry', message: 'Storage received fewer bytes than the part has' },
  EntityTooLarge: { code: 'size-mismatch', kind: 'fatal', message: 'Storage refused the part size' },
  InvalidArgument: { code: 'bad-request', kind: 'fatal', message: 'Storage refused the part request (part number out of range?)' },
  InvalidRequest: { code: 'bad-request', kind: 'fatal', message: 'Storage refused the part request' },
  MissingContentLength: { code: 'bad-request', kind: 'fatal', message: 'Storage wants a Content-Length with the part' },
});

function byStatus(status: number): S3PartErrorRow {
  const retryable = retryableStorageStatus(status);
  if (retryable !== undefined) return retryable;
  if (status === 403) return { code: 'forbidden', kind: 'fatal', message: 'Storage denied the part upload (HTTP 403)' };
  if (status === 404) return { code: 'not-found', kind: 'fatal', message: 'Storage does not know the part URL (HTTP 404)' };
  return { code: 'bad-response', kind: 'fatal', message: `Storage answered the part with HTTP ${status}` };
}

/**
 * Classify a failed UploadPart answer by its XML `<Code>` (S3_PART_ERRORS), else by status
 * (unlisted 5xx → retry, else fatal). Messages carry the S3 code, never the URL (its query
 * is a credential).
 *
 * @example
 * const { resign, error } = s3StorageFailure(answer);
 * if (resign) { ...ask for a new URL and send again once... } else throw error;
 */
export function s3StorageFailure(answer: Pick<BodyResponse, 'status' | 'text'>): S3StorageFailure {
  const code = xmlText(answer.text, 'Code');
  const row = (code !== undefined ? S3_PART_ERRORS[code] : undefined) ?? byStatus(answer.status);
  const error = new UploadError({
    code: row.code,
    kind: row.kind,
    message: code !== undefined && S3_PART_ERRORS[code] === undefined ? `${row.message} (${code})` : row.message,
    status: answer.status,
    ...(code !== undefined && { providerCode: code }),
  });
  return { resign: row.resign === true, error };
}
