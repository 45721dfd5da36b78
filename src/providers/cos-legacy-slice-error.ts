import { UploadError } from '../core/index.js';
import type { FailureKind, UploadErrorCode } from '../core/index.js';

/** How one documented COS legacy code, answered to a slice the browser posted, is handled. */
interface SliceErrorEntry {
  code: UploadErrorCode;
  kind: FailureKind;
  message: string;
}

/** COS `-59`: the slice signature expired (cloud-apis.md §3.9 "re-sign + R"). */
export const COS_SIGNATURE_EXPIRED = -59;

/** Wait after `-71` "too many requests", which carries no reset time (ms); the backend uses the same. */
export const COS_RATE_LIMIT_WAIT_MS = 1000;

const e = (code: UploadErrorCode, kind: FailureKind, message: string): SliceErrorEntry => ({ code, kind, message });

/**
 * COS legacy codes a slice (`op=upload_slice_data`, posted straight to COS) can meet, from
 * cloud-apis.md §3.9 and docs/protocol.md §COS legacy "Sending a slice". Signature codes other
 * than `-59` mean the backend signs wrongly: fatal, nothing the browser can fix.
 * Classification comes from this table only, never from message text.
 */
export const COS_LEGACY_SLICE_ERRORS: ReadonlyMap<number, SliceErrorEntry> = new Map([
  [-47, e('forbidden', 'fatal', 'The storage does not know the signing key (backend configuration)')],
  [-48, e('forbidden', 'fatal', 'The storage could not read the slice signature (backend configuration)')],
  [COS_SIGNATURE_EXPIRED, e('forbidden', 'retry', 'The slice signature expired')],
  [-61, e('forbidden', 'fatal', 'The slice signature names another bucket (backend configuration)')],
  [-63, e('forbidden', 'fatal', 'The slice signature names another file (backend configuration)')],
  [-70, e('forbidden', 'fatal', 'The slice signature names another AppID (backend configuration)')],
  [-71, e('rate-limited', 'rate-limited', 'The storage asks to slow down')],
  [-97, e('forbidden', 'fatal', 'The storage rejected the slice signature (backend configuration)')],
  [-121, e('forbidden', 'fatal', 'The bucket CORS rules refuse this page\'s origin')],
  [-133, e('not-found', 'fatal', 'The storage bucket does not exist')],
  [-175, e('size-mismatch', 'fatal', 'The storage expected another size')],
  [-195, e('server-error', 'retry', 'The storage had an internal error')],
  [-196, e('server-error', 'retry', 'The storage is temporarily unavailable')],
  // The slice session is unknown or finished: only a new session helps (docs/protocol.md).
  [-197, e('session-expired', 'session-expired', 'The upload session is gone at the storage')],
  [-199, e('bad-request', 'fatal', 'The storage bucket name is invalid')],
  // The slice does not hash to its uploadparts datasha: re-read it once (DESIGN.md).
  [-4016, e('checksum-mismatch', 'checksum-mismatch', 'The storage found that the slice does not match its SHA-1')],
  [-5997, e('network', 'retry', 'The storage lost its internal network connection')],
  [-5999, e('bad-request', 'fatal', 'The storage rejected the slice (offset, length or order)')],
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The COS envelope code of an answer body, or undefined when it is not an envelope. */
export function cosEnvelopeCode(text: string): number | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
  return isRecord(body) && Number.isSafeInteger(body['code']) ? (body['code'] as number) : undefined;
}

/**
 * The UploadError for a slice COS refused: `status` is the HTTP status, `text` the body
 * (a `{code, message}` envelope, cloud-apis.md §3.1). Undocumented codes are retried when
 * COS answered 5xx, fatal otherwise; an answer that is no envelope (a proxy's page) the same.
 * Messages never carry the URL (its query holds the signature).
 *
 * @example
 * throw cosLegacySliceError(answer.status, answer.text);
 */
export function cosLegacySliceError(status: number, text: string): UploadError {
  const transient = status >= 500 || status === 408 || status === 0;
  const code = cosEnvelopeCode(text);
  if (code === undefined) {
    return new UploadError({
      code: 'bad-response',
      kind: transient ? 'retry' : 'fatal',
      status,
      message: `The storage answered a slice with HTTP ${status} and no COS envelope`,
    });
  }
  const entry = COS_LEGACY_SLICE_ERRORS.get(code)
    ?? e(transient ? 'server-error' : 'unknown', transient ? 'retry' : 'fatal', `The storage refused a slice with an undocumented code (HTTP ${status})`);
  return new UploadError({
    code: entry.code,
    kind: entry.kind,
    status,
    providerCode: String(code),
    message: `${entry.message} (COS ${code})`,
    ...(entry.kind === 'rate-limited' && { retryAfterMs: COS_RATE_LIMIT_WAIT_MS }),
  });
}
