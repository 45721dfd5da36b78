import { PROTOCOL_VERSION, UploadError } from '../core/index.js';
import type {
  CompleteRequest,
  CompleteResponse,
  CreateSessionRequest,
  CreateSessionResponse,
  FailureKind,
  PartReceipt,
  PartUrlsRequest,
  PartUrlsResponse,
  RenewResponse,
  UploadErrorCode,
  UploadErrorData,
  UploadResult,
} from '../core/index.js';
import { sendBody } from './send-body.js';
import type { BodySender } from './send-body.js';

/** Options of SessionApi. */
export interface SessionApiOptions {
  /** The backend's base URL (the element's `endpoint`), absolute or relative to the page. */
  endpoint: string;
  /** fetch for the JSON calls; injectable for tests. */
  fetch?: typeof fetch;
  /** Sender of part bodies (XHR in browsers); injectable for tests. */
  sendBody?: BodySender;
}

const FAILURE_KINDS: readonly FailureKind[] = ['retry', 'rate-limited', 'session-expired', 'checksum-mismatch', 'fatal'];

/** What the backend answered, before it is judged. */
interface RawAnswer {
  status: number;
  header(name: string): string | null;
  text: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * `Retry-After` in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The UploadError an error answer stands for. A protocol `ErrorResponse` is taken as the
 * backend classified it (adding the status and any `Retry-After`); anything else (an HTML
 * error page from a proxy, a wrong endpoint) becomes `bad-response`, or `rate-limited`
 * for a bare 429. Retrying helps with 5xx/408 pages, not with a 404 from a wrong URL.
 */
export function errorFromAnswer(answer: RawAnswer): UploadError {
  const body = parseJson(answer.text);
  const retryAfterMs = parseRetryAfter(answer.header('retry-after'));
  const error = isRecord(body) ? body['error'] : undefined;
  if (isRecord(error) && typeof error['code'] === 'string' && typeof error['message'] === 'string'
    && FAILURE_KINDS.includes(error['kind'] as FailureKind)) {
    const fromBody = typeof error['retryAfterMs'] === 'number' && error['retryAfterMs'] >= 0 ? error['retryAfterMs'] : undefined;
    const data: UploadErrorData = {
      code: error['code'] as UploadErrorCode,
      kind: error['kind'] as FailureKind,
      message: error['message'],
      status: answer.status,
      ...(typeof error['providerCode'] === 'string' && { providerCode: error['providerCode'] }),
      ...((fromBody ?? retryAfterMs) !== undefined && { retryAfterMs: fromBody ?? retryAfterMs }),
    };
    return new UploadError(data);
  }
  if (answer.status === 429) {
    return new UploadError({
      code: 'rate-limited', kind: 'rate-limited', status: 429, message: 'The upload backend asks to slow down',
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }
  const transient = answer.status >= 500 || answer.status === 408 || answer.status === 0;
  return new UploadError({
    code: 'bad-response',
    kind: transient ? 'retry' : 'fatal',
    status: answer.status,
    message: transient
      ? `The upload backend answered ${answer.status} without a protocol error body`
      : `The upload endpoint answered ${answer.status} without a protocol error body; check the endpoint URL`,
  });
}

function badResponse(what: string, kind: FailureKind = 'retry'): UploadError {
  return new UploadError({ code: 'bad-response', kind, message: `The upload backend sent an unusable ${what}` });
}

function asCreateResponse(body: unknown): CreateSessionResponse {
  if (!isRecord(body)) throw badResponse('session');
  if (body['protocol'] !== PROTOCOL_VERSION) {
    throw new UploadError({ code: 'bad-response', kind: 'fatal', message: `The upload backend speaks protocol ${String(body['protocol'])}, not ${PROTOCOL_VERSION}` });
  }
  const plan = body['plan'];
  const traffic = body['traffic'];
  const ok = typeof body['ticket'] === 'string' && typeof body['expiresAt'] === 'number' && typeof body['uploadId'] === 'string'
    && isRecord(plan) && typeof plan['partSize'] === 'number' && typeof plan['partCount'] === 'number'
    && isRecord(traffic) && typeof traffic['maxConcurrency'] === 'number' && typeof traffic['minIntervalMs'] === 'number'
    && (body['transport'] === 'relay' || body['transport'] === 'direct')
    && (body['partChecksum'] === null || typeof body['partChecksum'] === 'string')
    && (body['result'] === undefined || isResult(body['result']))
    && (body['uploadedParts'] === undefined || (Array.isArray(body['uploadedParts']) && body['uploadedParts'].every(isReceipt)));
  if (!ok) throw badResponse('session');
  return body as unknown as CreateSessionResponse;
}

function isReceipt(value: unknown): value is PartReceipt {
  return isRecord(value) && Number.isSafeInteger(value['index']);
}

function isResult(value: unknown): value is UploadResult {
  return isRecord(value) && typeof value['provider'] === 'string' && typeof value['name'] === 'string' && typeof value['size'] === 'number';
}

/**
 * HTTP client of session protocol v1 (src/core/protocol.ts) as the browser speaks it:
 * fetch for the JSON calls, XHR for part bodies (byte-accurate progress). Every failure
 * is an UploadError: protocol error bodies keep the backend's classification; broken
 * answers are `bad-response`, dropped connections `network` (both retryable).
 *
 * @example
 * const api = new SessionApi({ endpoint: '/upload' });
 * const session = await api.createSession({ provider: 'feishu', target, fileName, size }, signal);
 */
export class SessionApi {
  #base: string;
  #fetch: typeof fetch;
  #sendBody: BodySender;

  constructor(options: SessionApiOptions) {
    this.#base = options.endpoint.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#sendBody = options.sendBody ?? sendBody;
  }

  /** Absolute or page-relative URL of a protocol route. */
  url(route: string): string {
    return `${this.#base}/${route}`;
  }

  /** `POST v1/sessions`. */
  async createSession(request: CreateSessionRequest, signal: AbortSignal): Promise<CreateSessionResponse> {
    return asCreateResponse(await this.#json('POST', 'v1/sessions', undefined, request, signal));
  }

  /** `PUT v1/sessions/parts/:index`: the part's bytes, relayed by the backend. */
  async relayPart(ticket: string, index: number, body: Blob, checksum: string | undefined, onProgress: (loadedBytes: number) => void, signal: AbortSignal): Promise<PartReceipt> {
    const headers: Record<string, string> = { authorization: `Bearer ${ticket}`, 'content-type': 'application/octet-stream' };
    if (checksum !== undefined) headers['x-part-checksum'] = checksum;
    const answer = await this.#sendBody({ url: this.url(`v1/sessions/parts/${index}`), method: 'PUT', headers, body }, onProgress, signal);
    if (answer.status < 200 || answer.status >= 300) throw errorFromAnswer(answer);
    const parsed = answer.text.trim() === '' ? {} : parseJson(answer.text);
    if (!isRecord(parsed)) throw badResponse('part receipt');
    if (parsed['index'] !== undefined && parsed['index'] !== index) throw badResponse('part receipt (for another part)');
    return {
      index,
      ...(typeof parsed['etag'] === 'string' && { etag: parsed['etag'] }),
      ...(typeof parsed['checksum'] === 'string' ? { checksum: parsed['checksum'] } : checksum !== undefined && { checksum }),
    };
  }

  /** `POST v1/sessions/part-urls` (direct transport). */
  async partUrls(ticket: string, request: PartUrlsRequest, signal: AbortSignal): Promise<PartUrlsResponse> {
    const body = await this.#json('POST', 'v1/sessions/part-urls', ticket, request, signal);
    if (!isRecord(body) || !Array.isArray(body['urls'])) throw badResponse('list of part URLs');
    return body as unknown as PartUrlsResponse;
  }

  /** `GET v1/sessions/parts`. */
  async listParts(ticket: string, signal: AbortSignal): Promise<PartReceipt[]> {
    const body = await this.#json('GET', 'v1/sessions/parts', ticket, undefined, signal);
    if (!isRecord(body) || !Array.isArray(body['parts']) || !body['parts'].every(isReceipt)) throw badResponse('list of parts');
    return body['parts'];
  }

  /** `POST v1/sessions/complete`. */
  async complete(ticket: string, request: CompleteRequest, signal: AbortSignal): Promise<UploadResult> {
    const body = await this.#json('POST', 'v1/sessions/complete', ticket, request, signal);
    if (!isRecord(body) || !isResult(body['result'])) throw badResponse('result');
    return (body as unknown as CompleteResponse).result;
  }

  /** `POST v1/sessions/renew`: a fresh ticket for the same upload. */
  async renew(ticket: string, signal: AbortSignal): Promise<RenewResponse> {
    const body = await this.#json('POST', 'v1/sessions/renew', ticket, undefined, signal);
    if (!isRecord(body) || typeof body['ticket'] !== 'string' || typeof body['expiresAt'] !== 'number') throw badResponse('renewed ticket');
    return { ticket: body['ticket'], expiresAt: body['expiresAt'] };
  }

  /** `DELETE v1/sessions`, best effort: never throws. */
  async abort(ticket: string): Promise<void> {
    try {
      await this.#fetch(this.url('v1/sessions'), { method: 'DELETE', headers: { authorization: `Bearer ${ticket}` } });
    } catch {
      // Best effort by contract: the provider drops unfinished uploads on its own (Feishu: 24 h).
    }
  }

  async #json(method: 'GET' | 'POST', route: string, ticket: string | undefined, payload: unknown, signal: AbortSignal): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (ticket !== undefined) headers['authorization'] = `Bearer ${ticket}`;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(this.url(route), {
        method,
        headers,
        ...(payload !== undefined && { body: JSON.stringify(payload) }),
        signal,
      });
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw error;
      throw new UploadError({ code: 'network', kind: 'retry', message: 'Could not reach the upload backend' }, { cause: error });
    }
    const answer: RawAnswer = { status: response.status, header: (name) => response.headers.get(name), text };
    if (!response.ok) throw errorFromAnswer(answer);
    const body = parseJson(text);
    if (body === undefined) throw badResponse('answer (not JSON)');
    return body;
  }
}
