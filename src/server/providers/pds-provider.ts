import { createHash } from 'node:crypto';
import type { CompleteRequest, PartChecksumKind, PartReceipt, PartUrl, PartUrlsRequest, PartUrlsResponse, UploadResult } from '../../core/index.js';
import { HttpError } from '../http-error.js';
import type { UploadTicket } from '../ticket-signer.js';
import { PDS_AUTH_CODES, pdsError } from './pds-error-table.js';
import type { PdsJwtApp } from './pds-jwt-assertion.js';
import { PdsTokenSource } from './pds-token-source.js';
import type { ProviderCreateInput, ProviderSession, ServerProvider } from './server-provider.js';
import { fetchUpstream } from './upstream.js';

/** Uploaded parts are kept 10 days (seed 003; cloud-apis.md §2.10): a ticket never outlives that. */
export const PDS_UPLOAD_LIFETIME_MS = 10 * 24 * 60 * 60 * 1000;
/** At most 10 000 parts per file (cloud-apis.md §2.4, §2.10). */
export const PDS_MAX_PARTS = 10_000;
/** OSS takes parts of at least 100 KB, the last one exempt (cloud-apis.md §2.5, §2.10). */
export const PDS_MIN_PART_SIZE = 100 * 1024;
/** Model maximum part_size 5368709120 (cloud-apis.md §2.5, §2.10). */
export const PDS_MAX_PART_SIZE = 5_368_709_120;
/** Default part size: the PDS JS SDK's 10 MB (cloud-apis.md §2.5). */
export const PDS_DEFAULT_PART_SIZE = 10 * 1024 * 1024;
/** Parallel parts start on 64-byte boundaries (cloud-apis.md §2.5, §2.9 item 4). */
const SHA1_BLOCK_BYTES = 64;
/** Presigned URLs live 15 min on PDS (cloud-apis.md §2.5); used when a URL carries no `Expires`. */
export const PDS_URL_TTL_MS = 15 * 60 * 1000;
/** Parts in flight at once in parallel mode (ours; serial mode is always 1, §2.5). */
export const PDS_DEFAULT_PARALLEL_CONCURRENCY = 4;
/** Files from this size on first probe with `pre_hash` (ours; the SDKs use 500 KB and 100 MB, §2.4). */
export const PDS_DEFAULT_RAPID_MIN_SIZE = 1024 * 1024;
/** URLs handed out with a new serial session, before the browser asks for more. */
export const PDS_FIRST_URL_BATCH = 4;
/** Most part URLs one `part-urls` request may ask for (ours). */
export const PDS_MAX_URLS_PER_REQUEST = 100;
/** `list_uploaded_parts` page size (SDK maximum, cloud-apis.md §2.7). */
const LIST_PAGE = 1000;
/** `parent_file_id` pattern (cloud-apis.md §2.4). */
const FILE_ID = /^[a-z0-9]{1,50}$/;
const SHA1_HEX = /^[0-9a-fA-F]{40}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** `check_name_mode` (cloud-apis.md §2.4). */
export type PdsCheckNameMode = 'auto_rename' | 'refuse' | 'ignore';

/** One PDS drive the backend uploads into. */
export interface PdsServerConfig {
  /** `https://{domain_id}.api.aliyunpds.com`, or the emulator's URL. */
  baseUrl: string;
  /** The domain id (JWT `aud`). */
  domainId: string;
  /** The drive files go to. */
  driveId: string;
  /** A fixed access token (PDS_ACCESS_TOKEN; the emulator accepts one). Give this or `jwt`. */
  accessToken?: string;
  /** A JWT app: the backend gets tokens with the jwt-bearer grant (cloud-apis.md §2.2). */
  jwt?: PdsJwtApp;
  /** Part size when the browser names none (bytes). Default PDS_DEFAULT_PART_SIZE. */
  partSize?: number;
  /** Smallest part size planned (bytes). Default PDS_MIN_PART_SIZE; lower it only for a test emulator. */
  minPartSize?: number;
  /** Ask for parallel mode (SHA-1 contexts per part). Default true; falls back to serial when refused. */
  parallel?: boolean;
  /** Parts in flight in parallel mode. Default PDS_DEFAULT_PARALLEL_CONCURRENCY. */
  parallelConcurrency?: number;
  /** Smallest file that probes rapid upload with `pre_hash` (bytes). Default PDS_DEFAULT_RAPID_MIN_SIZE. */
  rapidUploadMinSize?: number;
  /** Default `auto_rename` (never overwrite, never fail on a name clash). */
  checkNameMode?: PdsCheckNameMode;
}

/** Dependencies the handler shares with every provider. */
export interface PdsProviderContext {
  fetch: typeof fetch;
  now: () => number;
}

/** What the signed ticket remembers of a PDS upload, packed into its `api` field. */
interface PdsRef {
  mode: 'serial' | 'parallel';
  driveId: string;
  fileId: string;
}

/** A failed PDS call, before it is classified. */
class PdsCallError extends Error {
  override readonly name = 'PdsCallError';
  readonly status: number;
  readonly code: string;
  readonly headers: Headers;
  constructor(status: number, code: string, headers: Headers) {
    super(`PDS ${status} ${code}`);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  toHttpError(): HttpError {
    return pdsError(this.code, this.status, this.headers);
  }
}

/** `api` of a ticket: `serial.<drive>.<file>` or `parallel.<drive>.<file>` (ids are [a-z0-9] / digits). */
function encodeRef(ref: PdsRef): string {
  return `${ref.mode}.${ref.driveId}.${ref.fileId}`;
}

function decodeRef(api: string): PdsRef | undefined {
  const m = /^(serial|parallel)\.(\d{1,20})\.([a-z0-9]{1,64})$/.exec(api);
  return m ? { mode: m[1] as PdsRef['mode'], driveId: m[2]!, fileId: m[3]! } : undefined;
}

function bad(message: string): HttpError {
  return new HttpError(400, { code: 'bad-request', kind: 'fatal', message });
}

function badResponse(message: string): HttpError {
  return new HttpError(502, { code: 'bad-response', kind: 'retry', message });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUint32(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff;
}

/**
 * Where the v1 rapid-upload proof reads the file: `MD5(access_token)` → first 16 hex digits as a
 * uint64 → mod size; 8 bytes or to the end (cloud-apis.md §2.9 item 3).
 */
export function pdsProofRange(accessToken: string, size: number): { offset: number; length: number } {
  const m = createHash('md5').update(accessToken, 'utf8').digest('hex');
  const offset = Number(BigInt(`0x${m.slice(0, 16)}`) % BigInt(size));
  return { offset, length: Math.min(8, size - offset) };
}

/**
 * The part plan: the browser's (or configured) size, within the OSS limits, rounded up to 64 bytes
 * so parallel contexts fall on block boundaries, and grown until the file fits in 10 000 parts
 * (cloud-apis.md §2.5, §2.10). An empty file is one empty part.
 */
export function pdsPartPlan(size: number, preferred: number, minPartSize: number): { partSize: number; partCount: number } {
  const roundUp = (n: number): number => Math.ceil(n / SHA1_BLOCK_BYTES) * SHA1_BLOCK_BYTES;
  let partSize = roundUp(Math.min(PDS_MAX_PART_SIZE, Math.max(minPartSize, preferred)));
  if (Math.ceil(size / partSize) > PDS_MAX_PARTS) partSize = roundUp(Math.ceil(size / PDS_MAX_PARTS));
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

/** What the rapid-upload exchange asks of the browser next (docs/protocol.md §PDS). */
type RapidNeed = { need: 'sha1' } | { need: 'proof'; offset: number; length: number };

/**
 * Aliyun PDS behind the token-vending backend (cloud-apis.md §2): the backend creates the file
 * with its own access token (fixed, or from a JWT app), and the browser PUTs parts straight to
 * presigned OSS URLs that the backend vends just in time (`part-urls`). Parallel mode sends a
 * SHA-1 context per part; serial mode (the fallback when PDS refuses parallel) sends parts one
 * at a time in order. Rapid upload is a short exchange: pre_hash probe → full SHA-1 → v1 proof
 * bytes the backend names (docs/protocol.md §PDS). The access token never reaches the browser.
 *
 * @example
 * const pds = new PdsProvider({ baseUrl, domainId: 'bj1', driveId: '1', jwt: { clientId, privateKey, subject } }, { fetch, now: Date.now });
 */
export class PdsProvider implements ServerProvider {
  readonly name = 'pds' as const;
  readonly uploadLifetimeMs = PDS_UPLOAD_LIFETIME_MS;
  #config: PdsServerConfig;
  #fetch: typeof fetch;
  #now: () => number;
  #tokens: PdsTokenSource;

  constructor(config: PdsServerConfig, context: PdsProviderContext) {
    if (!/^\d{1,20}$/.test(config.driveId)) throw new TypeError('PDS driveId must be digits');
    this.#config = config;
    this.#fetch = context.fetch;
    this.#now = context.now;
    this.#tokens = new PdsTokenSource({
      baseUrl: config.baseUrl,
      domainId: config.domainId,
      fetch: context.fetch,
      now: context.now,
      ...(config.accessToken !== undefined && { accessToken: config.accessToken }),
      ...(config.jwt !== undefined && { jwt: config.jwt }),
    });
  }

  async createSession(input: ProviderCreateInput, signal: AbortSignal): Promise<ProviderSession> {
    const options = this.#options(input.providerOptions);
    if (!FILE_ID.test(input.target)) throw bad('For PDS, `target` is a parent_file_id: "root" or 1..50 lowercase letters and digits');
    const hashes = parseHashes(input.hashes);
    const plan = pdsPartPlan(input.size, input.partSize ?? this.#config.partSize ?? PDS_DEFAULT_PART_SIZE, this.#config.minPartSize ?? PDS_MIN_PART_SIZE);
    let parallel = options.parallel;
    let rapid = input.size > 0;
    for (let attempt = 0; attempt < 4; attempt++) {
      const token = await this.#tokens.get();
      const body: Record<string, unknown> = {
        drive_id: this.#config.driveId,
        parent_file_id: input.target,
        name: input.fileName,
        type: 'file',
        size: input.size,
        check_name_mode: options.checkNameMode,
        ...(input.mimeType !== undefined && input.mimeType !== '' && { content_type: input.mimeType }),
        ...(parallel && { parallel_upload: true }),
        // Every part declared up front; part 1's context is known ({h: [], part_offset: 0}).
        part_info_list: Array.from({ length: plan.partCount }, (_, i) => ({
          part_number: i + 1,
          ...(parallel && i === 0 && { parallel_sha1_ctx: { h: [], part_offset: 0 } }),
        })),
      };
      if (rapid && hashes.sha1 !== undefined) {
        // The proof is tied to this token (§2.9 item 3): ask the browser for the bytes it names.
        const range = pdsProofRange(token, input.size);
        if (hashes.proofBytes === undefined || hashes.proofOffset !== range.offset) {
          return this.#rapidStep(plan, parallel, { need: 'proof', ...range });
        }
        if (hashes.proofBytes.length !== range.length) throw bad(`hashes.proofBytes must be the ${range.length} bytes at offset ${range.offset}, base64`);
        Object.assign(body, {
          content_hash: hashes.sha1.toUpperCase(),
          content_hash_name: 'sha1',
          proof_code: Buffer.from(hashes.proofBytes).toString('base64'),
          proof_version: 'v1',
        });
      } else if (rapid && hashes.preHash !== undefined && input.size >= (this.#config.rapidUploadMinSize ?? PDS_DEFAULT_RAPID_MIN_SIZE)) {
        body['pre_hash'] = hashes.preHash.toLowerCase();
      } else if (hashes.sha1 !== undefined) {
        // No rapid attempt, but PDS still checks the bytes against the SHA-1 at complete.
        Object.assign(body, { content_hash: hashes.sha1.toUpperCase(), content_hash_name: 'sha1' });
      }
      let created: Record<string, unknown>;
      try {
        created = await this.#post('/v2/file/create', token, body, signal);
      } catch (error) {
        if (!(error instanceof PdsCallError)) throw error;
        if (PDS_AUTH_CODES.has(error.code) && attempt === 0 && this.#tokens.refreshable) {
          this.#tokens.invalidate(token);
          continue;
        }
        // Pre-hash matched: the browser computes the full SHA-1 and creates again (§2.4).
        if (error.code === 'PreHashMatched') return this.#rapidStep(plan, parallel, { need: 'sha1' });
        // A bad proof: create again without rapid-upload fields (§2.11).
        if (error.code === 'InvalidRapidProof' && rapid) {
          rapid = false;
          continue;
        }
        // Parallel refused: serial mode, parts one at a time (§2.4, §2.11).
        if (error.code.startsWith('InvalidParameterNotSupported.ParallelUpload') && parallel) {
          parallel = false;
          continue;
        }
        throw error.toHttpError();
      }
      return this.#session(input, plan, parallel, created, signal);
    }
    throw new HttpError(502, { code: 'server-error', kind: 'retry', message: 'PDS kept refusing to create the file' });
  }

  async partUrls(ticket: UploadTicket, request: PartUrlsRequest, signal: AbortSignal): Promise<PartUrlsResponse> {
    const ref = this.#ref(ticket);
    const indexes = request.indexes;
    if (indexes.length === 0 || indexes.length > PDS_MAX_URLS_PER_REQUEST) throw bad(`Ask for 1..${PDS_MAX_URLS_PER_REQUEST} part URLs at a time`);
    if (new Set(indexes).size !== indexes.length || !indexes.every((i) => Number.isSafeInteger(i) && i >= 0 && i < ticket.partCount)) {
      throw bad(`Part indexes must be distinct integers 0..${ticket.partCount - 1}`);
    }
    const parts = indexes.map((index) => ({
      part_number: index + 1,
      ...(ref.mode === 'parallel' && { parallel_sha1_ctx: parseCtx(index, ticket.partSize, request.checksums?.[String(index)]) }),
    }));
    const data = await this.#json('/v2/file/get_upload_url', { drive_id: ref.driveId, file_id: ref.fileId, upload_id: ticket.uploadId, part_info_list: parts }, signal);
    return { urls: this.#partUrlsOf(data, indexes) };
  }

  async listParts(ticket: UploadTicket, signal: AbortSignal): Promise<PartReceipt[]> {
    const ref = this.#ref(ticket);
    const receipts: PartReceipt[] = [];
    let marker = '';
    for (let page = 0; page <= Math.ceil(PDS_MAX_PARTS / LIST_PAGE); page++) {
      const data = await this.#json('/v2/file/list_uploaded_parts', {
        drive_id: ref.driveId, file_id: ref.fileId, upload_id: ticket.uploadId, limit: LIST_PAGE,
        ...(marker !== '' && { part_number_marker: Number(marker) }),
      }, signal);
      const parts = data['uploaded_parts'];
      if (!Array.isArray(parts)) throw badResponse('PDS sent an unreadable part list');
      for (const part of parts as unknown[]) {
        if (!isRecord(part) || !Number.isSafeInteger(part['part_number'])) throw badResponse('PDS sent an unreadable part list');
        const index = (part['part_number'] as number) - 1;
        if (index < 0 || index >= ticket.partCount) continue;
        receipts.push({ index, ...(typeof part['etag'] === 'string' && { etag: part['etag'] }) });
      }
      const next = data['next_part_number_marker'];
      marker = typeof next === 'string' ? next : typeof next === 'number' ? String(next) : '';
      if (marker === '' || !/^\d+$/.test(marker)) return receipts;
    }
    return receipts;
  }

  async complete(ticket: UploadTicket, request: CompleteRequest, signal: AbortSignal): Promise<UploadResult> {
    const ref = this.#ref(ticket);
    if (request.crc64 !== undefined && !/^\d{1,20}$/.test(request.crc64)) throw bad('`crc64` must be the CRC-64/ECMA of the file as an unsigned decimal');
    if (request.sha1 !== undefined && !SHA1_HEX.test(request.sha1)) throw bad('`sha1` must be 40 hex digits');
    const etags = request.parts
      .filter((p) => Number.isSafeInteger(p.index) && p.index >= 0 && p.index < ticket.partCount && typeof p.etag === 'string')
      .sort((a, b) => a.index - b.index)
      .map((p) => ({ part_number: p.index + 1, etag: p.etag }));
    let file: Record<string, unknown>;
    try {
      file = await this.#json('/v2/file/complete', {
        drive_id: ref.driveId, file_id: ref.fileId, upload_id: ticket.uploadId,
        ...(etags.length === ticket.partCount && { part_info_list: etags }),
        ...(request.crc64 !== undefined && { crc64_hash: request.crc64 }),
      }, signal);
    } catch (error) {
      // A retried complete whose first try succeeded: PDS answers NotFound.UploadId, the file
      // is there (the JS SDK confirms with /v2/file/get, cloud-apis.md §2.8).
      if (!(error instanceof HttpError) || error.data.providerCode !== 'NotFound.UploadId') throw error;
      file = await this.#json('/v2/file/get', { drive_id: ref.driveId, file_id: ref.fileId }, signal);
      if (file['status'] !== 'available' || file['upload_id'] !== ticket.uploadId) throw error;
    }
    if (file['size'] !== ticket.size) throw badResponse('PDS stored a file of another size');
    const hash = file['content_hash'];
    if (request.sha1 !== undefined && (typeof hash !== 'string' || hash.toLowerCase() !== request.sha1.toLowerCase())) {
      throw new HttpError(400, { code: 'checksum-mismatch', kind: 'fatal', message: 'The stored file does not have the SHA-1 the browser computed' });
    }
    return this.#result(file, ticket.size, ref.driveId);
  }

  /**
   * PDS has no "abort upload" call (cloud-apis.md §2): the parts would linger 10 days. A file
   * still `uploading` under this upload id is deleted with `/v2/file/delete`; a finished one
   * is left alone.
   */
  async abort(ticket: UploadTicket, signal: AbortSignal): Promise<void> {
    const ref = decodeRef(ticket.api);
    if (ref === undefined || ticket.uploadId === '') return;
    let file: Record<string, unknown>;
    try {
      file = await this.#json('/v2/file/get', { drive_id: ref.driveId, file_id: ref.fileId }, signal);
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return;
      throw error;
    }
    if (file['status'] === 'available' || file['upload_id'] !== ticket.uploadId) return;
    try {
      await this.#json('/v2/file/delete', { drive_id: ref.driveId, file_id: ref.fileId }, signal);
    } catch (error) {
      if (!(error instanceof HttpError && error.status === 404)) throw error;
    }
  }

  // ---- helpers -------------------------------------------------------------------------

  #options(options: Record<string, string | number | boolean>): { checkNameMode: PdsCheckNameMode; parallel: boolean } {
    const known = new Set(['checkNameMode', 'parallel']);
    const unknown = Object.keys(options).filter((k) => !known.has(k));
    if (unknown.length > 0) throw bad(`Unknown providerOptions for PDS: ${unknown.join(', ')}`);
    const mode = options['checkNameMode'] ?? this.#config.checkNameMode ?? 'auto_rename';
    if (mode !== 'auto_rename' && mode !== 'refuse' && mode !== 'ignore') throw bad('providerOptions.checkNameMode must be auto_rename, refuse or ignore');
    const parallel = options['parallel'] ?? this.#config.parallel ?? true;
    if (typeof parallel !== 'boolean') throw bad('providerOptions.parallel must be a boolean');
    return { checkNameMode: mode, parallel };
  }

  #ref(ticket: UploadTicket): PdsRef {
    const ref = decodeRef(ticket.api);
    if (ref === undefined || ticket.uploadId === '') throw bad('This ticket has no PDS upload (rapid-upload step or finished): create the session again');
    return ref;
  }

  #traffic(parallel: boolean): ProviderSession['traffic'] {
    // Serial mode: "必须按照顺序upload parts，并发数只能设置为1" (cloud-apis.md §2.5).
    return { maxConcurrency: parallel ? this.#config.parallelConcurrency ?? PDS_DEFAULT_PARALLEL_CONCURRENCY : 1, minIntervalMs: 0 };
  }

  #checksum(parallel: boolean): PartChecksumKind | null {
    return parallel ? 'sha1-ctx' : null;
  }

  /** A session with no upload: the browser must answer `rapidUpload.need` and create again. */
  #rapidStep(plan: ProviderSession['plan'], parallel: boolean, need: RapidNeed): ProviderSession {
    return {
      uploadId: '',
      api: 'rapid',
      plan,
      traffic: this.#traffic(parallel),
      transport: 'direct',
      partChecksum: this.#checksum(parallel),
      providerData: { driveId: this.#config.driveId, mode: parallel ? 'parallel' : 'serial', rapidUpload: need },
    };
  }

  async #session(input: ProviderCreateInput, plan: ProviderSession['plan'], parallel: boolean, created: Record<string, unknown>, signal: AbortSignal): Promise<ProviderSession> {
    const fileId = created['file_id'];
    const fileName = typeof created['file_name'] === 'string' ? created['file_name'] : input.fileName;
    if (typeof fileId !== 'string' || !/^[a-z0-9]{1,64}$/.test(fileId)) throw badResponse('PDS did not return a usable file id');
    if (created['exist'] === true) {
      throw new HttpError(409, { code: 'invalid-name', kind: 'fatal', message: 'A file with this name already exists in the target folder' });
    }
    const base = { plan, traffic: this.#traffic(parallel), transport: 'direct' as const, partChecksum: this.#checksum(parallel) };
    if (created['rapid_upload'] === true) {
      const result: UploadResult = { provider: 'pds', name: fileName, size: input.size, fileId, driveId: this.#config.driveId, rapid: true };
      const url = await this.#downloadUrl(fileId, signal);
      if (url !== undefined) result.downloadUrl = url;
      return { ...base, uploadId: '', api: 'rapid', result, providerData: { driveId: this.#config.driveId, fileId, fileName, mode: parallel ? 'parallel' : 'serial' } };
    }
    const uploadId = created['upload_id'];
    if (typeof uploadId !== 'string' || uploadId === '' || uploadId.length > 256) throw badResponse('PDS did not return an upload id');
    // Parallel: only part 1's context is known before hashing; serial: a first batch in order.
    const firstBatch = Array.from({ length: parallel ? 1 : Math.min(plan.partCount, PDS_FIRST_URL_BATCH) }, (_, i) => i);
    const partUrls = this.#partUrlsOf(created, firstBatch);
    return {
      ...base,
      uploadId,
      api: encodeRef({ mode: parallel ? 'parallel' : 'serial', driveId: this.#config.driveId, fileId }),
      providerData: { driveId: this.#config.driveId, fileId, fileName, mode: parallel ? 'parallel' : 'serial', partUrls },
    };
  }

  /** The PartUrls for `indexes` out of a create / get_upload_url answer. */
  #partUrlsOf(data: Record<string, unknown>, indexes: readonly number[]): PartUrl[] {
    const list = data['part_info_list'];
    if (!Array.isArray(list)) throw badResponse('PDS sent no part URLs');
    const byNumber = new Map<number, Record<string, unknown>>();
    for (const item of list as unknown[]) if (isRecord(item) && Number.isSafeInteger(item['part_number'])) byNumber.set(item['part_number'] as number, item);
    return indexes.map((index): PartUrl => {
      const item = byNumber.get(index + 1);
      const url = item?.['upload_url'];
      if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw badResponse(`PDS sent no URL for part ${index + 1}`);
      const contentType = item?.['content_type'];
      return {
        index,
        url,
        method: 'PUT',
        // Send exactly the returned content_type, or none when it is "" (OSS signs it, §2.5).
        headers: typeof contentType === 'string' && contentType !== '' ? { 'content-type': contentType } : {},
        expiresAt: this.#expiresAt(url),
      };
    });
  }

  /** `Expires` (OSS V1) or `x-oss-expires` of a presigned URL, in ms; else 15 min from now. */
  #expiresAt(url: string): number {
    const query = new URL(url).searchParams;
    const seconds = Number(query.get('Expires') ?? query.get('x-oss-expires') ?? NaN);
    return Number.isSafeInteger(seconds) && seconds > 0 ? seconds * 1000 : this.#now() + PDS_URL_TTL_MS;
  }

  async #downloadUrl(fileId: string, signal: AbortSignal): Promise<string | undefined> {
    try {
      const data = await this.#json('/v2/file/get_download_url', { drive_id: this.#config.driveId, file_id: fileId }, signal);
      return typeof data['url'] === 'string' ? data['url'] : undefined;
    } catch (error) {
      if (signal.aborted) throw error;
      return undefined;
    }
  }

  #result(file: Record<string, unknown>, size: number, driveId: string): UploadResult {
    const fileId = file['file_id'];
    const name = file['name'];
    if (typeof fileId !== 'string' || typeof name !== 'string') throw badResponse('PDS sent an unreadable file object');
    const url = file['download_url'] ?? file['url'];
    return { provider: 'pds', name, size, fileId, driveId, ...(typeof url === 'string' && url !== '' && { downloadUrl: url }) };
  }

  /** A JSON call with one token refresh on an auth error (safe: the body can be re-sent). */
  async #json(path: string, payload: unknown, signal: AbortSignal): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.#tokens.get();
      try {
        return await this.#post(path, token, payload, signal);
      } catch (error) {
        if (!(error instanceof PdsCallError)) throw error;
        if (PDS_AUTH_CODES.has(error.code) && attempt === 0 && this.#tokens.refreshable) {
          this.#tokens.invalidate(token);
          continue;
        }
        throw error.toHttpError();
      }
    }
  }

  /** One POST; resolves with the JSON body of a 2xx (create is 201, delete 204), rejects with PdsCallError on a PDS error. */
  async #post(path: string, token: string, payload: unknown, signal: AbortSignal): Promise<Record<string, unknown>> {
    const response = await fetchUpstream(this.#fetch, new URL(path, this.#config.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` },
      body: JSON.stringify(payload),
      signal,
    }, 'The backend could not reach PDS');
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      body = null;
    }
    if (response.ok) {
      if (!isRecord(body)) throw badResponse(`PDS sent an unreadable response (HTTP ${response.status})`);
      return body;
    }
    // Gateway errors carry the code in headers and no body (cloud-apis.md §2.3).
    const code = (isRecord(body) && typeof body['code'] === 'string' ? body['code'] : undefined) ?? response.headers.get('x-ca-error-code');
    if (code === null || code === '') throw pdsError(`HTTP${response.status}`, response.status, response.headers);
    throw new PdsCallError(response.status, code, response.headers);
  }
}

/** Validated `CreateSessionRequest.hashes` for PDS (docs/protocol.md §PDS). */
function parseHashes(hashes: Record<string, string | undefined> | undefined): { sha1?: string; preHash?: string; proofOffset?: number; proofBytes?: Uint8Array } {
  const out: { sha1?: string; preHash?: string; proofOffset?: number; proofBytes?: Uint8Array } = {};
  if (hashes === undefined) return out;
  const { sha1, preHash, proofOffset, proofBytes } = hashes;
  if (sha1 !== undefined) {
    if (!SHA1_HEX.test(sha1)) throw bad('hashes.sha1 must be the SHA-1 of the whole file, 40 hex digits');
    out.sha1 = sha1;
  }
  if (preHash !== undefined) {
    if (!SHA1_HEX.test(preHash)) throw bad('hashes.preHash must be the SHA-1 of the first 1024 bytes, 40 hex digits');
    out.preHash = preHash;
  }
  if ((proofOffset === undefined) !== (proofBytes === undefined)) throw bad('hashes.proofOffset and hashes.proofBytes go together');
  if (proofOffset !== undefined && proofBytes !== undefined) {
    if (!/^\d{1,16}$/.test(proofOffset)) throw bad('hashes.proofOffset must be a decimal byte offset');
    if (proofBytes.length > 12 || proofBytes.length % 4 !== 0 || !BASE64.test(proofBytes)) throw bad('hashes.proofBytes must be standard base64 of at most 8 bytes');
    out.proofOffset = Number(proofOffset);
    out.proofBytes = Uint8Array.from(Buffer.from(proofBytes, 'base64'));
  }
  return out;
}

/**
 * A part's `parallel_sha1_ctx` from `PartUrlsRequest.checksums[index]`: the JSON
 * `{"h":[five uint32],"part_offset":start}` the hash pool gives (`h: []` and 0 for the first
 * part, cloud-apis.md §2.9 item 4). `part_offset` must be where the plan puts the part.
 */
function parseCtx(index: number, partSize: number, raw: string | undefined): { h: number[]; part_offset: number } {
  if (raw === undefined) {
    if (index === 0) return { h: [], part_offset: 0 };
    throw bad(`checksums["${index}"] must carry the part's sha1-ctx in parallel mode`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw bad(`checksums["${index}"] is not JSON`);
  }
  const h = isRecord(value) ? value['h'] : undefined;
  const offset = isRecord(value) ? value['part_offset'] : undefined;
  if (offset !== index * partSize) throw bad(`checksums["${index}"].part_offset must be ${index * partSize}`);
  if (!Array.isArray(h) || !(index === 0 ? h.length === 0 : h.length === 5 && h.every(isUint32))) {
    throw bad(`checksums["${index}"].h must be ${index === 0 ? '[]' : 'five unsigned 32-bit words'}`);
  }
  return { h: [...(h as number[])], part_offset: offset };
}
