import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import { readAdminJson } from '../infra/admin-routes.js';
import { parseRange, sendStoredObject } from '../infra/byte-range.js';
import { escapeXml } from '../infra/escape-xml.js';
import type { TempBlob } from '../infra/blob-store.js';
import type { EmulatorClock } from '../infra/emulator-clock.js';
import type { EmulatorContext } from '../infra/emulator-context.js';
import type { EmulatorFlavour, EmulatorRoute } from '../infra/emulator-route.js';
import type { FaultController } from '../infra/fault-controller.js';
import { RateLimiter } from '../infra/rate-limiter.js';
import { Crc64Ecma } from '../infra/crc64-ecma.js';
import { OssUrlSigner, ossResource } from './oss-url-signer.js';
import { OSS_CODE_STATUS, OSS_EXPIRED_MESSAGE, PDS_DEFAULT_FAULT_CODE, pdsCodeStatus } from './pds-codes.js';
import {
  PDS_MAX_PARTS,
  PDS_NAME_MAX_BYTES,
  PDS_PRE_HASH_BYTES,
  type PdsEmulatorConfig,
  type PdsRateLimitConfig,
} from './pds-config.js';
import { pdsProofRange } from './pds-proof.js';
import { PdsState, type PdsFileRecord, type PdsPartRecord, type PdsUploadRecord, type Sha1Ctx } from './pds-state.js';
import { PDS_JWT_GRANT, PdsTokens, type PdsIssuedToken } from './pds-tokens.js';
import { SHA1_BLOCK_BYTES, SHA1_IV } from '../infra/sha1-compressor.js';
import { WasmSha1 } from '../infra/wasm-sha1.js';

/** What complete checks: the parts' total size, uppercase SHA-1 and CRC-64 (decimal). */
interface PartsDigest {
  size: number;
  sha1: string;
  crc64: string;
}

/** JSON bodies: a 10 000-part `part_info_list` with SHA-1 contexts is about 1 MB. */
const JSON_BODY_LIMIT = 4 * 1024 * 1024;
/** Where the emulator's OSS-like storage lives on the shared server. */
export const PDS_STORAGE_PREFIX = '/pds-data';
/** `list_uploaded_parts` limit: doc 1..100 (default 100), SDK up to 1000 (cloud-apis.md §2.7). */
const LIST_LIMIT_DEFAULT = 100;
const LIST_LIMIT_MAX = 1000;
/** `parent_file_id` / `file_id` pattern (cloud-apis.md §2.4). */
const FILE_ID = /^[a-z0-9]{1,50}$/;
const SHA1_HEX = /^[0-9a-fA-F]{40}$/;
const DECIMAL = /^\d{1,20}$/;
/** `check_name_mode` values (cloud-apis.md §2.4). */
const CHECK_NAME_MODES: ReadonlySet<string> = new Set(['ignore', 'auto_rename', 'refuse']);
/** Longest `expire_sec` accepted by get_download_url ([infer]; 4 h). */
const DOWNLOAD_EXPIRE_MAX_SEC = 4 * 3600;
/** Region shown in `location` (cosmetic). */
const LOCATION = 'cn-hangzhou';

/** What the rest of the emulator hands the flavour. */
export interface PdsEmulatorDeps {
  dataDir: string;
  clock: EmulatorClock;
  faults: FaultController;
  config: PdsEmulatorConfig;
}

/** Settings that may change at run time (admin route `PUT /__emulator/pds/config`). */
export interface PdsRuntimeSettings {
  exposeEtag?: boolean;
  parallelUpload?: boolean;
  urlTtlSec?: number;
  minPartSize?: number;
  rateLimit?: Partial<PdsRateLimitConfig>;
}

/** A documented API failure (JSON `{code, message}` envelope); thrown so validation reads top to bottom. */
class PdsFailure extends Error {
  override readonly name = 'PdsFailure';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** A storage (OSS XML) failure. */
class OssFailure extends Error {
  override readonly name = 'OssFailure';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

function fail(code: string, message: string): never {
  throw new PdsFailure(code, message);
}

function ossFail(code: string, message: string): never {
  throw new OssFailure(code, message);
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUint32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff;
}

/** `a.txt` → `a(1).txt`, `a(2).txt`, … (the auto_rename form is [infer]). */
function renamed(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}(${n})${name.slice(dot)}` : `${name}(${n})`;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function categoryOf(contentType: string): string {
  if (contentType.startsWith('image/')) return 'image';
  if (contentType.startsWith('video/')) return 'video';
  if (contentType.startsWith('audio/')) return 'audio';
  if (contentType.startsWith('text/') || contentType === 'application/pdf') return 'doc';
  return 'others';
}

function sameH(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The Aliyun PDS flavour (cloud-apis.md §2 and §7 "Aliyun PDS / Aliyun Drive"): the `/v2/file/*`
 * API with bearer tokens, `{code, message}` errors and `x-ca-request-id`, plus an OSS-like
 * storage route (`/pds-data/{domain}/{file_id}`) behind presigned, expiring URLs with OSS XML
 * errors and `ETag: "<MD5 UPPER>"`.
 *
 * Choices where the spec is silent are marked [infer] and listed in docs/emulator.md; the
 * main ones: create with a matching `content_hash` but no `proof_code` is a normal upload;
 * parallel SHA-1 contexts are checked at complete (`InvalidParameter.ParallelSha1Ctx`);
 * complete with a gap → `InvalidParameter.PartMissing`; an unknown drive → `NotFound.Drive`.
 */
export class PdsEmulator implements EmulatorFlavour {
  readonly name = 'pds';
  readonly routes: readonly EmulatorRoute[];
  /** Live config; {@link updateSettings} changes parts of it at run time. */
  readonly config: PdsEmulatorConfig;
  readonly #clock: EmulatorClock;
  readonly #faults: FaultController;
  readonly #state: PdsState;
  readonly #tokens: PdsTokens;
  readonly #limiter: RateLimiter;
  readonly #signer: OssUrlSigner;
  /** Upload ids whose complete is running. */
  readonly #finishing = new Set<string>();
  /** `${uploadId}:${part}` of part PUTs being received. */
  readonly #inFlight = new Set<string>();
  /** URLs with `Expires` up to this (s) count as expired ("expire all URLs now"). */
  #revokedUntilSec = 0;
  /** Latest `Expires` handed out (s). */
  #maxIssuedSec = 0;

  constructor(deps: PdsEmulatorDeps) {
    this.config = deps.config;
    this.#clock = deps.clock;
    this.#faults = deps.faults;
    this.#state = new PdsState(deps.dataDir);
    this.#tokens = new PdsTokens(() => this.#clock.now(), () => this.config);
    this.#limiter = new RateLimiter(() => this.#clock.now(), () => ({ ...this.config.rateLimit, perDay: Number.MAX_SAFE_INTEGER }));
    this.#signer = new OssUrlSigner(this.config.ossAccessKeyId, this.config.ossSecret);
    this.routes = this.#buildRoutes();
  }

  /** Loads persisted files and uploads. */
  init(): Promise<void> {
    return this.#state.init();
  }

  /** Waits for state writes. */
  close(): Promise<void> {
    return this.#state.flush();
  }

  /** Makes every presigned URL issued so far expired (403 AccessDenied "Request has expired."). */
  expireUrls(): number {
    this.#revokedUntilSec = Math.max(this.#revokedUntilSec, this.#maxIssuedSec, Math.ceil(this.#clock.now() / 1000));
    return this.#revokedUntilSec;
  }

  /** Expires every open upload now (`NotFound.UploadId` / `NoSuchUpload` from then on); returns how many. */
  async expireUploads(): Promise<number> {
    let count = 0;
    for (const upload of [...this.#state.uploads.values()]) {
      if (upload.expired) continue;
      count++;
      await this.#expire(upload);
    }
    await this.#state.save();
    return count;
  }

  /** Changes run-time settings (e.g. `{ exposeEtag: false }`); throws RangeError on nonsense. */
  updateSettings(patch: PdsRuntimeSettings): void {
    const next = { ...this.config, rateLimit: { ...this.config.rateLimit, ...patch.rateLimit } };
    if (patch.exposeEtag !== undefined) next.exposeEtag = patch.exposeEtag;
    if (patch.parallelUpload !== undefined) next.parallelUpload = patch.parallelUpload;
    if (patch.urlTtlSec !== undefined) next.urlTtlSec = patch.urlTtlSec;
    if (patch.minPartSize !== undefined) next.minPartSize = patch.minPartSize;
    if (typeof next.exposeEtag !== 'boolean' || typeof next.parallelUpload !== 'boolean' || typeof next.rateLimit.enabled !== 'boolean') {
      throw new RangeError('exposeEtag, parallelUpload and rateLimit.enabled must be booleans');
    }
    for (const [name, value] of [['urlTtlSec', next.urlTtlSec], ['minPartSize', next.minPartSize], ['rateLimit.qps', next.rateLimit.qps]] as const) {
      if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number`);
    }
    this.config.exposeEtag = next.exposeEtag;
    this.config.parallelUpload = next.parallelUpload;
    this.config.urlTtlSec = next.urlTtlSec;
    this.config.minPartSize = next.minPartSize;
    this.config.rateLimit = next.rateLimit;
    this.#limiter.reset();
  }

  /** The run-time settings as the admin route shows them (no secrets). */
  settings(): Required<Omit<PdsRuntimeSettings, 'rateLimit'>> & { rateLimit: PdsRateLimitConfig; domainId: string; driveId: string } {
    const c = this.config;
    return { exposeEtag: c.exposeEtag, parallelUpload: c.parallelUpload, urlTtlSec: c.urlTtlSec, minPartSize: c.minPartSize, rateLimit: { ...c.rateLimit }, domainId: c.domainId, driveId: c.driveId };
  }

  /** File records (uploading and available), oldest first, for test assertions and the admin route. */
  files(): PdsFileRecord[] {
    return [...this.#state.files.values()].map((f) => ({ ...f }));
  }

  /** Revokes every token issued by `/v2/oauth/token` (AccessTokenInvalid from now on); returns how many. */
  revokeTokens(): number {
    return this.#tokens.revokeAll();
  }

  /** Issues an expiring access token without HTTP (as `/v2/oauth/token` would). */
  issueToken(subject = 'emulator-user'): PdsIssuedToken {
    return this.#tokens.issue(subject);
  }

  renderFault(ctx: EmulatorContext, code: number | string | null): void {
    const name = code === null ? null : String(code);
    if (ctx.route.startsWith('pds.oss.')) {
      this.#ossBegin(ctx);
      const ossCode = name ?? 'InternalError';
      this.#ossError(ctx, ossCode, ossCode === 'AccessDenied' ? OSS_EXPIRED_MESSAGE : 'emulator fault');
      return;
    }
    this.#begin(ctx);
    if (name === 'D504TO') {
      // Gateway timeout: no JSON body, the code travels in headers (cloud-apis.md §2.3).
      ctx.code = 'D504TO';
      ctx.send(504, '', { 'x-ca-error-code': 'D504TO', 'x-ca-error-message': 'timeout' });
      return;
    }
    this.#fail(ctx, name ?? PDS_DEFAULT_FAULT_CODE, 'emulator fault');
  }

  // ---- responses ----------------------------------------------------------------------

  #begin(ctx: EmulatorContext): void {
    if (ctx.res.getHeader('x-ca-request-id') === undefined) ctx.res.setHeader('x-ca-request-id', randomUUID().toUpperCase());
    if (this.config.cors) {
      ctx.res.setHeader('Access-Control-Allow-Origin', '*');
      ctx.res.setHeader('Access-Control-Expose-Headers', 'x-ca-request-id, x-ca-error-code, x-ca-error-message');
    }
  }

  #fail(ctx: EmulatorContext, code: string, message: string): void {
    ctx.code = code;
    ctx.json(pdsCodeStatus(code), { code, message });
  }

  /** CORS on the storage routes is always on; exposing ETag is the toggle (cloud-apis.md §2.12, §7). */
  #ossBegin(ctx: EmulatorContext): void {
    if (ctx.res.getHeader('x-oss-request-id') === undefined) ctx.res.setHeader('x-oss-request-id', hex(12).toUpperCase());
    ctx.res.setHeader('Access-Control-Allow-Origin', '*');
    ctx.res.setHeader('Access-Control-Expose-Headers', this.config.exposeEtag ? 'ETag, x-oss-request-id, x-oss-hash-crc64ecma' : 'x-oss-request-id');
  }

  /** OSS XML error body (cloud-apis.md §2.3). */
  #ossError(ctx: EmulatorContext, code: string, message: string): void {
    ctx.code = code;
    const requestId = String(ctx.res.getHeader('x-oss-request-id') ?? '');
    const body = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<Error>',
      `  <Code>${escapeXml(code)}</Code>`,
      `  <Message>${escapeXml(message)}</Message>`,
      `  <RequestId>${requestId}</RequestId>`,
      `  <HostId>${escapeXml(ctx.header('host') ?? 'emulator')}</HostId>`,
      '</Error>',
      '',
    ].join('\n');
    ctx.send(OSS_CODE_STATUS[code] ?? 500, body, { 'Content-Type': 'application/xml' });
  }

  // ---- routes -------------------------------------------------------------------------

  #buildRoutes(): EmulatorRoute[] {
    const api = (handler: (ctx: EmulatorContext) => Promise<void>): EmulatorRoute['handle'] => async (ctx) => {
      this.#begin(ctx);
      try {
        await handler(ctx);
      } catch (error) {
        if (!(error instanceof PdsFailure)) throw error;
        await ctx.discardBody();
        this.#fail(ctx, error.code, error.message);
      }
    };
    const oss = (handler: (ctx: EmulatorContext) => Promise<void>): EmulatorRoute['handle'] => async (ctx) => {
      this.#ossBegin(ctx);
      try {
        await handler(ctx);
      } catch (error) {
        if (!(error instanceof OssFailure)) throw error;
        await ctx.discardBody();
        this.#ossError(ctx, error.code, error.message);
      }
    };
    const post = (name: string, path: string, handler: (ctx: EmulatorContext) => Promise<void>): EmulatorRoute => ({ name: `pds.${name}`, method: 'POST', path, handle: api(handler) });
    const storage = `${PDS_STORAGE_PREFIX}/:bucket/:object`;
    const admin = (method: string, path: string, name: string, handle: EmulatorRoute['handle']): EmulatorRoute => ({ name: `admin.pds.${name}`, method, path: `/__emulator/pds/${path}`, admin: true, handle });
    return [
      { name: 'pds.preflight', method: 'OPTIONS', path: '/v2/*', handle: api((ctx) => this.#preflight(ctx)) },
      post('oauth.token', '/v2/oauth/token', (ctx) => this.#token(ctx)),
      post('file.create', '/v2/file/create', (ctx) => this.#create(ctx)),
      post('file.get_upload_url', '/v2/file/get_upload_url', (ctx) => this.#getUploadUrl(ctx)),
      post('file.list_uploaded_parts', '/v2/file/list_uploaded_parts', (ctx) => this.#listParts(ctx)),
      post('file.complete', '/v2/file/complete', (ctx) => this.#complete(ctx)),
      post('file.get', '/v2/file/get', (ctx) => this.#get(ctx)),
      post('file.get_download_url', '/v2/file/get_download_url', (ctx) => this.#getDownloadUrl(ctx)),
      post('file.delete', '/v2/file/delete', (ctx) => this.#delete(ctx)),
      { name: 'pds.oss.preflight', method: 'OPTIONS', path: storage, handle: oss((ctx) => this.#ossPreflight(ctx)) },
      { name: 'pds.oss.put_part', method: 'PUT', path: storage, handle: oss((ctx) => this.#putPart(ctx)) },
      { name: 'pds.oss.get_object', method: 'GET', path: storage, handle: oss((ctx) => this.#getObject(ctx)) },
      admin('POST', 'expire-urls', 'expire_urls', async (ctx) => {
        await ctx.discardBody();
        ctx.json(200, { revokedUntil: this.expireUrls() });
      }),
      admin('POST', 'expire-uploads', 'expire_uploads', async (ctx) => {
        await ctx.discardBody();
        ctx.json(200, { expired: await this.expireUploads() });
      }),
      admin('POST', 'revoke-tokens', 'revoke_tokens', async (ctx) => {
        await ctx.discardBody();
        ctx.json(200, { revoked: this.revokeTokens() });
      }),
      admin('GET', 'files', 'files', (ctx) => ctx.json(200, { files: this.files() })),
      admin('GET', 'config', 'config.get', (ctx) => ctx.json(200, this.settings())),
      admin('PUT', 'config', 'config.put', async (ctx) => {
        const body = await readAdminJson(ctx);
        if (body === undefined) return;
        try {
          this.updateSettings(body as PdsRuntimeSettings);
        } catch (error) {
          ctx.json(400, { error: error instanceof Error ? error.message : String(error) });
          return;
        }
        ctx.json(200, this.settings());
      }),
    ];
  }

  async #preflight(ctx: EmulatorContext): Promise<void> {
    await ctx.discardBody();
    const headers: OutgoingHttpHeaders = this.config.cors
      ? { 'Access-Control-Allow-Methods': 'POST, OPTIONS', 'Access-Control-Allow-Headers': 'Authorization, Content-Type, x-share-token', 'Access-Control-Max-Age': '600' }
      : {};
    ctx.send(204, '', headers);
  }

  async #ossPreflight(ctx: EmulatorContext): Promise<void> {
    await ctx.discardBody();
    ctx.send(204, '', {
      'Access-Control-Allow-Methods': 'PUT, GET, HEAD',
      'Access-Control-Allow-Headers': 'Content-Type, Content-MD5, Range',
      'Access-Control-Max-Age': '600',
    });
  }

  // ---- API helpers --------------------------------------------------------------------

  async #readJson(ctx: EmulatorContext): Promise<Record<string, unknown>> {
    const body = await ctx.readBody(JSON_BODY_LIMIT);
    if (body === undefined) fail('InvalidParameter', `JSON body larger than ${JSON_BODY_LIMIT} bytes`);
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      fail('InvalidRequestJSONFormat', 'the request body is not valid JSON');
    }
    if (!isRecord(value)) fail('InvalidRequestJSONFormat', 'the request body must be a JSON object');
    return value;
  }

  /** Bearer check (cloud-apis.md §2.1, §7); returns the token (v1 proofs are computed with it). */
  #authorize(ctx: EmulatorContext): string {
    const header = ctx.header('authorization');
    const token = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (token === undefined) fail('AccessTokenInvalid', 'AccessToken is required: Authorization: Bearer <access_token>');
    const check = this.#tokens.check(token);
    if (!check.ok) fail(check.code, check.code === 'AccessTokenExpired' ? 'AccessToken expired' : 'AccessToken is invalid');
    return token;
  }

  /** 429 TooManyRequests when the (optional) limiter trips (cloud-apis.md §2.10, §7). */
  #rateLimit(ctx: EmulatorContext, token: string): void {
    if (this.#limiter.take(`${token}:${ctx.route}`) !== 'ok') fail('TooManyRequests', 'too many requests; slow down');
  }

  /** Auth, rate limit, JSON body and `drive_id`, in that order. */
  async #apiRequest(ctx: EmulatorContext): Promise<{ token: string; body: Record<string, unknown> }> {
    const token = this.#authorize(ctx);
    this.#rateLimit(ctx, token);
    const body = await this.#readJson(ctx);
    if (body['share_id'] !== undefined) fail('InvalidParameterNotSupported.ShareId', 'share_id uploads are not emulated');
    const drive = body['drive_id'];
    if (drive === undefined || drive === '') fail('InvalidParameterMissing.DriveId', 'drive_id is required');
    if (typeof drive !== 'string' && typeof drive !== 'number') fail('InvalidParameter.DriveId', 'drive_id must be a string');
    if (String(drive) !== this.config.driveId) fail('NotFound.Drive', `drive ${String(drive)} does not exist`);
    return { token, body };
  }

  #isExpired(upload: PdsUploadRecord): boolean {
    return upload.expired || this.#clock.now() - upload.createdAt >= this.config.uploadTtlMs;
  }

  /** Parts are cleaned after the upload's lifetime (seed 003); its `uploading` file record goes with them. */
  async #expire(upload: PdsUploadRecord): Promise<void> {
    upload.expired = true;
    upload.parts = {};
    await this.#state.store.deleteUpload(upload.uploadId);
    const file = this.#state.files.get(upload.fileId);
    if (file?.status === 'uploading' && file.uploadId === upload.uploadId) this.#state.files.delete(file.fileId);
  }

  /** The open upload named by the body's `upload_id` + `file_id`, checked for expiry. */
  async #openUpload(body: Record<string, unknown>): Promise<PdsUploadRecord> {
    const uploadId = body['upload_id'];
    const fileId = body['file_id'];
    if (typeof fileId !== 'string' || fileId === '') fail('InvalidParameterMissing.FileId', 'file_id is required');
    if (typeof uploadId !== 'string' || uploadId === '') fail('InvalidParameterMissing.UploadId', 'upload_id is required');
    const upload = this.#state.uploads.get(uploadId);
    if (!upload || upload.fileId !== fileId) fail('NotFound.UploadId', 'the upload does not exist, has finished or has expired');
    if (this.#isExpired(upload)) {
      if (!upload.expired || Object.keys(upload.parts).length > 0 || this.#state.files.get(upload.fileId)?.status === 'uploading') {
        await this.#expire(upload);
        await this.#state.save();
      }
      fail('NotFound.UploadId', 'the upload has expired (parts are kept 10 days)');
    }
    return upload;
  }

  /** Drops upload records long past expiry, so state.json does not grow without bound. */
  async #sweep(): Promise<void> {
    const cutoff = this.#clock.now() - 2 * this.config.uploadTtlMs;
    for (const [id, upload] of this.#state.uploads) {
      if (upload.createdAt < cutoff) {
        if (!upload.expired) await this.#expire(upload);
        this.#state.uploads.delete(id);
      }
    }
  }

  /** Origin of part and download URLs: the configured one, else the Host the client used. */
  #origin(ctx: EmulatorContext): string {
    if (this.config.publicUrl) return this.config.publicUrl.replace(/\/+$/, '');
    const host = ctx.header('host');
    return `http://${host !== undefined && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? host : '127.0.0.1'}`;
  }

  /** `Expires` for a new URL: after any revocation, so fresh URLs work at once. */
  #expires(ttlSec: number): number {
    const expires = Math.max(Math.ceil(this.#clock.now() / 1000) + ttlSec, this.#revokedUntilSec + 1);
    this.#maxIssuedSec = Math.max(this.#maxIssuedSec, expires);
    return expires;
  }

  #presign(ctx: EmulatorContext, method: 'PUT' | 'GET', fileId: string, sub: Record<string, string>, ttlSec: number): string {
    const expires = this.#expires(ttlSec);
    const resource = ossResource(this.config.domainId, fileId, sub);
    const signature = this.#signer.sign({ method, contentMd5: '', contentType: '', expires, resource });
    const query = new URLSearchParams({ ...sub, Expires: String(expires), OSSAccessKeyId: this.#signer.accessKeyId, Signature: signature });
    return `${this.#origin(ctx)}${PDS_STORAGE_PREFIX}/${this.config.domainId}/${fileId}?${query.toString()}`;
  }

  #partInfo(ctx: EmulatorContext, upload: PdsUploadRecord, partNumber: number): Record<string, unknown> {
    const url = this.#presign(ctx, 'PUT', upload.fileId, { partNumber: String(partNumber), uploadId: upload.uploadId }, this.config.urlTtlSec);
    // content_type "" is what the URL signs; clients send exactly it or none (§2.5).
    return { part_number: partNumber, upload_url: url, internal_upload_url: url, content_type: '' };
  }

  /** Checks a `part_info_list` (create / get_upload_url) and returns part numbers with any SHA-1 ctx. */
  #partInfoList(value: unknown, parallel: boolean, required: boolean): { partNumber: number; ctx?: Sha1Ctx }[] {
    if (value === undefined && !required) return [{ partNumber: 1, ...(parallel && { ctx: { h: [], part_offset: 0 } }) }];
    if (!Array.isArray(value) || (required && value.length === 0)) fail('InvalidParameter.PartInfoList', 'part_info_list must be a non-empty array');
    if (value.length > PDS_MAX_PARTS) fail('InvalidParameterOutOfRange.PartInfoList', `at most ${PDS_MAX_PARTS} parts`);
    const seen = new Set<number>();
    return value.map((item: unknown) => {
      if (!isRecord(item)) fail('InvalidParameter.PartInfoList', 'part_info_list items must be objects');
      const n = item['part_number'];
      if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > PDS_MAX_PARTS) fail('InvalidParameterOutOfRange.PartNumber', `part_number must be 1..${PDS_MAX_PARTS}`);
      const partNumber = n as number;
      if (seen.has(partNumber)) fail('InvalidParameter.PartNumber', `part_number ${partNumber} is listed twice`);
      seen.add(partNumber);
      const raw = item['parallel_sha1_ctx'];
      if (!parallel || raw === undefined) return { partNumber };
      return { partNumber, ctx: this.#checkCtx(partNumber, raw) };
    });
  }

  /** A `parallel_sha1_ctx`: five uint32 words (or `[]` for part 1) and a 64-byte aligned offset (§2.5, §2.9 item 4). */
  #checkCtx(partNumber: number, raw: unknown): Sha1Ctx {
    if (!isRecord(raw)) fail('InvalidParameter.ParallelSha1Ctx', `part ${partNumber}: parallel_sha1_ctx must be an object {h, part_offset}`);
    const h = raw['h'];
    const offset = raw['part_offset'];
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) fail('InvalidParameter.ParallelSha1Ctx', `part ${partNumber}: part_offset must be an integer >= 0`);
    if ((offset as number) % SHA1_BLOCK_BYTES !== 0) fail('InvalidParameter.ParallelSha1Ctx', `part ${partNumber}: part_offset must be a multiple of 64`);
    if (!Array.isArray(h) || !(h.length === 0 || (h.length === 5 && h.every(isUint32)))) {
      fail('InvalidParameter.ParallelSha1Ctx', `part ${partNumber}: h must be [] or five unsigned 32-bit words`);
    }
    if ((h.length === 0) !== (offset === 0)) fail('InvalidParameter.ParallelSha1Ctx', `part ${partNumber}: h is [] exactly when part_offset is 0`);
    return { h: [...(h as number[])], part_offset: offset as number };
  }

  #fileObject(ctx: EmulatorContext, file: PdsFileRecord): Record<string, unknown> {
    const object: Record<string, unknown> = {
      domain_id: this.config.domainId,
      drive_id: file.driveId,
      file_id: file.fileId,
      parent_file_id: file.parentFileId,
      name: file.name,
      type: 'file',
      content_type: file.contentType,
      mime_type: file.contentType,
      file_extension: extensionOf(file.name),
      category: categoryOf(file.contentType),
      status: file.status,
      upload_id: file.uploadId,
      revision_id: file.revisionId,
      created_at: iso(file.createdAt),
      updated_at: iso(file.updatedAt),
      hidden: false,
      starred: false,
      trashed: false,
      labels: [],
      user_meta: '',
      location: LOCATION,
    };
    if (file.size !== undefined) object['size'] = file.size;
    if (file.localCreatedAt !== undefined) object['local_created_at'] = file.localCreatedAt;
    if (file.localModifiedAt !== undefined) object['local_modified_at'] = file.localModifiedAt;
    if (file.status === 'available') {
      object['content_hash'] = file.contentHash;
      object['content_hash_name'] = 'sha1';
      // A decimal string: the value exceeds 2^53, so a JSON number would lose digits (§2.9 item 5).
      object['crc64_hash'] = file.crc64;
      const url = this.#presign(ctx, 'GET', file.fileId, {}, this.config.urlTtlSec);
      object['download_url'] = url;
      object['url'] = url;
    }
    return object;
  }

  /** Same-name records in a folder (uploading or available). */
  #siblingsNamed(parentFileId: string, name: string): PdsFileRecord | undefined {
    for (const f of this.#state.files.values()) if (f.parentFileId === parentFileId && f.name === name) return f;
    return undefined;
  }

  // ---- /v2/oauth/token ----------------------------------------------------------------

  async #token(ctx: EmulatorContext): Promise<void> {
    const raw = await ctx.readBody(JSON_BODY_LIMIT);
    if (raw === undefined) fail('InvalidParameter', 'body too large');
    const text = raw.toString('utf8');
    let fields: Record<string, unknown>;
    if ((ctx.header('content-type') ?? '').includes('application/json')) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (!isRecord(parsed)) fail('InvalidRequestJSONFormat', 'body must be a JSON object');
        fields = parsed;
      } catch (error) {
        if (error instanceof PdsFailure) throw error;
        fail('InvalidRequestJSONFormat', 'body is not valid JSON');
      }
    } else {
      fields = Object.fromEntries(new URLSearchParams(text));
    }
    const grant = fields['grant_type'];
    if (grant !== PDS_JWT_GRANT) fail('InvalidParameterNotSupported.GrantType', `grant_type must be ${PDS_JWT_GRANT} (the only grant emulated)`);
    const clientId = typeof fields['client_id'] === 'string' ? fields['client_id'] : undefined;
    const assertion = typeof fields['assertion'] === 'string' ? fields['assertion'] : undefined;
    const result = this.#tokens.grantJwt(clientId, assertion);
    if ('code' in result) {
      ctx.code = result.code;
      ctx.json(result.status, { code: result.code, message: result.message });
      return;
    }
    ctx.json(200, result);
  }

  // ---- /v2/file/create ----------------------------------------------------------------

  async #create(ctx: EmulatorContext): Promise<void> {
    const { token, body } = await this.#apiRequest(ctx);
    const type = body['type'];
    if (type !== 'file') fail(type === 'folder' ? 'InvalidParameterNotSupported.Type' : 'InvalidParameter.Type', 'type must be "file" (folders are not emulated)');
    const parentFileId = body['parent_file_id'];
    if (typeof parentFileId !== 'string' || !FILE_ID.test(parentFileId)) fail('InvalidParameter.ParentFileId', 'parent_file_id must match [a-z0-9]{1,50}');
    if (!this.config.parents.includes(parentFileId)) fail('NotFound.File', `parent folder ${parentFileId} does not exist`);
    const name = body['name'];
    if (typeof name !== 'string' || name === '' || Buffer.byteLength(name, 'utf8') > PDS_NAME_MAX_BYTES || name.includes('/')) {
      fail('InvalidParameter.Name', `name must be 1..${PDS_NAME_MAX_BYTES} bytes of UTF-8 without "/"`);
    }
    const size = body['size'];
    if (size !== undefined && (!Number.isSafeInteger(size) || (size as number) < 0)) fail('InvalidParameter.Size', 'size must be an integer >= 0');
    const mode = body['check_name_mode'] ?? 'ignore';
    if (typeof mode !== 'string' || !CHECK_NAME_MODES.has(mode)) fail('InvalidParameter.CheckNameMode', 'check_name_mode must be ignore, auto_rename or refuse');
    const parallel = body['parallel_upload'] === true;
    if (body['parallel_upload'] !== undefined && typeof body['parallel_upload'] !== 'boolean') fail('InvalidParameter.ParallelUpload', 'parallel_upload must be a boolean');
    if (parallel && !this.config.parallelUpload) fail('InvalidParameterNotSupported.ParallelUpload', 'parallel upload is not supported on this domain');
    const hashName = body['content_hash_name'];
    if (hashName !== undefined && hashName !== 'sha1') fail('InvalidParameterNotSupported.ContentHashName', 'content_hash_name must be "sha1"');
    const contentHash = body['content_hash'];
    if (contentHash !== undefined && (typeof contentHash !== 'string' || !SHA1_HEX.test(contentHash))) fail('InvalidParameter.ContentHash', 'content_hash must be 40 hex digits');
    const preHash = body['pre_hash'];
    if (preHash !== undefined && (typeof preHash !== 'string' || !SHA1_HEX.test(preHash))) fail('InvalidParameter.PreHash', 'pre_hash must be 40 hex digits');
    const proof = body['proof_code'];
    if (proof !== undefined && typeof proof !== 'string') fail('InvalidParameter.ProofCode', 'proof_code must be a string');
    if (proof !== undefined && body['proof_version'] !== 'v1') fail('InvalidParameter.ProofVersion', 'proof_version must be "v1"');
    const contentType = typeof body['content_type'] === 'string' && body['content_type'] !== '' ? body['content_type'] : 'application/octet-stream';
    const parts = this.#partInfoList(body['part_info_list'], parallel, false);
    const declared = size as number | undefined;
    await this.#sweep();

    // Name conflicts first: refuse → the existing file, nothing created (§2.4).
    let fileName = name;
    const existing = this.#siblingsNamed(parentFileId, name);
    if (existing && mode === 'refuse') {
      ctx.json(201, {
        domain_id: this.config.domainId, drive_id: this.config.driveId, parent_file_id: parentFileId, file_id: existing.fileId,
        file_name: existing.name, type: 'file', status: existing.status, exist: true, rapid_upload: false, revision_id: existing.revisionId,
      });
      return;
    }
    if (existing && mode === 'auto_rename') {
      for (let n = 1; this.#siblingsNamed(parentFileId, fileName); n++) fileName = renamed(name, n);
    }

    const now = this.#clock.now();
    const record = (extra: Partial<PdsFileRecord>): PdsFileRecord => {
      const file: PdsFileRecord = {
        fileId: hex(20), driveId: this.config.driveId, parentFileId, name: fileName, contentType, status: 'uploading',
        uploadId: '', createdAt: now, updatedAt: now, revisionId: hex(20), ...extra,
      };
      if (declared !== undefined) file.size = declared;
      for (const key of ['local_created_at', 'local_modified_at'] as const) {
        const v = body[key];
        if (typeof v === 'string') file[key === 'local_created_at' ? 'localCreatedAt' : 'localModifiedAt'] = v;
      }
      return file;
    };
    const head = { domain_id: this.config.domainId, drive_id: this.config.driveId, parent_file_id: parentFileId, file_name: fileName, type: 'file', exist: false, location: LOCATION };

    // Rapid upload: same size + SHA-1 as stored content, proven with a v1 proof (§2.4, §2.9 item 3).
    if (typeof contentHash === 'string' && declared !== undefined && declared > 0) {
      const match = [...this.#state.files.values()].find((f) => f.status === 'available' && f.size === declared && f.contentHash === contentHash.toUpperCase());
      if (match && typeof proof === 'string') {
        const range = pdsProofRange(token, declared);
        const expected = range === undefined ? '' : await this.#readRange(match, range.start, range.end);
        if (proof !== expected) fail('InvalidRapidProof', 'proof_code does not match the stored content for this access token');
        const file = record({ status: 'available', blobKey: match.blobKey, contentHash: match.contentHash, crc64: match.crc64, preHash: match.preHash, size: declared });
        this.#state.files.set(file.fileId, file);
        await this.#state.save();
        ctx.json(201, { ...head, file_id: file.fileId, rapid_upload: true, status: 'available', revision_id: file.revisionId });
        return;
      }
    } else if (typeof preHash === 'string' && declared !== undefined && declared > 0) {
      // Pre-hash probe: some stored file has the same size and first-1 KB SHA-1 → 409 (§2.4).
      const lower = preHash.toLowerCase();
      if ([...this.#state.files.values()].some((f) => f.status === 'available' && f.size === declared && f.preHash === lower)) {
        fail('PreHashMatched', 'a file with the same pre_hash exists; send content_hash and proof_code');
      }
    }

    const uploadId = hex(16).toUpperCase();
    const file = record({ uploadId });
    const upload: PdsUploadRecord = { uploadId, fileId: file.fileId, parallel, createdAt: now, expired: false, acceptedParts: 0, ctx: {}, parts: {} };
    if (typeof contentHash === 'string') upload.contentHash = contentHash.toUpperCase();
    for (const part of parts) if (part.ctx) upload.ctx[String(part.partNumber)] = part.ctx;
    this.#state.files.set(file.fileId, file);
    this.#state.uploads.set(uploadId, upload);
    await this.#state.save();
    ctx.json(201, {
      ...head,
      file_id: file.fileId,
      upload_id: uploadId,
      rapid_upload: false,
      status: 'uploading',
      revision_id: file.revisionId,
      part_info_list: parts.map((p) => this.#partInfo(ctx, upload, p.partNumber)),
    });
  }

  async #readRange(file: PdsFileRecord, start: number, end: number): Promise<string> {
    if (file.blobKey === undefined || end <= start) return '';
    const chunks: Buffer[] = [];
    for await (const chunk of this.#state.store.openObject(file.blobKey, { start, end: end - 1 })) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('base64');
  }

  // ---- get_upload_url / list_uploaded_parts --------------------------------------------

  async #getUploadUrl(ctx: EmulatorContext): Promise<void> {
    const { body } = await this.#apiRequest(ctx);
    const uploadId = body['upload_id'];
    const done = typeof uploadId === 'string' && [...this.#state.files.values()].some((f) => f.status === 'available' && f.uploadId === uploadId && f.fileId === body['file_id']);
    // After completion the JS SDK sees AlreadyExist.File (§2.6).
    if (done) fail('AlreadyExist.File', 'the upload has already completed');
    const upload = await this.#openUpload(body);
    const parts = this.#partInfoList(body['part_info_list'], upload.parallel, true);
    for (const part of parts) if (part.ctx) upload.ctx[String(part.partNumber)] = part.ctx;
    if (upload.parallel) await this.#state.save();
    ctx.json(200, {
      domain_id: this.config.domainId,
      drive_id: this.config.driveId,
      file_id: upload.fileId,
      upload_id: upload.uploadId,
      create_at: iso(upload.createdAt),
      part_info_list: parts.map((p) => this.#partInfo(ctx, upload, p.partNumber)),
    });
  }

  async #listParts(ctx: EmulatorContext): Promise<void> {
    const { body } = await this.#apiRequest(ctx);
    const upload = await this.#openUpload(body);
    const markerRaw = body['part_number_marker'];
    const marker = markerRaw === undefined || markerRaw === '' ? 0 : Number(markerRaw);
    if (!Number.isSafeInteger(marker) || marker < 0) fail('InvalidParameter.PartNumberMarker', 'part_number_marker must be an integer >= 0');
    const limitRaw = body['limit'] ?? LIST_LIMIT_DEFAULT;
    if (!Number.isInteger(limitRaw) || (limitRaw as number) < 1 || (limitRaw as number) > LIST_LIMIT_MAX) fail('InvalidParameterOutOfRange.Limit', `limit must be 1..${LIST_LIMIT_MAX}`);
    const numbers = Object.keys(upload.parts).map(Number).filter((n) => n > marker).sort((a, b) => a - b);
    const page = numbers.slice(0, limitRaw as number);
    const more = numbers.length > page.length;
    ctx.json(200, {
      drive_id: this.config.driveId,
      file_id: upload.fileId,
      upload_id: upload.uploadId,
      parallel_upload: upload.parallel,
      next_part_number_marker: more ? String(page[page.length - 1]) : '',
      uploaded_parts: page.map((n) => {
        const part = upload.parts[String(n)]!;
        return { part_number: n, part_size: part.size, etag: part.etag, upload_url: '', content_type: '' };
      }),
    });
  }

  // ---- complete ------------------------------------------------------------------------

  async #complete(ctx: EmulatorContext): Promise<void> {
    const { body } = await this.#apiRequest(ctx);
    const upload = await this.#openUpload(body);
    if (this.#finishing.has(upload.uploadId)) fail('OperationConflict', 'complete is already running for this upload');
    const crcGiven = body['crc64_hash'];
    if (crcGiven !== undefined && (typeof crcGiven !== 'string' || !DECIMAL.test(crcGiven))) fail('InvalidParameter.Crc64Hash', 'crc64_hash must be an unsigned decimal string');
    const file = this.#state.files.get(upload.fileId);
    if (!file) fail('NotFound.File', 'the file record is gone');
    const numbers = Object.keys(upload.parts).map(Number).sort((a, b) => a - b);
    // Every part must be there, contiguous from 1 (§7); an empty file may have none.
    let missing: number | undefined = numbers.length === 0 && file.size !== 0 ? 1 : undefined;
    numbers.forEach((n, i) => {
      if (missing === undefined && n !== i + 1) missing = i + 1;
    });
    if (missing !== undefined) fail('InvalidParameter.PartMissing', `part ${missing} has not been uploaded; parts must be contiguous from 1`);
    const parts = numbers.map((n) => upload.parts[String(n)]!);
    parts.slice(0, -1).forEach((part, i) => {
      if (part.size < this.config.minPartSize) fail('EntityTooSmall', `part ${i + 1} is ${part.size} bytes; every part but the last needs ${this.config.minPartSize}`);
    });
    if (upload.parallel) this.#checkChain(parts);
    this.#finishing.add(upload.uploadId);
    const blobKey = `obj-${file.fileId}`;
    try {
      // Every check runs before the parts move, so a refused complete leaves the upload as it was.
      const digest = this.#digest(parts);
      if (file.size !== undefined && digest.size !== file.size) fail('InvalidParameter.Size', `the parts hold ${digest.size} bytes, create declared ${file.size}`);
      if (upload.contentHash !== undefined && upload.contentHash !== digest.sha1) fail('InvalidParameter.ContentHash', 'content_hash from create does not match the SHA-1 of the uploaded bytes');
      if (typeof crcGiven === 'string' && crcGiven !== digest.crc64) fail('InvalidParameter.Crc64Hash', 'crc64_hash does not match the CRC-64 of the uploaded bytes');
      await this.#state.store.assemble(upload.uploadId, numbers, blobKey);
      const preHash = await this.#preHash(blobKey);
      Object.assign(file, {
        status: 'available', size: digest.size, blobKey, contentHash: digest.sha1, crc64: digest.crc64, preHash, updatedAt: this.#clock.now(),
      } satisfies Partial<PdsFileRecord>);
      this.#state.uploads.delete(upload.uploadId);
      await this.#state.save();
      await this.#state.store.deleteUpload(upload.uploadId);
      ctx.json(200, this.#fileObject(ctx, file));
    } finally {
      this.#finishing.delete(upload.uploadId);
    }
  }

  /**
   * Parallel mode (cloud-apis.md §2.5, §2.9 item 4): every part but the last is a multiple of
   * 64 bytes, part 1 starts from the IV at offset 0, and part k's bytes compressed from its ctx
   * give exactly the ctx part k+1 was uploaded with.
   */
  #checkChain(parts: PdsPartRecord[]): void {
    let offset = 0;
    parts.forEach((part, i) => {
      const n = i + 1;
      const ctx = part.ctx;
      if (!ctx) fail('InvalidParameter.ParallelSha1Ctx', `part ${n} was uploaded without a parallel_sha1_ctx`);
      if (ctx.part_offset !== offset) fail('InvalidParameter.ParallelSha1Ctx', `part ${n}: part_offset is ${ctx.part_offset}, the bytes before it are ${offset}`);
      if (i > 0) {
        const before = parts[i - 1]!.endH;
        if (!before || !sameH(before, ctx.h)) fail('InvalidParameter.ParallelSha1Ctx', `part ${n}: parallel_sha1_ctx.h is not the SHA-1 state after part ${n - 1}`);
      }
      if (i < parts.length - 1 && part.size % SHA1_BLOCK_BYTES !== 0) fail('InvalidParameter.PartSize', `part ${n} is ${part.size} bytes; parallel parts but the last must be a multiple of 64`);
      offset += part.size;
    });
  }

  /**
   * Size, uppercase SHA-1 and CRC-64 of the parts in order, from what each part PUT computed
   * (O(parts): the last part's SHA-1 continues the chain, CRC-64s combine).
   */
  #digest(parts: readonly PdsPartRecord[]): PartsDigest {
    let size = 0;
    let crc = 0n;
    for (const part of parts) {
      crc = Crc64Ecma.combine(crc, BigInt(part.crc64), part.size);
      size += part.size;
    }
    const sha1 = parts[parts.length - 1]?.sha1 ?? createHash('sha1').digest('hex').toUpperCase();
    return { size, sha1, crc64: crc.toString() };
  }

  /** Lowercase SHA-1 of a stored object's first KiB (§2.9 item 2), read from disk. */
  async #preHash(blobKey: string): Promise<string> {
    const pre = createHash('sha1');
    for await (const chunk of this.#state.store.openObject(blobKey, { start: 0, end: PDS_PRE_HASH_BYTES - 1 })) pre.update(chunk as Buffer);
    return pre.digest('hex');
  }

  // ---- get / get_download_url / delete --------------------------------------------------

  #fileOf(body: Record<string, unknown>): PdsFileRecord {
    const fileId = body['file_id'];
    if (typeof fileId !== 'string' || fileId === '') fail('InvalidParameterMissing.FileId', 'file_id is required');
    const file = this.#state.files.get(fileId);
    if (!file) fail('NotFound.File', `file ${fileId} does not exist`);
    return file;
  }

  async #get(ctx: EmulatorContext): Promise<void> {
    const { body } = await this.#apiRequest(ctx);
    ctx.json(200, this.#fileObject(ctx, this.#fileOf(body)));
  }

  async #getDownloadUrl(ctx: EmulatorContext): Promise<void> {
    const { body } = await this.#apiRequest(ctx);
    const file = this.#fileOf(body);
    if (file.status !== 'available') fail('NotFound.File', 'the file is still uploading');
    const raw = body['expire_sec'] ?? this.config.urlTtlSec;
    if (!Number.isInteger(raw) || (raw as number) < 1 || (raw as number) > DOWNLOAD_EXPIRE_MAX_SEC) fail('InvalidParameterOutOfRange.ExpireSec', `expire_sec must be 1..${DOWNLOAD_EXPIRE_MAX_SEC}`);
    const url = this.#presign(ctx, 'GET', file.fileId, {}, raw as number);
    ctx.json(200, {
      url,
      internal_url: url,
      expiration: iso(Number(new URL(url).searchParams.get('Expires')) * 1000),
      method: 'GET',
      size: file.size,
      content_hash: file.contentHash,
      content_hash_name: 'sha1',
      crc64_hash: file.crc64,
    });
  }

  /** `POST /v2/file/delete` → 204; an uploading file takes its parts with it. */
  async #delete(ctx: EmulatorContext): Promise<void> {
    const { body } = await this.#apiRequest(ctx);
    const file = this.#fileOf(body);
    this.#state.files.delete(file.fileId);
    const upload = this.#state.uploads.get(file.uploadId);
    if (upload && upload.fileId === file.fileId) {
      this.#state.uploads.delete(upload.uploadId);
      await this.#state.store.deleteUpload(upload.uploadId);
    }
    const shared = file.blobKey !== undefined && [...this.#state.files.values()].some((f) => f.blobKey === file.blobKey);
    if (file.blobKey !== undefined && !shared) await this.#state.store.deleteObject(file.blobKey);
    await this.#state.save();
    ctx.send(204, '');
  }

  // ---- storage (OSS-like) ---------------------------------------------------------------

  /** Checks `Expires`, `OSSAccessKeyId` and `Signature` (cloud-apis.md §2.5, §7). */
  #checkPresigned(ctx: EmulatorContext, sub: Record<string, string>): void {
    const q = ctx.url.searchParams;
    const expiresText = q.get('Expires');
    const keyId = q.get('OSSAccessKeyId');
    const signature = q.get('Signature');
    if (expiresText === null || keyId === null || signature === null) ossFail('AccessDenied', 'Anonymous access is forbidden for this operation.');
    const expires = Number(expiresText);
    if (!Number.isSafeInteger(expires)) ossFail('AccessDenied', 'Invalid Expires.');
    if (this.#clock.now() / 1000 > expires || expires <= this.#revokedUntilSec) ossFail('AccessDenied', OSS_EXPIRED_MESSAGE);
    if (keyId !== this.#signer.accessKeyId) ossFail('InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.');
    const request = {
      method: ctx.method,
      contentMd5: ctx.header('content-md5') ?? '',
      contentType: ctx.header('content-type') ?? '',
      expires,
      resource: ossResource(ctx.params['bucket'] ?? '', ctx.params['object'] ?? '', sub),
    };
    if (!this.#signer.verify(request, signature)) {
      ossFail('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided (Content-Type and Content-MD5 are signed).');
    }
  }

  async #putPart(ctx: EmulatorContext): Promise<void> {
    const q = ctx.url.searchParams;
    const partText = q.get('partNumber');
    const uploadId = q.get('uploadId');
    if (partText === null || uploadId === null) ossFail('InvalidArgument', 'partNumber and uploadId are required');
    this.#checkPresigned(ctx, { partNumber: partText, uploadId });
    const partNumber = Number(partText);
    if (!/^\d{1,5}$/.test(partText) || partNumber < 1 || partNumber > PDS_MAX_PARTS) ossFail('InvalidArgument', `partNumber must be 1..${PDS_MAX_PARTS}`);
    const upload = this.#state.uploads.get(uploadId);
    if (!upload || upload.fileId !== ctx.params['object'] || this.#finishing.has(uploadId)) ossFail('NoSuchUpload', 'The specified upload does not exist.');
    if (this.#isExpired(upload)) {
      await this.#expire(upload);
      await this.#state.save();
      ossFail('NoSuchUpload', 'The specified upload does not exist (expired).');
    }
    const key = `${uploadId}:${partNumber}`;
    if (this.#inFlight.has(key)) ossFail('PartAlreadyExist', 'This part is being uploaded by another request.');
    this.#checkOrder(upload, partNumber);
    let ctxUsed: Sha1Ctx | undefined;
    if (upload.parallel) {
      ctxUsed = upload.ctx[String(partNumber)] ?? (partNumber === 1 ? { h: [], part_offset: 0 } : undefined);
      if (!ctxUsed) ossFail('InvalidArgument', `no parallel_sha1_ctx is known for part ${partNumber}; ask get_upload_url with one`);
    }
    this.#inFlight.add(key);
    let temp: TempBlob | undefined;
    try {
      const md5 = createHash('md5');
      const crc = await Crc64Ecma.create();
      const sha = await this.#partSha1(upload, partNumber, ctxUsed);
      temp = await this.#state.store.createTemp({
        maxBytes: this.config.maxPartSize,
        observe: (chunk) => {
          md5.update(chunk);
          crc.update(chunk);
          sha.update(chunk);
        },
      });
      for await (const chunk of ctx.body()) await temp.write(chunk);
      if (temp.bytesSeen > this.config.maxPartSize) ossFail('EntityTooLarge', `a part may hold at most ${this.config.maxPartSize} bytes`);
      // The upload may have changed while the bytes streamed in.
      const current = this.#state.uploads.get(uploadId);
      if (current !== upload || upload.expired || this.#finishing.has(uploadId)) ossFail('NoSuchUpload', 'The specified upload does not exist.');
      this.#checkOrder(upload, partNumber);
      await this.#state.store.commitPart(temp, uploadId, partNumber);
      const size = temp.bytesSeen;
      temp = undefined;
      const etag = `"${md5.digest('hex').toUpperCase()}"`;
      const record: PdsPartRecord = { size, etag, crc64: crc.toString(), sha1: sha.digestHex().toUpperCase() };
      if (!upload.parallel) upload.sha1State = sha.save();
      if (ctxUsed) {
        record.ctx = ctxUsed;
        // The chaining state exists only on a 64-byte boundary (every parallel part but the last).
        if (sha.length % SHA1_BLOCK_BYTES === 0) record.endH = sha.words();
      }
      upload.parts[String(partNumber)] = record;
      upload.acceptedParts += 1;
      const expireAfter = this.#faults.expireUploadsAfterParts;
      if (expireAfter !== undefined && upload.acceptedParts >= expireAfter) upload.expired = true;
      await this.#state.save();
      ctx.send(200, '', { ETag: etag, 'x-oss-hash-crc64ecma': record.crc64 });
    } finally {
      this.#inFlight.delete(key);
      await temp?.discard();
    }
  }

  /**
   * The SHA-1 a part is hashed with on its way in: parallel parts start from their ctx;
   * serial parts continue the upload's state after the latest part, which is part k-1's
   * (serial parts arrive in order, one at a time, and are never re-sent).
   */
  async #partSha1(upload: PdsUploadRecord, partNumber: number, ctxUsed: Sha1Ctx | undefined): Promise<WasmSha1> {
    if (ctxUsed) return WasmSha1.create(ctxUsed.h.length > 0 ? ctxUsed.h : SHA1_IV, ctxUsed.part_offset);
    if (partNumber === 1) return WasmSha1.create();
    if (upload.sha1State === undefined) throw new Error(`serial upload ${upload.uploadId} has part ${partNumber - 1} but no SHA-1 state after it`);
    return WasmSha1.restore(upload.sha1State);
  }

  /**
   * Serial (default) mode: the server hashes incrementally, so part k needs parts 1..k-1 and
   * may be sent once (cloud-apis.md §2.5: 400 PartNotSequential, 409 on a re-sent part).
   * Parallel mode takes parts in any order and lets a part be sent again.
   */
  #checkOrder(upload: PdsUploadRecord, partNumber: number): void {
    if (upload.parallel) return;
    if (upload.parts[String(partNumber)]) ossFail('PartAlreadyExist', `part ${partNumber} is already uploaded; list_uploaded_parts gives its etag`);
    for (let n = 1; n < partNumber; n++) {
      if (!upload.parts[String(n)]) ossFail('PartNotSequential', `part ${n} must be uploaded before part ${partNumber} (serial upload)`);
    }
  }

  async #getObject(ctx: EmulatorContext): Promise<void> {
    await ctx.discardBody();
    this.#checkPresigned(ctx, {});
    const file = this.#state.files.get(ctx.params['object'] ?? '');
    if (!file || file.status !== 'available' || file.blobKey === undefined || ctx.params['bucket'] !== this.config.domainId) ossFail('NoSuchKey', 'The specified key does not exist.');
    const size = await this.#state.store.objectSize(file.blobKey);
    if (size === undefined) ossFail('NoSuchKey', 'The stored bytes are gone.');
    const range = parseRange(ctx.header('range'), size);
    // OSS answers 416 InvalidRange for an unsatisfiable range (with `x-oss-range-behavior: standard`;
    // the emulator always behaves so, like its other flavours).
    if (range === 'unsatisfiable') ossFail('InvalidRange', `The requested range cannot be satisfied (object size ${size}).`);
    const headers: OutgoingHttpHeaders = {
      'Content-Type': file.contentType,
      'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      ETag: `"${file.contentHash ?? ''}"`,
      'x-oss-hash-crc64ecma': file.crc64 ?? '',
    };
    await sendStoredObject(ctx, this.#state.store, { key: file.blobKey, size, range, headers });
  }
}
