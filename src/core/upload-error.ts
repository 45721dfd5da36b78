/**
 * How a failure should be handled. Providers classify every failure into exactly one
 * kind from a table of their documented codes (never from message text); the engine
 * owns what happens next.
 */
export type FailureKind = 'retry' | 'rate-limited' | 'session-expired' | 'checksum-mismatch' | 'fatal';

/** Stable, machine-readable error codes. Messages are for humans; code is for code. */
export type UploadErrorCode =
  // refused before any request
  | 'file-too-large'
  | 'file-empty'
  | 'file-type-rejected'
  | 'invalid-name'
  // transport
  | 'network'
  | 'offline'
  | 'timeout'
  | 'stalled'
  // provider / backend
  | 'rate-limited'
  | 'session-expired'
  | 'checksum-mismatch'
  | 'size-mismatch'
  | 'parts-missing'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'quota-exceeded'
  | 'bad-request'
  | 'server-error'
  | 'bad-response'
  | 'etag-hidden'
  | 'unknown-provider'
  | 'ticket-invalid'
  | 'ticket-expired'
  | 'unknown';

/** Plain-data form of an UploadError: survives postMessage, JSON and IndexedDB. */
export interface UploadErrorData {
  readonly code: UploadErrorCode;
  readonly kind: FailureKind;
  readonly message: string;
  /** The provider's own code, e.g. Feishu `1062008`, S3 `NoSuchUpload`. */
  readonly providerCode?: string;
  /** HTTP status of the response that failed, when there was one. */
  readonly status?: number;
  /** Server asked us to wait this long before trying again (ms). */
  readonly retryAfterMs?: number;
}

/**
 * The one error type users see. `retryable` follows from `kind`.
 *
 * @example
 * throw new UploadError({ code: 'checksum-mismatch', kind: 'checksum-mismatch',
 *   message: 'Server rejected the part checksum', providerCode: '1062008', status: 400 });
 */
export class UploadError extends Error implements UploadErrorData {
  override readonly name = 'UploadError';
  readonly code: UploadErrorCode;
  readonly kind: FailureKind;
  readonly providerCode?: string;
  readonly status?: number;
  readonly retryAfterMs?: number;

  constructor(data: UploadErrorData, options?: { cause?: unknown }) {
    super(data.message, options);
    this.code = data.code;
    this.kind = data.kind;
    if (data.providerCode !== undefined) this.providerCode = data.providerCode;
    if (data.status !== undefined) this.status = data.status;
    if (data.retryAfterMs !== undefined) this.retryAfterMs = data.retryAfterMs;
  }

  /** True when trying again (after a wait or a new session) may succeed. */
  get retryable(): boolean {
    return this.kind !== 'fatal';
  }

  /** Plain data, for events, snapshots and persistence. */
  toJSON(): UploadErrorData {
    return {
      code: this.code,
      kind: this.kind,
      message: this.message,
      ...(this.providerCode !== undefined && { providerCode: this.providerCode }),
      ...(this.status !== undefined && { status: this.status }),
      ...(this.retryAfterMs !== undefined && { retryAfterMs: this.retryAfterMs }),
    };
  }

  /** Rebuild from plain data (e.g. after postMessage, where only name and message survive). */
  static from(data: UploadErrorData): UploadError {
    return new UploadError(data);
  }
}

/** True for an abort (pause, cancel, unmount). An abort is never reported as an error. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException ? error.name === 'AbortError' : (error as { name?: unknown } | null)?.name === 'AbortError';
}
