import { HttpError } from '../http-error.js';

/** A provider's JSON envelope `{code, data}` (Feishu §1.8, COS legacy §3.1) and the HTTP status it came with. */
export interface JsonEnvelope {
  code: number;
  status: number;
  /** `data` when it is an object, else `{}`. */
  data: Record<string, unknown>;
}

/**
 * One call to a provider: a network failure becomes 502 `network` (retry) carrying `message`
 * (shown to users: name the provider, never its URL); when `init.signal` aborted the call, the
 * abort passes through unchanged, so a caller who went away is not reported as a provider fault.
 *
 * @example
 * const response = await fetchUpstream(fetch, new URL('/v2/file/create', baseUrl), { method: 'POST', body, signal }, 'The backend could not reach PDS');
 */
export async function fetchUpstream(fetchFn: typeof fetch, url: string | URL, init: RequestInit, message: string): Promise<Response> {
  try {
    return await fetchFn(url, init);
  } catch (cause) {
    if (init.signal?.aborted === true) throw cause;
    throw new HttpError(502, { code: 'network', kind: 'retry', message }, { cause });
  }
}

/**
 * Reads a `{code, data}` JSON envelope whatever the HTTP status, or throws 502 `bad-response`
 * (retry) when the body is not one: `source` names the sender in that message.
 */
export async function readJsonEnvelope(response: Response, source: string): Promise<JsonEnvelope> {
  const text = await response.text().catch(() => null);
  let body: unknown;
  try {
    body = text === null ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (typeof body !== 'object' || body === null || !Number.isSafeInteger((body as { code?: unknown }).code)) {
    throw new HttpError(502, { code: 'bad-response', kind: 'retry', message: `${source} sent an unreadable response (HTTP ${response.status})` });
  }
  const { code, data } = body as { code: number; data?: unknown };
  return { code, status: response.status, data: typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {} };
}
