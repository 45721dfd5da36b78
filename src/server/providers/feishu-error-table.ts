import type { FailureKind, UploadErrorCode } from '../../core/index.js';
import { HttpError } from '../http-error.js';

/** How one documented Feishu code reaches the browser. */
export interface FeishuErrorEntry {
  /** HTTP status of our answer: 4xx client fault, 429 rate limit, 410 expired, 502 upstream. */
  status: number;
  code: UploadErrorCode;
  kind: FailureKind;
  message: string;
}

/** Wait this long after `1061045 can retry`, which carries no reset header (ms). [infer] */
export const FEISHU_RETRY_AFTER_MS = 1000;

/** Codes meaning "the tenant token is invalid or expired": refresh the token, retry once (§1.9 RT). */
export const FEISHU_AUTH_CODES: ReadonlySet<number> = new Set([1061005, 99991663, 99991668, 99991677]);

const e = (status: number, code: UploadErrorCode, kind: FailureKind, message: string): FeishuErrorEntry => ({ status, code, kind, message });

/**
 * Feishu/Lark drive and gateway codes an upload can meet, from cloud-apis.md §1.9 (the
 * upload_* and upload_all error tables plus the generic table). Classification comes from
 * this table only, never from the message text.
 */
export const FEISHU_ERROR_TABLE: ReadonlyMap<number, FeishuErrorEntry> = new Map([
  [1061001, e(502, 'server-error', 'retry', 'The provider had an internal error')],
  [1061002, e(400, 'bad-request', 'fatal', 'The provider rejected the request parameters')],
  [1061003, e(404, 'not-found', 'fatal', 'The provider does not know this upload or file')],
  [1061004, e(403, 'forbidden', 'fatal', 'The app has no edit permission on the target folder or document')],
  [1061005, e(502, 'server-error', 'retry', 'The provider rejected the backend access token')],
  [1061006, e(502, 'timeout', 'retry', 'The provider timed out internally')],
  [1061007, e(404, 'not-found', 'fatal', 'The file has been deleted')],
  [1061008, e(400, 'invalid-name', 'fatal', 'The provider rejected the file name (empty or too long)')],
  [1061021, e(410, 'session-expired', 'session-expired', 'The upload id expired (24 h); start a new upload session')],
  [1061022, e(502, 'server-error', 'retry', 'File version conflict at the provider')],
  [1061041, e(404, 'not-found', 'fatal', 'The target folder or document has been deleted')],
  [1061042, e(403, 'quota-exceeded', 'fatal', 'The target folder or document is full')],
  [1061043, e(413, 'file-too-large', 'fatal', 'The file is larger than the provider allows for this tenant')],
  [1061044, e(404, 'not-found', 'fatal', 'The target folder or document does not exist')],
  [1061045, e(429, 'rate-limited', 'rate-limited', 'The provider asked us to slow down')],
  [1061061, e(403, 'quota-exceeded', 'fatal', 'The user storage quota is exhausted')],
  [1061073, e(403, 'forbidden', 'fatal', 'The app lacks the drive scope needed to upload')],
  [1061101, e(403, 'quota-exceeded', 'fatal', 'The tenant storage quota is exhausted')],
  [1061109, e(400, 'invalid-name', 'fatal', 'The provider rejected the file name (compliance check)')],
  [1061113, e(403, 'file-type-rejected', 'fatal', 'The provider rejected the file content (compliance check)')],
  [1061500, e(403, 'forbidden', 'fatal', 'The target mount point is not available')],
  [1061547, e(403, 'quota-exceeded', 'fatal', 'Too many attachments on the target')],
  [1062007, e(403, 'forbidden', 'fatal', 'This upload belongs to another identity')],
  [1062008, e(400, 'checksum-mismatch', 'checksum-mismatch', 'The part checksum does not match its bytes')],
  [1062009, e(400, 'size-mismatch', 'fatal', 'The part size does not match the bytes sent')],
  [1062010, e(409, 'parts-missing', 'fatal', 'Some parts were never stored; upload them before completing')],
  [1062011, e(400, 'bad-request', 'fatal', 'Part number out of range')],
  [1062012, e(502, 'server-error', 'retry', 'The provider is still copying the file')],
  [1062013, e(502, 'server-error', 'fatal', 'The provider failed to copy the file')],
  [1062014, e(403, 'forbidden', 'fatal', 'The provider does not support de-duplication here')],
  [1062051, e(502, 'network', 'retry', 'The provider lost the connection mid-request')],
  [1062505, e(403, 'quota-exceeded', 'fatal', 'The drive holds too many files (400,000)')],
  [1062506, e(403, 'quota-exceeded', 'fatal', 'The folder tree is too deep (15 levels)')],
  [1062507, e(403, 'quota-exceeded', 'fatal', 'The folder holds too many items (1,500)')],
  [1064230, e(503, 'server-error', 'retry', 'The target is locked for data migration; try later')],
  [99991400, e(429, 'rate-limited', 'rate-limited', 'The provider rate limit was hit')],
  [99991401, e(502, 'forbidden', 'fatal', 'The provider denied the backend IP address (app allowlist)')],
  [99991403, e(503, 'quota-exceeded', 'fatal', 'The app monthly API quota is exhausted')],
  [99991661, e(502, 'server-error', 'fatal', 'The backend sent no access token')],
  [99991663, e(502, 'server-error', 'retry', 'The provider rejected the backend access token')],
  [99991668, e(502, 'server-error', 'retry', 'The provider rejected the backend access token')],
  [99991671, e(502, 'server-error', 'fatal', 'The backend sent a malformed access token')],
  [99991672, e(403, 'forbidden', 'fatal', 'The app has not been granted the drive scope')],
  [99991676, e(403, 'forbidden', 'fatal', 'The access token lacks the drive scope')],
  [99991677, e(502, 'server-error', 'retry', 'The provider rejected the backend access token')],
  [99991679, e(403, 'forbidden', 'fatal', 'The user has not authorized the drive scope')],
]);

/**
 * The HttpError for a Feishu failure envelope `{code, msg}` answered with `httpStatus`.
 * Rate limits carry `retryAfterMs` from `x-ogw-ratelimit-reset` (seconds, §1.8) or
 * FEISHU_RETRY_AFTER_MS. Unknown codes: 5xx → retry, anything else → fatal, both 502.
 */
export function feishuError(code: number, httpStatus: number, headers: Headers): HttpError {
  const entry = FEISHU_ERROR_TABLE.get(code) ?? {
    status: 502,
    code: httpStatus >= 500 ? 'server-error' : 'unknown',
    kind: httpStatus >= 500 ? 'retry' : 'fatal',
    message: `The provider failed with an undocumented code (HTTP ${httpStatus})`,
  } satisfies FeishuErrorEntry;
  const reset = Number(headers.get('x-ogw-ratelimit-reset'));
  const retryAfterMs = entry.kind !== 'rate-limited' ? undefined : Number.isFinite(reset) && reset > 0 ? reset * 1000 : FEISHU_RETRY_AFTER_MS;
  return new HttpError(entry.status, {
    code: entry.code,
    kind: entry.kind,
    message: `${entry.message} (Feishu ${code})`,
    providerCode: String(code),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  });
}
