import type { UploadErrorData } from '../core/index.js';

/**
 * A failure the backend answers with: an HTTP status plus the protocol's error body
 * (`{ error: UploadErrorData }`, docs/protocol.md §Errors). Thrown anywhere in a route and
 * turned into a response by the handler's error hook, like Hono's HTTPException.
 *
 * Messages are shown to users: they never contain tokens, secrets or upstream URLs.
 *
 * @example
 * throw new HttpError(400, { code: 'size-mismatch', kind: 'fatal', message: 'Part 3 must be 4194304 bytes' });
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly data: UploadErrorData;

  constructor(status: number, data: Omit<UploadErrorData, 'status'>, options?: { cause?: unknown }) {
    super(data.message, options);
    this.status = status;
    this.data = { ...data, status };
  }

  /** The JSON body and headers of the response (Retry-After for rate limits, in whole seconds). */
  toResponse(extraHeaders?: Headers): Response {
    const headers = new Headers(extraHeaders);
    headers.set('content-type', 'application/json; charset=utf-8');
    headers.set('cache-control', 'no-store');
    if (this.data.retryAfterMs !== undefined) {
      headers.set('retry-after', String(Math.max(0, Math.ceil(this.data.retryAfterMs / 1000))));
    }
    return new Response(JSON.stringify({ error: this.data }), { status: this.status, headers });
  }
}
