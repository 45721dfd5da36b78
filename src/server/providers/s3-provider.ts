import { createHash } from 'node:crypto';
import type {
  CompleteRequest,
  PartChecksumKind,
  PartPlan,
  PartReceipt,
  PartUrl,
  PartUrlsRequest,
  PartUrlsResponse,
  UploadResult,
} from '../../core/index.js';
import { HttpError } from '../http-error.js';
import { partLength, type UploadTicket } from '../ticket-signer.js';
import { escapeS3Xml, parseS3Xml, s3XmlChildren, s3XmlText, type S3XmlElement } from './parse-s3-xml.js';
import { s3Error } from './s3-error-table.js';
import { encodeS3Key, S3RequestSigner } from './s3-request-signer.js';
import type { ProviderCreateInput, ProviderSession, ServerProvider } from './server-provider.js';
import { fetchUpstream } from './upstream.js';

/** S3 minimum part size, every part but the last: 5 MiB (cloud-apis.md §4.2). */
export const S3_MIN_PART_SIZE = 5 * 1024 * 1024;
/** S3 maximum part size: 5 GiB (§4.2). */
export const S3_MAX_PART_SIZE = 5 * 1024 ** 3;
/** At most 10 000 parts per upload (§4.2). */
export const S3_MAX_PARTS = 10_000;
/** Largest file a multipart upload can hold: 10 000 parts of 5 GiB. */
export const S3_MAX_OBJECT_SIZE = S3_MAX_PARTS * S3_MAX_PART_SIZE;
/** Part size when neither the browser nor the config asks for one (ours; Uppy-like, §5). */
export const S3_DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** ListParts page size: the S3 maximum (§7 "max-parts ≤ 1000"). */
export const S3_LIST_PAGE = 1000;
/** Presigned part URLs live this long (s): "short expiry, e.g. 5–15 min" (§4.3). */
export const S3_PART_URL_TTL_SEC = 600;
/** Part URLs per part-urls request: small batches, just in time, never the whole file (§4.3). */
export const S3_MAX_URLS_PER_REQUEST = 16;
/** Parts of one upload in flight at once (Uppy's default `limit`, §5). */
export const S3_MAX_CONCURRENCY = 6;
/** Lifetime of the presigned GetObject URL in `UploadResult.downloadUrl` (s). */
export const S3_DOWNLOAD_URL_TTL_SEC = 3600;
/** S3 keys are at most 1024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
/** Response bodies we read (ListParts of 1000 parts is ~300 KB). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Which checksum the browser sends with each part, signed into its presigned URL. */
export type S3PartChecksumMode = 'md5' | 'crc32' | 'none';

/** One bucket of an S3-compatible store the backend uploads into. */
export interface S3ServerConfig {
  /** `http://127.0.0.1:9000` (the emulator, MinIO), `https://s3.eu-west-1.amazonaws.com`, … */
  endpoint: string;
  /** Signing region, e.g. `us-east-1`. */
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * Session token when the backend itself runs on temporary credentials (an IAM role, STS):
   * sent with every call and inside every presigned URL (`X-Amz-Security-Token`), so URLs stop
   * working when those credentials expire.
   */
  sessionToken?: string;
  /** Path-style `{endpoint}/{bucket}/{key}` (default true) or virtual-hosted `{bucket}.{host}/{key}`. */
  forcePathStyle?: boolean;
  /**
   * Per-part checksum: `md5` (default; `Content-MD5`, understood by every S3-compatible store),
   * `crc32` (`x-amz-checksum-crc32`; the upload is created with that algorithm, so the object
   * keeps a composite CRC-32), or `none`.
   */
  partChecksum?: S3PartChecksumMode;
  /** Default part size (bytes) when the browser states no preference; default S3_DEFAULT_PART_SIZE. */
  partSize?: number;
  /** The store's minimum part size; default S3_MIN_PART_SIZE (other stores differ: COS 1 MB). */
  minPartSize?: number;
  /** Presigned part URL lifetime (s); default S3_PART_URL_TTL_SEC. */
  partUrlTtlSec?: number;
  /** Parallel parts per upload; default S3_MAX_CONCURRENCY. */
  maxConcurrency?: number;
  /** Lifetime of the download URL in results (s); 0 = no download URL. Default S3_DOWNLOAD_URL_TTL_SEC. */
  downloadUrlTtlSec?: number;
}

/** Dependencies the handler shares with every provider. */
export interface S3ProviderContext {
  fetch: typeof fetch;
  now: () => number;
}

/** What the browser's S3 client reads from `CreateSessionResponse.providerData` (docs/protocol.md §S3). */
export interface S3ProviderData {
  bucket: string;
  key: string;
  /** Header carrying each part's checksum, as `PartUrl.headers` will name it; null when none. */
  checksumHeader: 'content-md5' | 'x-amz-checksum-crc32' | null;
  /** Ask for at most this many part URLs per request. */
  maxUrlsPerRequest: number;
  /** How long a part URL lives (ms); ask again on a 403 "Request has expired". */
  partUrlTtlMs: number;
}

const CHECKSUM_KIND: Readonly<Record<S3PartChecksumMode, PartChecksumKind | null>> = { md5: 'md5', crc32: 'crc32', none: null };
const CHECKSUM_HEADER: Readonly<Record<S3PartChecksumMode, S3ProviderData['checksumHeader']>> = { md5: 'content-md5', crc32: 'x-amz-checksum-crc32', none: null };
/** Base64 of 16 (MD5) or 4 (CRC-32) digest bytes. */
const CHECKSUM_SYNTAX: Readonly<Record<S3PartChecksumMode, RegExp>> = { md5: /^[A-Za-z0-9+/]{22}==$/, crc32: /^[A-Za-z0-9+/]{6}==$/, none: /^$/ };

function bad(message: string): HttpError {
  return new HttpError(400, { code: 'bad-request', kind: 'fatal', message });
}

function badResponse(message: string): HttpError {
  return new HttpError(502, { code: 'bad-response', kind: 'retry', message });
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`S3 provider: ${name} must be a positive integer`);
  return value;
}

/**
 * The part plan for `size` bytes: the preferred size (the browser's, else the config's, else
 * 8 MiB), at least the store's minimum and at most 5 GiB, grown (to whole MiB) until the file
 * fits in 10 000 parts (cloud-apis.md §4.2). An empty file is one empty part.
 *
 * @example s3PartPlan(100 * 2 ** 30, undefined, 8 * 2 ** 20, 5 * 2 ** 20) // { partSize: 11 MiB, partCount: 9310 }
 */
export function s3PartPlan(size: number, preferred: number | undefined, fallback: number, minPartSize: number): PartPlan {
  if (size > S3_MAX_OBJECT_SIZE) {
    throw new HttpError(413, { code: 'file-too-large', kind: 'fatal', message: `S3 stores at most ${S3_MAX_OBJECT_SIZE} bytes per object` });
  }
  let partSize = Math.min(S3_MAX_PART_SIZE, Math.max(minPartSize, preferred ?? fallback));
  if (Math.ceil(size / partSize) > S3_MAX_PARTS) {
    const mib = 1024 * 1024;
    partSize = Math.min(S3_MAX_PART_SIZE, Math.ceil(Math.ceil(size / S3_MAX_PARTS) / mib) * mib);
  }
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

/**
 * The object key for `fileName` under `target` (a key prefix): slashes around the prefix are
 * trimmed, `""`/`/` means the bucket root; empty, `.` and `..` segments are refused, so a key
 * never climbs out of its prefix.
 */
export function s3ObjectKey(target: string, fileName: string): string {
  const prefix = target.trim().replace(/^\/+|\/+$/g, '');
  const segments = prefix === '' ? [] : prefix.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw bad('`target` must be a key prefix like "uploads/2024" (no empty, "." or ".." segments)');
  const key = [...segments, fileName].join('/');
  if (new TextEncoder().encode(key).byteLength > MAX_KEY_BYTES) {
    throw new HttpError(400, { code: 'invalid-name', kind: 'fatal', message: `The object key (prefix and file name) is longer than ${MAX_KEY_BYTES} bytes` });
  }
  return key;
}

/**
 * An S3-compatible bucket behind the token-vending backend (cloud-apis.md §4, §4.3 "What a
 * browser needs"): the backend initiates the multipart upload with its own credentials and
 * vends presigned UploadPart URLs in small batches, just in time; the browser PUTs each part
 * straight to the store and reads the ETag (bucket CORS must expose it); the backend lists
 * parts for resume, completes (reading errors hidden in a 200 answer) and aborts.
 *
 * Temporary credentials: the browser never receives any, only URLs scoped to one part of one
 * upload that expire after `partUrlTtlSec`. Vending STS credentials (AssumeRole /
 * GetFederationToken) to the browser is not implemented (docs/protocol.md §S3).
 *
 * @example
 * const s3 = new S3Provider({ endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', bucket, accessKeyId, secretAccessKey }, { fetch, now: Date.now });
 */
export class S3Provider implements ServerProvider {
  readonly name = 's3';
  /** S3 keeps incomplete uploads until aborted or a lifecycle rule removes them (§4.2). */
  readonly uploadLifetimeMs = null;
  readonly #config: Required<Omit<S3ServerConfig, 'sessionToken'>> & { sessionToken?: string };
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #signer: S3RequestSigner;
  readonly #endpoint: URL;

  constructor(config: S3ServerConfig, context: S3ProviderContext) {
    for (const field of ['endpoint', 'region', 'bucket', 'accessKeyId', 'secretAccessKey'] as const) {
      if (typeof config[field] !== 'string' || config[field] === '') throw new TypeError(`S3 provider: ${field} is required`);
    }
    this.#endpoint = new URL(config.endpoint);
    if (this.#endpoint.protocol !== 'http:' && this.#endpoint.protocol !== 'https:') throw new TypeError('S3 provider: endpoint must be an http(s) URL');
    const partChecksum = config.partChecksum ?? 'md5';
    if (!(partChecksum in CHECKSUM_KIND)) throw new TypeError('S3 provider: partChecksum must be md5, crc32 or none');
    const downloadUrlTtlSec = config.downloadUrlTtlSec ?? S3_DOWNLOAD_URL_TTL_SEC;
    if (!Number.isSafeInteger(downloadUrlTtlSec) || downloadUrlTtlSec < 0 || downloadUrlTtlSec > 604_800) throw new TypeError('S3 provider: downloadUrlTtlSec must be 0..604800');
    const partUrlTtlSec = positive('partUrlTtlSec', config.partUrlTtlSec, S3_PART_URL_TTL_SEC);
    if (partUrlTtlSec > 604_800) throw new TypeError('S3 provider: partUrlTtlSec must be at most 604800 (7 days)');
    this.#config = {
      ...config,
      forcePathStyle: config.forcePathStyle ?? true,
      partChecksum,
      partSize: positive('partSize', config.partSize, S3_DEFAULT_PART_SIZE),
      minPartSize: positive('minPartSize', config.minPartSize, S3_MIN_PART_SIZE),
      partUrlTtlSec,
      maxConcurrency: positive('maxConcurrency', config.maxConcurrency, S3_MAX_CONCURRENCY),
      downloadUrlTtlSec,
    };
    this.#fetch = context.fetch;
    this.#now = context.now;
    const credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, ...(config.sessionToken !== undefined && { sessionToken: config.sessionToken }) };
    this.#signer = new S3RequestSigner(credentials, config.region);
  }

  async createSession(input: ProviderCreateInput, signal: AbortSignal): Promise<ProviderSession> {
    const unknown = Object.keys(input.providerOptions);
    if (unknown.length > 0) throw bad(`Unknown providerOptions for S3: ${unknown.join(', ')}`);
    const key = s3ObjectKey(input.target, input.fileName);
    const plan = s3PartPlan(input.size, input.partSize, this.#config.partSize, this.#config.minPartSize);
    const mode = this.#config.partChecksum;
    const headers: Record<string, string> = { 'content-type': input.mimeType !== undefined && input.mimeType !== '' ? input.mimeType : 'application/octet-stream' };
    // With CRC-32 parts the upload carries the algorithm, so S3 checks every part and keeps a
    // composite checksum on the object (§4.1 flow; AWS "checking object integrity").
    if (mode === 'crc32') headers['x-amz-checksum-algorithm'] = 'CRC32';
    const root = await this.#xml('POST', key, '?uploads', { headers, signal });
    const uploadId = root.name === 'InitiateMultipartUploadResult' ? s3XmlText(root, 'UploadId') : undefined;
    if (uploadId === undefined || uploadId === '') throw badResponse('The storage did not return an upload id');
    const providerData: S3ProviderData = {
      bucket: this.#config.bucket,
      key,
      checksumHeader: CHECKSUM_HEADER[mode],
      maxUrlsPerRequest: S3_MAX_URLS_PER_REQUEST,
      partUrlTtlMs: this.#config.partUrlTtlSec * 1000,
    };
    return {
      uploadId,
      api: mode,
      plan,
      traffic: { maxConcurrency: this.#config.maxConcurrency, minIntervalMs: 0 },
      transport: 'direct',
      partChecksum: CHECKSUM_KIND[mode],
      providerData: { ...providerData },
    };
  }

  /** Presigned UploadPart URLs for a few parts, signed with each part's checksum header (§4.3). */
  partUrls(ticket: UploadTicket, request: PartUrlsRequest, _signal: AbortSignal): Promise<PartUrlsResponse> {
    const mode = this.#mode(ticket);
    const indexes = request.indexes;
    if (indexes.length === 0 || indexes.length > S3_MAX_URLS_PER_REQUEST) throw bad(`Ask for 1..${S3_MAX_URLS_PER_REQUEST} part URLs at a time`);
    if (new Set(indexes).size !== indexes.length) throw bad('Part indexes must not repeat');
    const checksums = request.checksums ?? {};
    if (typeof checksums !== 'object' || checksums === null) throw bad('`checksums` must map part indexes to values');
    const now = this.#now();
    // X-Amz-Date has whole seconds: the URL expires ttl seconds after the second it was signed in.
    const expiresAt = Math.floor(now / 1000) * 1000 + this.#config.partUrlTtlSec * 1000;
    const urls: PartUrl[] = indexes.map((index) => {
      if (!Number.isSafeInteger(index) || index < 0 || index >= ticket.partCount) throw bad(`Part index must be 0..${ticket.partCount - 1}`);
      const checksum = checksums[String(index)];
      const headers: Record<string, string> = {};
      if (checksum !== undefined) {
        if (mode === 'none') throw bad('This upload takes no part checksums');
        if (typeof checksum !== 'string' || !CHECKSUM_SYNTAX[mode].test(checksum)) {
          throw bad(`The checksum of part ${index} must be the base64 ${mode === 'md5' ? 'MD5 (Content-MD5)' : 'CRC-32 (x-amz-checksum-crc32)'} of its bytes`);
        }
        headers[CHECKSUM_HEADER[mode] ?? ''] = checksum;
      } else if (mode === 'crc32') {
        // The upload was created with CRC32: S3 refuses a part without it, so fail here, clearly.
        throw bad(`Part ${index} needs its CRC-32 (checksums["${index}"]) to be signed into its URL`);
      }
      const url = this.#objectUrl(ticket, `?partNumber=${index + 1}&uploadId=${encodeURIComponent(ticket.uploadId)}`);
      return { index, url: this.#signer.presign({ method: 'PUT', url, headers, now }, this.#config.partUrlTtlSec), method: 'PUT', headers, expiresAt };
    });
    return Promise.resolve({ urls });
  }

  /** The stored parts that fit the plan (right number, right size), for resume (§4.3 step 4). */
  async listParts(ticket: UploadTicket, signal: AbortSignal): Promise<PartReceipt[]> {
    const mode = this.#mode(ticket);
    const receipts: PartReceipt[] = [];
    let marker = 0;
    for (let page = 0; page <= Math.ceil(S3_MAX_PARTS / S3_LIST_PAGE); page++) {
      const query = `?max-parts=${S3_LIST_PAGE}&part-number-marker=${marker}&uploadId=${encodeURIComponent(ticket.uploadId)}`;
      const root = await this.#xml('GET', this.#key(ticket), query, { signal });
      if (root.name !== 'ListPartsResult') throw badResponse('The storage sent an unexpected answer to ListParts');
      for (const part of s3XmlChildren(root, 'Part')) {
        const number = Number(s3XmlText(part, 'PartNumber'));
        const etag = s3XmlText(part, 'ETag');
        const size = Number(s3XmlText(part, 'Size'));
        const index = number - 1;
        // A part of the wrong size (another plan, a truncated PUT) would corrupt the object: resend it.
        if (!Number.isSafeInteger(index) || index < 0 || index >= ticket.partCount || etag === undefined || size !== partLength(ticket, index)) continue;
        const checksum = mode === 'crc32' ? s3XmlText(part, 'ChecksumCRC32') : undefined;
        receipts.push({ index, etag, ...(checksum !== undefined && { checksum }) });
      }
      const next = Number(s3XmlText(root, 'NextPartNumberMarker'));
      if (s3XmlText(root, 'IsTruncated') !== 'true') return receipts;
      if (!Number.isSafeInteger(next) || next <= marker) throw badResponse('The storage sent a ListParts page that does not advance');
      marker = next;
    }
    throw badResponse('The storage listed more parts than an upload can have');
  }

  async complete(ticket: UploadTicket, request: CompleteRequest, signal: AbortSignal): Promise<UploadResult> {
    const mode = this.#mode(ticket);
    const parts = this.#checkReceipts(ticket, request.parts, mode);
    const body = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts
      .map((p) => `<Part><PartNumber>${p.index + 1}</PartNumber><ETag>${escapeS3Xml(p.etag)}</ETag>${mode === 'crc32' ? `<ChecksumCRC32>${escapeS3Xml(p.checksum ?? '')}</ChecksumCRC32>` : ''}</Part>`)
      .join('')}</CompleteMultipartUpload>`;
    let root: S3XmlElement;
    try {
      root = await this.#xml('POST', this.#key(ticket), `?uploadId=${encodeURIComponent(ticket.uploadId)}`, { headers: { 'content-type': 'application/xml' }, body, signal });
    } catch (error) {
      // A retried Complete whose first answer was lost finds the upload gone: if the object is
      // there with the ETag these parts give, the upload did complete.
      if (error instanceof HttpError && error.data.providerCode === 'NoSuchUpload') {
        const etag = await this.#completedEtag(ticket, parts, signal);
        if (etag !== undefined) return this.#result(ticket, etag);
      }
      throw error;
    }
    const etag = root.name === 'CompleteMultipartUploadResult' ? s3XmlText(root, 'ETag') : undefined;
    if (etag === undefined || etag === '') throw badResponse('The storage did not confirm the completed object');
    return this.#result(ticket, etag);
  }

  async abort(ticket: UploadTicket, signal: AbortSignal): Promise<void> {
    const response = await this.#send('DELETE', this.#key(ticket), `?uploadId=${encodeURIComponent(ticket.uploadId)}`, { signal });
    if (response.status === 204 || response.status === 200) return;
    const error = await this.#errorOf(response);
    // Already gone (aborted, completed or expired) is what abort wants.
    if (error.data.providerCode === 'NoSuchUpload') return;
    throw error;
  }

  // ---- helpers -------------------------------------------------------------------------

  #mode(ticket: UploadTicket): S3PartChecksumMode {
    const mode = ticket.api;
    if (mode !== 'md5' && mode !== 'crc32' && mode !== 'none') throw new HttpError(401, { code: 'ticket-invalid', kind: 'fatal', message: 'The ticket is not an S3 upload ticket' });
    return mode;
  }

  #key(ticket: UploadTicket): string {
    return s3ObjectKey(ticket.target, ticket.fileName);
  }

  #objectUrl(ticketOrKey: UploadTicket | string, query: string): URL {
    const key = typeof ticketOrKey === 'string' ? ticketOrKey : this.#key(ticketOrKey);
    const base = this.#endpoint;
    const prefix = base.pathname.replace(/\/+$/, '');
    if (this.#config.forcePathStyle) return new URL(`${base.origin}${prefix}/${this.#config.bucket}/${encodeS3Key(key)}${query}`);
    return new URL(`${base.protocol}//${this.#config.bucket}.${base.host}${prefix}/${encodeS3Key(key)}${query}`);
  }

  /** Every part of the plan exactly once, with an ETag (and a CRC-32 in crc32 mode), ascending. */
  #checkReceipts(ticket: UploadTicket, given: readonly PartReceipt[], mode: S3PartChecksumMode): { index: number; etag: string; checksum?: string }[] {
    const byIndex = new Map<number, PartReceipt>();
    for (const part of given) {
      if (typeof part !== 'object' || part === null || !Number.isSafeInteger(part.index) || part.index < 0 || part.index >= ticket.partCount) {
        throw bad(`Part indexes must be 0..${ticket.partCount - 1}`);
      }
      if (byIndex.has(part.index)) throw bad(`Part ${part.index} is listed twice`);
      if (typeof part.etag !== 'string' || part.etag === '' || part.etag.length > 1024 || [...part.etag].some((c) => c.charCodeAt(0) < 0x20)) {
        throw bad(`Part ${part.index} needs the ETag the storage answered its PUT with`);
      }
      if (mode === 'crc32' && (typeof part.checksum !== 'string' || !CHECKSUM_SYNTAX.crc32.test(part.checksum))) {
        throw bad(`Part ${part.index} needs its CRC-32 (the value sent with the part)`);
      }
      byIndex.set(part.index, part);
    }
    const missing: number[] = [];
    for (let i = 0; i < ticket.partCount; i++) if (!byIndex.has(i)) missing.push(i);
    if (missing.length > 0) {
      throw new HttpError(409, { code: 'parts-missing', kind: 'fatal', message: `Parts ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''} were never confirmed; upload them before completing` });
    }
    return [...byIndex.values()]
      .sort((a, b) => a.index - b.index)
      .map((p) => ({ index: p.index, etag: p.etag ?? '', ...(p.checksum !== undefined && { checksum: p.checksum }) }));
  }

  /**
   * The object's ETag when it exists with this upload's size and the multipart ETag
   * `md5(concat of part MD5s)-N` these parts give (§4.1); undefined otherwise. Only works where
   * part ETags are plain MD5s, as on S3 without SSE-KMS.
   */
  async #completedEtag(ticket: UploadTicket, parts: readonly { etag: string }[], signal: AbortSignal): Promise<string | undefined> {
    const md5s = parts.map((p) => p.etag.replace(/^"|"$/g, ''));
    if (!md5s.every((m) => /^[0-9a-f]{32}$/i.test(m))) return undefined;
    const expected = `"${createHash('md5').update(Buffer.concat(md5s.map((m) => Buffer.from(m, 'hex')))).digest('hex')}-${parts.length}"`;
    const head = await this.#send('HEAD', this.#key(ticket), '', { signal });
    if (head.status !== 200) return undefined;
    const etag = head.headers.get('etag');
    return etag === expected && Number(head.headers.get('content-length')) === ticket.size ? etag : undefined;
  }

  #result(ticket: UploadTicket, etag: string): UploadResult {
    const key = this.#key(ticket);
    const result: UploadResult = { provider: 's3', name: ticket.fileName, size: ticket.size, bucket: this.#config.bucket, key, etag };
    if (this.#config.downloadUrlTtlSec > 0) {
      result.downloadUrl = this.#signer.presign({ method: 'GET', url: this.#objectUrl(key, ''), now: this.#now() }, this.#config.downloadUrlTtlSec);
    }
    return result;
  }

  /** A signed call; network failures become 502 `network` (retry), aborts pass through. */
  async #send(method: string, key: string, query: string, init: { headers?: Record<string, string>; body?: string; signal: AbortSignal }): Promise<Response> {
    const url = this.#objectUrl(key, query);
    const body = init.body ?? '';
    const payloadHash = createHash('sha256').update(body).digest('hex');
    const headers = this.#signer.sign({ method, url, headers: init.headers ?? {}, now: this.#now() }, payloadHash);
    return fetchUpstream(this.#fetch, url, { method, headers, ...(init.body !== undefined && { body: init.body }), signal: init.signal }, 'The backend could not reach the storage');
  }

  /** A call answered with an XML document: the root on 2xx, else (or for a 200 `<Error>`, §4.1) the classified error. */
  async #xml(method: string, key: string, query: string, init: { headers?: Record<string, string>; body?: string; signal: AbortSignal }): Promise<S3XmlElement> {
    const response = await this.#send(method, key, query, init);
    if (!response.ok) throw await this.#errorOf(response);
    const text = await readLimited(response);
    const root = text === null ? null : parseS3Xml(text);
    if (root === null) throw badResponse(`The storage sent an unreadable answer (HTTP ${response.status})`);
    if (root.name === 'Error') throw s3Error(s3XmlText(root, 'Code') ?? 'InternalError', 500);
    return root;
  }

  async #errorOf(response: Response): Promise<HttpError> {
    const text = await readLimited(response);
    const root = text === null || text.trim() === '' ? null : parseS3Xml(text);
    const code = root?.name === 'Error' ? s3XmlText(root, 'Code') : undefined;
    if (code !== undefined && code !== '') return s3Error(code, response.status);
    // No XML body (HEAD, a proxy): classify by status alone.
    const byStatus: Record<number, string> = { 403: 'AccessDenied', 404: 'NoSuchUpload', 500: 'InternalError', 503: 'ServiceUnavailable' };
    return s3Error(byStatus[response.status] ?? `HTTP${response.status}`, response.status);
  }
}

/** The body as text, or null when it is larger than MAX_RESPONSE_BYTES or unreadable. */
async function readLimited(response: Response): Promise<string | null> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    return null;
  }
  try {
    const text = await response.text();
    return text.length > MAX_RESPONSE_BYTES ? null : text;
  } catch {
    return null;
  }
}
