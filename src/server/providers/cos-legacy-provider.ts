import type { CompleteRequest, PartReceipt, PartUrl, PartUrlsRequest, PartUrlsResponse, UploadResult } from '../../core/index.js';
import { HttpError } from '../http-error.js';
import type { UploadTicket } from '../ticket-signer.js';
import { cosLegacyError, type CosLegacyOp } from './cos-legacy-error-table.js';
import { cosLegacyEncodePath, cosLegacyFileId, cosLegacySignature, cosLegacySigningKey } from './cos-legacy-signature.js';
import type { ProviderCreateInput, ProviderSession, ServerProvider } from './server-provider.js';
import { fetchUpstream, readJsonEnvelope, type JsonEnvelope } from './upstream.js';

/** One COS bucket the backend uploads into with the legacy JSON API (cloud-apis.md §3). */
export interface CosLegacyServerConfig {
  /** The region host, e.g. `https://sh.file.myqcloud.com`, or the emulator's URL. */
  baseUrl: string;
  /** AppID. */
  appId: string;
  /** Bucket name without `-appid`. */
  bucket: string;
  /** SecretId: visible inside every signature by design (§3.2 field `k`). */
  secretId: string;
  /** SecretKey: only ever used here to compute HMACs; never sent anywhere. */
  secretKey: string;
  /**
   * Slice size when the browser asks for none (or for one COS does not take); also accepted
   * as a `partSize`. Default COS_LEGACY_DEFAULT_SLICE_SIZE (1 MiB).
   */
  sliceSize?: number;
  /** Lifetime of the signatures vended for slices (s). Default COS_LEGACY_SIGNATURE_TTL_S. */
  signatureTtlSec?: number;
  /** Slices of one upload in flight when COS allows parallel slices. Default COS_LEGACY_PARALLEL_SLICES. */
  maxConcurrency?: number;
}

/** `slice_size` values COS accepts: 512 KB, 1 MB, 2 MB, 3 MB (cloud-apis.md §3.3, §3.8). */
export const COS_LEGACY_SLICE_SIZES: readonly number[] = Object.freeze([524288, 1048576, 2097152, 3145728]);
/** The slice size `-284` recommends (§3.9). */
export const COS_LEGACY_DEFAULT_SLICE_SIZE = 1048576;
/**
 * Slice signatures live 10 minutes: "short-lived" (§5 pattern for COS v4); the browser asks
 * for fresh ones when they lapse. Ours; COS allows up to ~3 months (§3.2).
 */
export const COS_LEGACY_SIGNATURE_TTL_S = 600;
/** The JS SDK runs 5 slices in parallel (§3.4). */
export const COS_LEGACY_PARALLEL_SLICES = 5;
/** The `api` recorded in tickets; `;sha1=<hex>` is appended when init carried a sha. */
export const COS_LEGACY_API = 'files-v2';
/** SHA-1 of zero bytes, sent with the simple upload of an empty file. */
const EMPTY_SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
/** Most part URLs answered per request (ours): the URL is the same for every slice. */
const MAX_URLS_PER_REQUEST = 10_000;
/** Longest `biz_attr` we pass on (ours; COS states none). */
const MAX_BIZ_ATTR_LENGTH = 1024;
const HEX40 = /^[0-9a-fA-F]{40}$/;

/** Dependencies the handler shares with every provider. */
export interface CosLegacyProviderContext {
  fetch: typeof fetch;
  now: () => number;
}

/** One `uploadparts` entry (§3.7). */
interface Slice {
  offset: number;
  datalen: number;
  datasha: string;
}

/**
 * Tencent COS legacy JSON API ("files/v2") behind the token-vending backend: the backend runs
 * init, list and finish with its SecretKey, and vends short-lived multi-effect signatures
 * bound to the one file (`f` set) so the browser posts each slice straight to COS (direct
 * transport, cloud-apis.md §5 "pattern for this project"). Finish uses a single-effect
 * signature. docs/protocol.md §COS legacy is the browser's contract.
 *
 * @example
 * const cos = new CosLegacyProvider({ baseUrl: 'https://sh.file.myqcloud.com', appId, bucket, secretId, secretKey }, { fetch, now: Date.now });
 */
export class CosLegacyProvider implements ServerProvider {
  readonly name = 'cos-legacy';
  /** COS states no session lifetime (§3.8, §8 q4). */
  readonly uploadLifetimeMs = null;
  readonly #config: CosLegacyServerConfig;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #key: Promise<CryptoKey>;
  readonly #sliceSize: number;

  constructor(config: CosLegacyServerConfig, context: CosLegacyProviderContext) {
    if (!config.appId || !config.bucket || !config.secretId || !config.secretKey) throw new TypeError('cos-legacy: appId, bucket, secretId and secretKey are required');
    this.#config = config;
    this.#fetch = context.fetch;
    this.#now = context.now;
    this.#key = cosLegacySigningKey(config.secretKey);
    this.#sliceSize = config.sliceSize ?? COS_LEGACY_DEFAULT_SLICE_SIZE;
    if (!Number.isSafeInteger(this.#sliceSize) || this.#sliceSize <= 0 || this.#sliceSize % 64 !== 0) {
      throw new TypeError('cos-legacy: sliceSize must be a positive multiple of 64');
    }
  }

  async createSession(input: ProviderCreateInput, signal: AbortSignal): Promise<ProviderSession> {
    const options = parseOptions(input.providerOptions);
    const path = cosPath(input.target, input.fileName);
    let sha = input.hashes?.['sha1'];
    if (sha !== undefined) {
      if (!HEX40.test(sha)) throw badRequest('hashes.sha1 must be the SHA-1 of the file as 40 hex digits');
      sha = sha.toLowerCase();
    }
    const requested = input.partSize !== undefined && this.#acceptedSlice(input.partSize) ? input.partSize : this.#sliceSize;
    const slices = options.uploadparts === undefined ? undefined : parseUploadparts(options.uploadparts, input.size, requested);
    if (slices !== undefined) {
      const last = slices[slices.length - 1]?.datasha;
      if (sha !== undefined && sha !== last) throw badRequest('The last uploadparts datasha must equal hashes.sha1');
      sha = last;
      if (slices.length > 1 && !this.#acceptedSlice(slices[0]?.datalen ?? 0)) {
        throw badRequest(`uploadparts slices must be ${[...new Set([...COS_LEGACY_SLICE_SIZES, this.#sliceSize])].join(', ')} bytes`);
      }
    }
    const sliceSize = slices !== undefined && slices.length > 1 ? (slices[0]?.datalen ?? requested) : requested;
    const base = { api: apiFor(sha), transport: 'direct' as const, partChecksum: null };
    const resourcePath = `/${this.#config.appId}/${this.#config.bucket}/${path}`;

    if (input.size === 0) {
      // Slices need filesize > 0; an empty file is one simple upload (op=upload, §3.1), done here.
      const form = this.#form('upload', options, { sha: EMPTY_SHA1 });
      form.append('filecontent', new Blob([]), input.fileName);
      const env = await this.#call('upload', path, form, 'multi', signal);
      return { ...base, uploadId: '', plan: { partSize: sliceSize, partCount: 0 }, traffic: { maxConcurrency: 1, minIntervalMs: 0 }, result: this.#result(input.fileName, 0, env.data, false) };
    }

    const form = this.#form('upload_slice_init', options, {
      filesize: String(input.size),
      slice_size: String(sliceSize),
      ...(sha !== undefined && { sha }),
      ...(slices !== undefined && { uploadparts: JSON.stringify(slices) }),
    });
    const env = await this.#call('upload_slice_init', path, form, 'multi', signal, [-4019]);
    if (env.code === -4019) return this.#resume(input, path, sha, signal);

    if (typeof env.data['session'] !== 'string' && typeof env.data['access_url'] === 'string') {
      // Rapid upload ("秒传", §3.3): COS already holds this content; nothing to send.
      const plan = { partSize: sliceSize, partCount: Math.ceil(input.size / sliceSize) };
      return { ...base, uploadId: '', plan, traffic: { maxConcurrency: 1, minIntervalMs: 0 }, result: this.#result(input.fileName, input.size, env.data, true) };
    }
    const session = env.data['session'];
    const answered = env.data['slice_size'];
    // The client must use the slice_size COS answers (§3.3); with uploadparts the slices are fixed.
    if (typeof session !== 'string' || session === '' || !isPositiveInt(answered) || answered % 64 !== 0 || (slices !== undefined && slices.length > 1 && answered !== sliceSize)) {
      throw new HttpError(502, { code: 'bad-response', kind: 'retry', message: 'The storage sent an unusable upload plan' });
    }
    const serial = env.data['serial_upload'] === 1 || slices === undefined;
    return {
      ...base,
      uploadId: session,
      plan: { partSize: answered, partCount: Math.ceil(input.size / answered) },
      traffic: { maxConcurrency: serial ? 1 : (this.#config.maxConcurrency ?? COS_LEGACY_PARALLEL_SLICES), minIntervalMs: 0 },
      providerData: providerData(session, serial, sha, resourcePath),
    };
  }

  /** `-4019` → `upload_slice_list` → the existing session and its slices (§3.5, Java SDK flow). */
  async #resume(input: ProviderCreateInput, path: string, sha: string | undefined, signal: AbortSignal): Promise<ProviderSession> {
    const listing = await this.#list(path, signal);
    const session = listing['session'];
    const answered = listing['slice_size'];
    const listedSha = typeof listing['sha'] === 'string' ? listing['sha'].split('_')[0]?.toLowerCase() : undefined;
    if (typeof session !== 'string' || session === '' || !isPositiveInt(answered) || answered % 64 !== 0 || listing['filesize'] !== input.size || (sha !== undefined && listedSha !== undefined && listedSha !== '' && listedSha !== sha)) {
      throw new HttpError(502, { code: 'bad-response', kind: 'retry', message: 'The storage listed an unfinished upload that does not match this file' });
    }
    const uploadedParts = slicesToReceipts(listing['listparts'], answered, input.size);
    // Resume in order, one slice at a time: list does not say whether the old session was serial.
    return {
      api: apiFor(sha),
      transport: 'direct',
      partChecksum: null,
      uploadId: session,
      plan: { partSize: answered, partCount: Math.ceil(input.size / answered) },
      traffic: { maxConcurrency: 1, minIntervalMs: 0 },
      uploadedParts,
      providerData: providerData(session, true, sha, `/${this.#config.appId}/${this.#config.bucket}/${path}`),
    };
  }

  async partUrls(ticket: UploadTicket, request: PartUrlsRequest, _signal: AbortSignal): Promise<PartUrlsResponse> {
    if (ticket.uploadId === '') throw badRequest('This upload finished when it was created; there is nothing to send');
    const { indexes } = request;
    if (indexes.length === 0 || indexes.length > MAX_URLS_PER_REQUEST) throw badRequest(`Ask for 1..${MAX_URLS_PER_REQUEST} part URLs at a time`);
    for (const index of indexes) {
      if (!Number.isSafeInteger(index) || index < 0 || index >= ticket.partCount) throw badRequest(`Part index must be 0..${ticket.partCount - 1}`);
    }
    const path = cosPath(ticket.target, ticket.fileName);
    const nowSec = Math.floor(this.#now() / 1000);
    // Short-lived and never beyond the ticket: a leaked URL is worth little (§5).
    const expiresAtSec = Math.min(nowSec + (this.#config.signatureTtlSec ?? COS_LEGACY_SIGNATURE_TTL_S), Math.floor(ticket.expiresAt / 1000));
    if (expiresAtSec <= nowSec) throw new HttpError(401, { code: 'ticket-expired', kind: 'retry', message: 'The upload ticket is about to expire; renew it with v1/sessions/renew' });
    const sign = await this.#sign(path, expiresAtSec, nowSec);
    // ?sign= keeps the slice POST a CORS "simple request" (multipart/form-data, no custom header), as the JS SDK does (§3.1).
    const url = `${this.#objectUrl(path)}?sign=${encodeURIComponent(sign)}`;
    const urls: PartUrl[] = indexes.map((index) => ({ index, url, method: 'POST', headers: {}, expiresAt: expiresAtSec * 1000 }));
    return { urls };
  }

  async listParts(ticket: UploadTicket, signal: AbortSignal): Promise<PartReceipt[]> {
    if (ticket.uploadId === '') return [];
    const listing = await this.#list(cosPath(ticket.target, ticket.fileName), signal);
    if (listing['session'] !== ticket.uploadId) {
      throw new HttpError(410, { code: 'session-expired', kind: 'session-expired', message: 'The upload session is gone at the storage; start a new upload session' });
    }
    return slicesToReceipts(listing['listparts'], ticket.partSize, ticket.size);
  }

  async complete(ticket: UploadTicket, request: CompleteRequest, signal: AbortSignal): Promise<UploadResult> {
    if (ticket.uploadId === '') throw badRequest('This upload finished when it was created; there is nothing to complete');
    let sha = shaOf(ticket.api);
    if (request.sha1 !== undefined) {
      if (typeof request.sha1 !== 'string' || !HEX40.test(request.sha1)) throw badRequest('sha1 must be the SHA-1 of the file as 40 hex digits');
      const given = request.sha1.toLowerCase();
      if (sha !== undefined && given !== sha) {
        throw new HttpError(400, { code: 'checksum-mismatch', kind: 'checksum-mismatch', message: 'sha1 differs from the SHA-1 the upload was created with' });
      }
      // Without an init sha COS still verifies one given at finish (its running SHA-1, §3.6).
      sha = given;
    }
    const form = new FormData();
    form.append('op', 'upload_slice_finish');
    form.append('session', ticket.uploadId);
    form.append('filesize', String(ticket.size));
    if (sha !== undefined) form.append('sha', sha);
    // Finish is signed single-effect: one use, bound to this file.
    const env = await this.#call('upload_slice_finish', cosPath(ticket.target, ticket.fileName), form, 'single', signal);
    return this.#result(ticket.fileName, ticket.size, env.data, false);
  }

  /** COS legacy documents no call that drops an unfinished slice session (§3); it lapses on its own. */
  abort(): Promise<void> {
    return Promise.resolve();
  }

  #acceptedSlice(size: number): boolean {
    return size === this.#sliceSize || COS_LEGACY_SLICE_SIZES.includes(size);
  }

  #objectUrl(path: string): string {
    const base = this.#config.baseUrl.replace(/\/+$/, '');
    return `${base}/files/v2/${this.#config.appId}/${this.#config.bucket}/${cosLegacyEncodePath(path)}`;
  }

  async #sign(path: string, expiresAtSec: number, nowSec: number): Promise<string> {
    return cosLegacySignature({
      appId: this.#config.appId,
      bucket: this.#config.bucket,
      secretId: this.#config.secretId,
      key: await this.#key,
      expiresAtSec,
      nowSec,
      fileId: cosLegacyFileId(this.#config.appId, this.#config.bucket, path),
    });
  }

  #form(op: CosLegacyOp, options: CosOptions, fields: Record<string, string>): FormData {
    const form = new FormData();
    form.append('op', op);
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    if (options.bizAttr !== undefined) form.append('biz_attr', options.bizAttr);
    // insertOnly 1 (COS default) refuses an existing name with -177; 0 overwrites (§3.3).
    form.append('insertOnly', options.overwrite ? '0' : '1');
    return form;
  }

  async #list(path: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    const form = new FormData();
    form.append('op', 'upload_slice_list');
    return (await this.#call('upload_slice_list', path, form, 'multi', signal)).data;
  }

  /**
   * One call to COS with a fresh signature; `-59` (our clock disagrees with COS's) is retried
   * once with a new signature. Codes in `accept` are returned instead of thrown.
   */
  async #call(op: CosLegacyOp, path: string, form: FormData, kind: 'multi' | 'single', signal: AbortSignal, accept: readonly number[] = []): Promise<JsonEnvelope> {
    for (let attempt = 0; ; attempt++) {
      const nowSec = Math.floor(this.#now() / 1000);
      const sign = await this.#sign(path, kind === 'single' ? 0 : nowSec + (this.#config.signatureTtlSec ?? COS_LEGACY_SIGNATURE_TTL_S), nowSec);
      const response = await fetchUpstream(this.#fetch, this.#objectUrl(path), { method: 'POST', headers: { authorization: sign }, body: form, signal }, 'The backend could not reach the storage');
      const env = await readJsonEnvelope(response, 'The storage');
      if (env.code === 0 || accept.includes(env.code)) return env;
      if (env.code === -59 && attempt === 0) continue;
      throw cosLegacyError(env.code, env.status, op);
    }
  }

  #result(name: string, size: number, data: Record<string, unknown>, rapid: boolean): UploadResult {
    const resourcePath = data['resource_path'];
    if (typeof resourcePath !== 'string' || resourcePath === '') {
      throw new HttpError(502, { code: 'bad-response', kind: 'retry', message: 'The storage did not return the stored file path' });
    }
    // source_url is the origin (no CDN); access_url goes through a CDN that may not be enabled (seed 004).
    const url = typeof data['source_url'] === 'string' ? data['source_url'] : typeof data['access_url'] === 'string' ? data['access_url'] : undefined;
    return { provider: 'cos-legacy', name, size, resourcePath, ...(url !== undefined && { downloadUrl: url }), ...(rapid && { rapid: true }) };
  }
}

/** Validated provider options. */
interface CosOptions {
  overwrite: boolean;
  bizAttr?: string;
  uploadparts?: string;
}

function parseOptions(options: Record<string, string | number | boolean>): CosOptions {
  const known = new Set(['overwrite', 'bizAttr', 'uploadparts']);
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  if (unknown.length > 0) throw badRequest(`Unknown providerOptions for COS legacy: ${unknown.join(', ')}`);
  const { overwrite = false, bizAttr, uploadparts } = options;
  if (typeof overwrite !== 'boolean') throw badRequest('providerOptions.overwrite must be a boolean');
  if (bizAttr !== undefined && (typeof bizAttr !== 'string' || bizAttr.length > MAX_BIZ_ATTR_LENGTH)) throw badRequest(`providerOptions.bizAttr must be a string of at most ${MAX_BIZ_ATTR_LENGTH} characters`);
  if (uploadparts !== undefined && typeof uploadparts !== 'string') throw badRequest('providerOptions.uploadparts must be the uploadparts JSON as a string');
  return { overwrite, ...(bizAttr !== undefined && { bizAttr }), ...(uploadparts !== undefined && { uploadparts }) };
}

/**
 * Checks `uploadparts` as COS defines it (§3.7): a JSON array, entry i = `{offset: i·S,
 * datalen: min(S, N − offset), datasha: 40 hex}`, S a multiple of 64 when there are several
 * slices (the slice size is read from the first entry; a single entry uses `fallbackSize`).
 */
function parseUploadparts(text: string, size: number, fallbackSize: number): Slice[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('providerOptions.uploadparts is not valid JSON');
  }
  if (!Array.isArray(value) || value.length === 0 || size === 0) throw badRequest('providerOptions.uploadparts must list the slices of a non-empty file');
  const first = value[0] as { datalen?: unknown } | null;
  const sliceSize = value.length > 1 ? first?.datalen : fallbackSize;
  if (!isPositiveInt(sliceSize) || (value.length > 1 && sliceSize % 64 !== 0) || value.length !== Math.ceil(size / sliceSize)) {
    throw badRequest('providerOptions.uploadparts must have one entry per slice, slices a multiple of 64 bytes');
  }
  return value.map((entry: unknown, i): Slice => {
    const e = entry as { offset?: unknown; datalen?: unknown; datasha?: unknown } | null;
    const offset = i * sliceSize;
    const datalen = Math.min(sliceSize, size - offset);
    if (typeof e !== 'object' || e === null || e.offset !== offset || e.datalen !== datalen || typeof e.datasha !== 'string' || !HEX40.test(e.datasha)) {
      throw badRequest(`providerOptions.uploadparts[${i}] must be {"offset":${offset},"datalen":${datalen},"datasha":"<40 hex>"}`);
    }
    return { offset, datalen, datasha: e.datasha.toLowerCase() };
  });
}

/** The path inside the bucket: `target` is a directory (`/`, `docs`, `/docs/2024/`). */
export function cosPath(target: string, fileName: string): string {
  const dir = target.trim().replace(/^\/+|\/+$/g, '');
  const segments = dir === '' ? [] : dir.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw badRequest('`target` must be a directory path like "/" or "docs/2024" (no empty, "." or ".." segments)');
  return [...segments, fileName].join('/');
}

function providerData(session: string, serialUpload: boolean, sha: string | undefined, resourcePath: string): Record<string, unknown> {
  return { session, serialUpload, resourcePath, fileField: 'filecontent', ...(sha !== undefined && { sha1: sha }) };
}

function slicesToReceipts(listparts: unknown, sliceSize: number, size: number): PartReceipt[] {
  // The doc types listparts as a String; the SDKs parse it as a JSON array (§3.5): take both.
  let list: unknown = listparts;
  if (typeof list === 'string') {
    try {
      list = list === '' ? [] : JSON.parse(list);
    } catch {
      list = null;
    }
  }
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new HttpError(502, { code: 'bad-response', kind: 'retry', message: 'The storage listed slices in an unreadable form' });
  const receipts: PartReceipt[] = [];
  for (const entry of list as unknown[]) {
    const e = entry as { offset?: unknown; datasha?: unknown } | null;
    const offset = e?.offset;
    if (!Number.isSafeInteger(offset) || (offset as number) % sliceSize !== 0 || (offset as number) >= size) {
      throw new HttpError(502, { code: 'bad-response', kind: 'retry', message: 'The storage listed a slice outside this upload' });
    }
    receipts.push({ index: (offset as number) / sliceSize, ...(typeof e?.datasha === 'string' && { checksum: e.datasha }) });
  }
  return receipts.sort((a, b) => a.index - b.index);
}

function apiFor(sha: string | undefined): string {
  return sha === undefined ? COS_LEGACY_API : `${COS_LEGACY_API};sha1=${sha}`;
}

function shaOf(api: string): string | undefined {
  const m = /;sha1=([0-9a-f]{40})$/.exec(api);
  return m?.[1];
}

function isPositiveInt(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

function badRequest(message: string): HttpError {
  return new HttpError(400, { code: 'bad-request', kind: 'fatal', message });
}

