import { abortError } from '../core/abort-error.js';
import { UploadError } from '../core/upload-error.js';

/** One request that carries part bytes. */
export interface BodyRequest {
  url: string;
  method: 'PUT' | 'POST';
  /** Sent exactly as given (presigned URLs sign some of them). */
  headers: Record<string, string>;
  body: Blob;
}

/** What came back: status, headers and the body as text. */
export interface BodyResponse {
  status: number;
  header(name: string): string | null;
  text: string;
}

/** Sends part bytes with upload progress; injectable for tests. */
export type BodySender = (request: BodyRequest, onProgress: (loadedBytes: number) => void, signal: AbortSignal) => Promise<BodyResponse>;

/** What a sender rejects with when the connection fails: retryable. */
export function bodyNetworkError(cause?: unknown): UploadError {
  return new UploadError({ code: 'network', kind: 'retry', message: 'The connection failed while sending a part' }, { cause });
}

/**
 * Send a part body. In a browser it uses XMLHttpRequest because fetch has no upload
 * progress (DESIGN.md "Data flow" step 4); elsewhere it falls back to fetch and reports
 * progress once, at the end. Rejects with an AbortError when `signal` aborts and with a
 * retryable `network` UploadError when the connection fails; any HTTP status resolves.
 *
 * @example
 * const res = await sendBody({ url, method: 'PUT', headers: {}, body: file.slice(0, 4194304) }, onProgress, signal);
 */
export function sendBody(request: BodyRequest, onProgress: (loadedBytes: number) => void, signal: AbortSignal): Promise<BodyResponse> {
  return typeof XMLHttpRequest === 'function' ? sendWithXhr(request, onProgress, signal) : sendWithFetch(request, onProgress, signal);
}

/** A {@link BodyResponse} from XMLHttpRequest, with its headers as `getAllResponseHeaders()` gives them. */
export interface XhrBodyResponse extends BodyResponse {
  /** `name: value` lines of the headers the page may read (CORS-exposed). */
  headersText: string;
}

/**
 * {@link sendBody} over XMLHttpRequest, in a page or a worker (dedicated workers have XHR
 * with upload progress; worker-body.worker.ts sends with it). Throws what `open()` or
 * `setRequestHeader()` throw for a URL or header they refuse.
 *
 * @example
 * const res = await sendWithXhr({ url, method: 'PUT', headers: {}, body }, onProgress, controller.signal);
 */
export function sendWithXhr(request: BodyRequest, onProgress: (loadedBytes: number) => void, signal: AbortSignal): Promise<XhrBodyResponse> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const xhr = new XMLHttpRequest();
    const onAbort = (): void => xhr.abort();
    const done = (): void => signal.removeEventListener('abort', onAbort);
    xhr.open(request.method, request.url, true);
    for (const [name, value] of Object.entries(request.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event): void => onProgress(event.loaded);
    xhr.onload = (): void => {
      done();
      resolve({ status: xhr.status, header: (name) => xhr.getResponseHeader(name), text: xhr.responseText, headersText: xhr.getAllResponseHeaders() });
    };
    xhr.onerror = (): void => {
      done();
      reject(bodyNetworkError());
    };
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = (): void => {
      done();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    xhr.send(request.body);
  });
}

async function sendWithFetch(request: BodyRequest, onProgress: (loadedBytes: number) => void, signal: AbortSignal): Promise<BodyResponse> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal });
    text = await response.text();
  } catch (error) {
    if (signal.aborted) throw abortError(signal);
    throw bodyNetworkError(error);
  }
  onProgress(request.body.size);
  return { status: response.status, header: (name) => response.headers.get(name), text };
}
