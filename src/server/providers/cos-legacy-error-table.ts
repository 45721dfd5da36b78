import type { FailureKind, UploadErrorCode } from '../../core/index.js';
import { HttpError } from '../http-error.js';

/** How one documented COS legacy code reaches the browser. */
export interface CosLegacyErrorEntry {
  /** HTTP status of our answer: 4xx client fault, 429 rate limit, 410 expired, 5xx upstream. */
  status: number;
  code: UploadErrorCode;
  kind: FailureKind;
  message: string;
}

/** Wait this long after `-71` "too many requests", which carries no reset time (ms) [infer]. */
export const COS_LEGACY_RETRY_AFTER_MS = 1000;

/** The op a failure came from; a few codes mean different things per op. */
export type CosLegacyOp = 'upload_slice_init' | 'upload_slice_list' | 'upload_slice_finish' | 'upload';

const e = (status: number, code: UploadErrorCode, kind: FailureKind, message: string): CosLegacyErrorEntry => ({ status, code, kind, message });

/**
 * COS legacy (files/v2) codes an upload can meet, from cloud-apis.md §3.9 (doc 8432 + seed
 * 004). Signature codes are the backend's own configuration errors (it signs every call), so
 * they are 502. Classification comes from this table only, never from message text.
 */
export const COS_LEGACY_ERROR_TABLE: ReadonlyMap<number, CosLegacyErrorEntry> = new Map([
  [-47, e(502, 'server-error', 'fatal', 'The storage does not know the backend SecretId')],
  [-48, e(502, 'server-error', 'fatal', 'The storage could not read the backend signature')],
  [-59, e(502, 'server-error', 'retry', 'The storage signature expired (check the server clock)')],
  [-61, e(502, 'server-error', 'fatal', 'The storage signature names another bucket')],
  [-63, e(502, 'server-error', 'fatal', 'The storage signature names another file')],
  [-70, e(502, 'server-error', 'fatal', 'The storage signature names another AppID')],
  [-71, e(429, 'rate-limited', 'rate-limited', 'The storage asked us to slow down')],
  [-97, e(502, 'server-error', 'fatal', 'The storage rejected the backend signature')],
  [-121, e(403, 'forbidden', 'fatal', 'The bucket CORS rules refused the request')],
  [-133, e(404, 'not-found', 'fatal', 'The storage bucket does not exist')],
  [-175, e(400, 'size-mismatch', 'fatal', 'The file size differs from the size the upload was created with')],
  [-177, e(409, 'bad-request', 'fatal', 'A file with this name already exists in the folder')],
  [-178, e(409, 'bad-request', 'fatal', 'A folder with this name already exists')],
  [-195, e(502, 'server-error', 'retry', 'The storage had an internal error')],
  [-196, e(503, 'server-error', 'retry', 'The storage is temporarily unavailable')],
  [-197, e(404, 'not-found', 'fatal', 'The storage does not know this file')],
  [-199, e(400, 'bad-request', 'fatal', 'The storage bucket name is invalid')],
  [-284, e(400, 'bad-request', 'fatal', 'The storage does not accept this slice size (use 1048576)')],
  [-4016, e(400, 'checksum-mismatch', 'checksum-mismatch', 'The storage found that the data does not match its SHA-1')],
  [-4019, e(409, 'bad-request', 'fatal', 'An unfinished upload of this file already exists')],
  [-4020, e(409, 'bad-request', 'fatal', 'Another file is being uploaded under this name; try later or choose another name')],
  [-5965, e(400, 'bad-request', 'fatal', 'The slice hashes (uploadparts) are not valid JSON')],
  [-5997, e(502, 'network', 'retry', 'The storage lost its internal network connection')],
  [-5999, e(400, 'bad-request', 'fatal', 'The storage rejected a request parameter')],
  [-29094, e(400, 'bad-request', 'fatal', 'The whole-file SHA-1 is required to complete this upload')],
]);

/**
 * `-197` on list or finish means the session is gone (unknown, expired or finished; the
 * emulator's reading, docs/emulator.md [infer]): the engine must start a new session.
 */
const SESSION_GONE = e(410, 'session-expired', 'session-expired', 'The upload session expired at the storage; start a new upload session');

/**
 * The HttpError for a COS failure envelope `{code, message}` answered with `httpStatus` on
 * `op`. Unknown codes: upstream 5xx → retry, anything else → fatal, both 502.
 */
export function cosLegacyError(code: number, httpStatus: number, op: CosLegacyOp): HttpError {
  const entry = code === -197 && (op === 'upload_slice_list' || op === 'upload_slice_finish')
    ? SESSION_GONE
    : (COS_LEGACY_ERROR_TABLE.get(code) ?? {
      status: 502,
      code: httpStatus >= 500 ? 'server-error' : 'unknown',
      kind: httpStatus >= 500 ? 'retry' : 'fatal',
      message: `The storage failed with an undocumented code (HTTP ${httpStatus})`,
    } satisfies CosLegacyErrorEntry);
  return new HttpError(entry.status, {
    code: entry.code,
    kind: entry.kind,
    message: `${entry.message} (COS ${code})`,
    providerCode: String(code),
    ...(entry.kind === 'rate-limited' && { retryAfterMs: COS_LEGACY_RETRY_AFTER_MS }),
  });
}
