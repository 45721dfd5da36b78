import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import { readAdminJson } from '../infra/admin-routes.js';
import type { TempBlob } from '../infra/blob-store.js';
import type { EmulatorClock } from '../infra/emulator-clock.js';
import { parseRange, sendStoredObject } from '../infra/byte-range.js';
import type { EmulatorContext } from '../infra/emulator-context.js';
import type { EmulatorFlavour, EmulatorRoute } from '../infra/emulator-route.js';
import type { FaultController } from '../infra/fault-controller.js';
import { MultipartError, multipartBoundary, parseMultipart, type MultipartResult } from '../infra/multipart-parser.js';
import { RateLimiter } from '../infra/rate-limiter.js';
import { Adler32 } from './adler32.js';
import { FEISHU_DEFAULT_FAULT_CODE, feishuCodeInfo, type FeishuCode } from './feishu-codes.js';
import {
  FEISHU_FILE_NAME_MAX,
  FEISHU_UPLOAD_ALL_MAX_BYTES,
  type FeishuEmulatorConfig,
  type FeishuRateLimitConfig,
} from './feishu-config.js';
import { FeishuState, type FeishuApi, type FeishuFileRecord, type FeishuUploadRecord } from './feishu-state.js';
import { FeishuTokens } from './feishu-tokens.js';

/** `parent_type` values of the medias API (cloud-apis.md §1.3). */
export const FEISHU_MEDIA_PARENT_TYPES: ReadonlySet<string> = new Set([
  'doc_image',
  'docx_image',
  'sheet_image',
  'doc_file',
  'docx_file',
  'sheet_file',
  'vc_virtual_background',
  'bitable_image',
  'bitable_file',
  'moments',
  'ccm_import_open',
]);

/** The files API only uploads into a My Space folder (§1.3). */
const FILES_PARENT_TYPE = 'explorer';
/** JSON bodies (prepare, finish, token) are small. */
const JSON_BODY_LIMIT = 64 * 1024;
/** The form field carrying bytes (§1.4, §1.6). */
const FILE_FIELDS: ReadonlySet<string> = new Set(['file']);
/** Unsigned decimal, as §1.7 defines the checksum encoding. */
const DECIMAL = /^\d+$/;

/** What the rest of the emulator hands the flavour. */
export interface FeishuEmulatorDeps {
  dataDir: string;
  clock: EmulatorClock;
  faults: FaultController;
  config: FeishuEmulatorConfig;
}

/** A documented failure a handler answers with; thrown so validation reads top to bottom. */
class FeishuFailure extends Error {
  override readonly name = 'FeishuFailure';
  readonly code: FeishuCode;
  readonly detail: string;
  constructor(code: FeishuCode, detail: string) {
    super(detail);
    this.code = code;
    this.detail = detail;
  }
}

function fail(code: FeishuCode, detail: string): never {
  throw new FeishuFailure(code, detail);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function logIdNow(now: number): string {
  const stamp = new Date(now).toISOString().replace(/\D/g, '').slice(0, 14);
  return `${stamp}${randomBytes(10).toString('hex').toUpperCase()}`;
}

/** A numeric-looking id above 2^53, as real upload ids are (§1.3: "keep as string"). */
function newUploadId(): string {
  let digits = '7';
  for (let i = 0; i < 18; i++) digits += String(randomInt(10));
  return digits;
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A `boxcn…` file token like the documented example `boxcnrHpsg1QDqXAAAyachabcef` (§1.5). */
function newFileToken(): string {
  let token = 'boxcn';
  for (let i = 0; i < 22; i++) token += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return token;
}


function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * The Feishu / Lark Drive flavour (cloud-apis.md §1 and §7 "Feishu / Lark"). Both brands use
 * the same paths (§1.1), so one set of routes serves either host.
 *
 * Choices where the spec is silent (docs/emulator.md):
 * - size 0: medias prepare gives `block_num` 0 and finish with `block_num` 0 stores an empty
 *   file; the files API rejects size 0 with `1061002`, as its upload_all does (§1.6).
 * - an unknown or finished upload_id → `1061002`; a `block_num` at finish that differs from
 *   prepare → `1061002` (§7 [infer]).
 * - a block shorter or longer than its planned length → `1062009` at upload_part (§7 [infer]).
 * - `99991661`/`99991663` and token-endpoint errors use HTTP 400 (status undocumented).
 */
export class FeishuEmulator implements EmulatorFlavour {
  readonly name = 'feishu';
  readonly routes: readonly EmulatorRoute[];
  /** Live config; {@link setRateLimit} changes it at run time. */
  readonly config: FeishuEmulatorConfig;
  readonly #clock: EmulatorClock;
  readonly #faults: FaultController;
  readonly #state: FeishuState;
  readonly #tokens: FeishuTokens;
  readonly #limiter: RateLimiter;
  /** files-API upload ids with an upload_part in flight ("不支持并发调用", §1.4). */
  readonly #partsInFlight = new Set<string>();
  readonly #finishing = new Set<string>();

  constructor(deps: FeishuEmulatorDeps) {
    this.config = deps.config;
    this.#clock = deps.clock;
    this.#faults = deps.faults;
    this.#state = new FeishuState(deps.dataDir);
    this.#tokens = new FeishuTokens(
      () => this.#clock.now(),
      () => this.config.tokenTtlSec,
      () => this.config.tokenReissueWindowSec,
    );
    this.#limiter = new RateLimiter(() => this.#clock.now(), () => this.config.rateLimit);
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

  /** Expires every open upload id now (they answer `1061021` from then on); returns how many. */
  async expireUploads(): Promise<number> {
    let count = 0;
    for (const upload of this.#state.uploads.values()) {
      if (upload.expired) continue;
      upload.expired = true;
      count++;
      await this.#state.store.deleteUpload(upload.uploadId);
      upload.parts = {};
    }
    await this.#state.save();
    return count;
  }

  /** Changes rate limiting at run time (e.g. `{ enabled: false }`); resets the buckets. */
  setRateLimit(patch: Partial<FeishuRateLimitConfig>): void {
    const next = { ...this.config.rateLimit, ...patch };
    if (!(next.qps > 0) || !Number.isSafeInteger(next.perDay) || next.perDay <= 0 || typeof next.enabled !== 'boolean' || (next.mode !== 'drive' && next.mode !== 'gateway')) {
      throw new RangeError('rate limit needs qps > 0, integer perDay > 0, boolean enabled, mode drive|gateway');
    }
    this.config.rateLimit = next;
    this.#limiter.reset();
  }

  /** Finished files and medias, oldest first (for test assertions and the admin route). */
  files(): FeishuFileRecord[] {
    return [...this.#state.files.values()].map((f) => ({ ...f }));
  }

  /** Issues (or returns the current) tenant token of the configured app, without HTTP. */
  tenantToken(): string {
    return this.#tokens.issue(this.config.appId).token;
  }

  renderFault(ctx: EmulatorContext, code: number | string | null): void {
    this.#begin(ctx);
    const numeric = typeof code === 'number' ? code : code !== null && DECIMAL.test(code) ? Number(code) : FEISHU_DEFAULT_FAULT_CODE;
    this.#fail(ctx, numeric, 'emulator fault');
  }

  // ---- responses ----------------------------------------------------------------------

  #begin(ctx: EmulatorContext): void {
    if (ctx.res.getHeader('X-Tt-Logid') === undefined) ctx.res.setHeader('X-Tt-Logid', logIdNow(this.#clock.now()));
    if (this.config.cors) {
      ctx.res.setHeader('Access-Control-Allow-Origin', '*');
      ctx.res.setHeader('Access-Control-Expose-Headers', 'X-Tt-Logid, x-ogw-ratelimit-limit, x-ogw-ratelimit-reset, Content-Range, Content-Disposition');
    }
  }

  #ok(ctx: EmulatorContext, data: Record<string, unknown>): void {
    ctx.code = 0;
    ctx.json(200, { code: 0, msg: 'success', data });
  }

  /** Error envelope with the documented status (§1.8): `{code, msg, error: {log_id, message}}`. */
  #fail(ctx: EmulatorContext, code: number, detail: string, headers: OutgoingHttpHeaders = {}): void {
    const info = feishuCodeInfo(code);
    ctx.code = code;
    const logId = String(ctx.res.getHeader('X-Tt-Logid') ?? '');
    ctx.json(info.status, { code, msg: info.msg, error: { log_id: logId, message: detail } }, headers);
  }

  // ---- routes -------------------------------------------------------------------------

  #buildRoutes(): EmulatorRoute[] {
    const wrap = (handler: (ctx: EmulatorContext) => Promise<void>): EmulatorRoute['handle'] => async (ctx) => {
      this.#begin(ctx);
      try {
        await handler(ctx);
      } catch (error) {
        if (!(error instanceof FeishuFailure)) throw error;
        await ctx.discardBody();
        this.#fail(ctx, error.code, error.detail);
      }
    };
    const routes: EmulatorRoute[] = [
      { name: 'feishu.preflight', method: 'OPTIONS', path: '/open-apis/*', handle: wrap((ctx) => this.#preflight(ctx)) },
      { name: 'feishu.token', method: 'POST', path: '/open-apis/auth/v3/tenant_access_token/internal', handle: wrap((ctx) => this.#token(ctx)) },
    ];
    for (const api of ['medias', 'files'] as const) {
      const base = `/open-apis/drive/v1/${api}`;
      routes.push(
        { name: `feishu.${api}.upload_prepare`, method: 'POST', path: `${base}/upload_prepare`, handle: wrap((ctx) => this.#prepare(ctx, api)) },
        { name: `feishu.${api}.upload_part`, method: 'POST', path: `${base}/upload_part`, handle: wrap((ctx) => this.#part(ctx, api)) },
        { name: `feishu.${api}.upload_finish`, method: 'POST', path: `${base}/upload_finish`, handle: wrap((ctx) => this.#finish(ctx, api)) },
        { name: `feishu.${api}.upload_all`, method: 'POST', path: `${base}/upload_all`, handle: wrap((ctx) => this.#uploadAll(ctx, api)) },
        { name: `feishu.${api}.download`, method: 'GET', path: `${base}/:file_token/download`, handle: wrap((ctx) => this.#download(ctx, api)) },
      );
    }
    routes.push(
      {
        name: 'admin.feishu.expire_uploads',
        method: 'POST',
        path: '/__emulator/feishu/expire-uploads',
        admin: true,
        handle: async (ctx) => {
          await ctx.discardBody();
          ctx.json(200, { expired: await this.expireUploads() });
        },
      },
      {
        name: 'admin.feishu.files',
        method: 'GET',
        path: '/__emulator/feishu/files',
        admin: true,
        handle: (ctx) => ctx.json(200, { files: this.files() }),
      },
      {
        name: 'admin.feishu.rate_limit.get',
        method: 'GET',
        path: '/__emulator/feishu/rate-limit',
        admin: true,
        handle: (ctx) => ctx.json(200, this.config.rateLimit),
      },
      {
        name: 'admin.feishu.rate_limit.put',
        method: 'PUT',
        path: '/__emulator/feishu/rate-limit',
        admin: true,
        handle: async (ctx) => {
          const body = await readAdminJson(ctx);
          if (body === undefined) return;
          try {
            this.setRateLimit(body as Partial<FeishuRateLimitConfig>);
          } catch (error) {
            ctx.json(400, { error: error instanceof Error ? error.message : String(error) });
            return;
          }
          ctx.json(200, this.config.rateLimit);
        },
      },
    );
    return routes;
  }

  async #preflight(ctx: EmulatorContext): Promise<void> {
    await ctx.discardBody();
    // With CORS off (the default, §1.11) the preflight carries no Allow-* headers, so a
    // browser refuses the real request, as it would against open.feishu.cn.
    const headers: OutgoingHttpHeaders = this.config.cors
      ? { 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS', 'Access-Control-Allow-Headers': 'Authorization, Content-Type, Range', 'Access-Control-Max-Age': '600' }
      : {};
    ctx.send(204, '', headers);
  }

  async #readJson(ctx: EmulatorContext): Promise<Record<string, unknown>> {
    const body = await ctx.readBody(JSON_BODY_LIMIT);
    if (body === undefined) fail(1061002, `JSON body larger than ${JSON_BODY_LIMIT} bytes`);
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      fail(1061002, 'body is not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(1061002, 'body must be a JSON object');
    return value as Record<string, unknown>;
  }

  /** Bearer check on every drive route (§7): missing → 99991661, unknown/expired → 99991663. */
  #authorize(ctx: EmulatorContext): string {
    const header = ctx.header('authorization');
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    const token = m?.[1];
    if (token === undefined) fail(99991661, 'Authorization: Bearer <token> header is missing');
    const check = this.#tokens.check(token);
    if (!check.ok) fail(99991663, `access token is ${check.reason}`);
    return check.appId;
  }

  /** Upload endpoints: 5 QPS and 10 000/day per app and endpoint (§1.8) → 1061045 (HTTP 200). */
  async #rateLimit(ctx: EmulatorContext, appId: string): Promise<boolean> {
    const key = `${appId}:${ctx.route}`;
    const verdict = this.#limiter.take(key);
    if (verdict === 'ok') return true;
    await ctx.discardBody();
    if (this.config.rateLimit.mode === 'gateway') {
      this.#fail(ctx, 99991400, `rate limit (${verdict}) exceeded`, {
        'x-ogw-ratelimit-limit': String(verdict === 'day' ? this.config.rateLimit.perDay : this.config.rateLimit.qps),
        'x-ogw-ratelimit-reset': String(this.#limiter.retryAfterSec(key)),
      });
    } else {
      this.#fail(ctx, 1061045, verdict === 'day' ? 'daily call limit reached' : 'upload endpoint limited to 5 QPS per app');
    }
    return false;
  }

  // ---- token ---------------------------------------------------------------------------

  async #token(ctx: EmulatorContext): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = await this.#readJson(ctx);
    } catch {
      this.#tokenFail(ctx, 99991543);
      return;
    }
    const appId = body['app_id'];
    const appSecret = body['app_secret'];
    if (typeof appId !== 'string' || typeof appSecret !== 'string' || !appId || !appSecret) {
      this.#tokenFail(ctx, 99991543);
      return;
    }
    if (appId !== this.config.appId) {
      this.#tokenFail(ctx, 10014);
      return;
    }
    // Compare digests in constant time, so response time says nothing about the secret.
    if (!timingSafeEqual(sha256(appSecret), sha256(this.config.appSecret))) {
      this.#tokenFail(ctx, 10015);
      return;
    }
    const { token, expire } = this.#tokens.issue(appId);
    ctx.code = 0;
    // Token fields sit at the top level, not under `data` (§1.10).
    ctx.json(200, { code: 0, msg: 'ok', tenant_access_token: token, expire });
  }

  #tokenFail(ctx: EmulatorContext, code: FeishuCode): void {
    const info = feishuCodeInfo(code);
    ctx.code = code;
    ctx.json(info.status, { code, msg: info.msg });
  }

  // ---- upload_prepare ------------------------------------------------------------------

  #checkName(name: unknown): string {
    if (typeof name !== 'string') fail(1061002, 'file_name must be a string');
    const length = [...name].length;
    if (length === 0 || length > FEISHU_FILE_NAME_MAX) fail(1061008, `file_name must be 1..${FEISHU_FILE_NAME_MAX} characters, got ${length}`);
    return name;
  }

  #checkParent(api: FeishuApi, parentType: unknown, parentNode: unknown): { parentType: string; parentNode: string } {
    if (typeof parentType !== 'string') fail(1061002, 'parent_type must be a string');
    if (typeof parentNode !== 'string') fail(1061002, 'parent_node must be a string');
    if (api === 'files' && parentType !== FILES_PARENT_TYPE) fail(1061002, `files API: parent_type must be "${FILES_PARENT_TYPE}"`);
    if (api === 'medias' && !FEISHU_MEDIA_PARENT_TYPES.has(parentType)) fail(1061002, `unknown media parent_type "${parentType}"`);
    // ccm_import_open uploads have an empty parent_node (§1.3).
    const importFlow = api === 'medias' && parentType === 'ccm_import_open' && parentNode === '';
    if (!importFlow && !this.config.parents.includes(parentNode)) fail(1061044, `parent_node "${parentNode}" does not exist`);
    return { parentType, parentNode };
  }

  #checkExtra(api: FeishuApi, extra: unknown): string | undefined {
    if (api !== 'medias' || extra === undefined) return undefined;
    // `extra` is JSON serialized into a string (§1.3).
    if (typeof extra !== 'string') fail(1061002, 'extra must be a JSON string');
    try {
      JSON.parse(extra);
    } catch {
      fail(1061002, 'extra is not valid JSON');
    }
    return extra;
  }

  #checkFolderRoom(api: FeishuApi, parentNode: string): void {
    if (api !== 'files') return;
    let children = 0;
    for (const f of this.#state.files.values()) if (f.api === 'files' && f.parentNode === parentNode) children++;
    if (children >= this.config.folderChildLimit) fail(1062507, `folder already has ${children} children`);
  }

  #isExpired(upload: FeishuUploadRecord): boolean {
    return upload.expired || this.#clock.now() - upload.createdAt >= this.config.uploadIdTtlMs;
  }

  /** Drops records long past expiry, so state.json does not grow without bound. */
  async #sweepUploads(): Promise<void> {
    const cutoff = this.#clock.now() - 2 * this.config.uploadIdTtlMs;
    for (const [id, upload] of this.#state.uploads) {
      if (upload.createdAt < cutoff) {
        this.#state.uploads.delete(id);
        await this.#state.store.deleteUpload(id);
      }
    }
  }

  async #prepare(ctx: EmulatorContext, api: FeishuApi): Promise<void> {
    const appId = this.#authorize(ctx);
    if (!(await this.#rateLimit(ctx, appId))) return;
    const body = await this.#readJson(ctx);
    const fileName = this.#checkName(body['file_name']);
    const { parentType, parentNode } = this.#checkParent(api, body['parent_type'], body['parent_node']);
    const size = body['size'];
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail(1061002, 'size must be an integer >= 0');
    if (api === 'files' && size === 0) fail(1061002, 'files API: empty files cannot be uploaded');
    if (size > this.config.maxFileSize) fail(1061043, `size ${size} beyond limit ${this.config.maxFileSize}`);
    const extra = this.#checkExtra(api, body['extra']);
    this.#checkFolderRoom(api, parentNode);
    await this.#sweepUploads();

    let uploadId = newUploadId();
    while (this.#state.uploads.has(uploadId)) uploadId = newUploadId();
    const blockSize = this.config.blockSize;
    const blockNum = Math.ceil(size / blockSize);
    const upload: FeishuUploadRecord = {
      uploadId,
      api,
      appId,
      fileName,
      parentType,
      parentNode,
      size,
      blockSize,
      blockNum,
      createdAt: this.#clock.now(),
      expired: false,
      acceptedParts: 0,
      parts: {},
    };
    if (extra !== undefined) upload.extra = extra;
    this.#state.uploads.set(uploadId, upload);
    await this.#state.save();
    this.#ok(ctx, { upload_id: uploadId, block_size: blockSize, block_num: blockNum });
  }

  /** The open upload named by `uploadId`, checked for expiry and identity. */
  async #openUpload(api: FeishuApi, uploadId: unknown, appId: string): Promise<FeishuUploadRecord> {
    if (typeof uploadId !== 'string' || uploadId === '') fail(1061002, 'upload_id is required');
    const upload = this.#state.uploads.get(uploadId);
    if (!upload || upload.api !== api) fail(1061002, 'unknown upload_id');
    if (this.#isExpired(upload)) {
      if (!upload.expired || Object.keys(upload.parts).length > 0) {
        upload.expired = true;
        upload.parts = {};
        await this.#state.store.deleteUpload(upload.uploadId);
        await this.#state.save();
      }
      fail(1061021, 'upload id expired; start again from upload_prepare');
    }
    if (upload.appId !== appId) fail(1062007, 'upload_id belongs to another identity');
    return upload;
  }

  // ---- upload_part ---------------------------------------------------------------------

  /** Streams the `file` field to a temp file while computing its Adler-32 and length. */
  async #receiveForm(
    ctx: EmulatorContext,
    maxBytes: number,
    onFileStart?: (fields: ReadonlyMap<string, string>) => boolean,
  ): Promise<{ form: MultipartResult; temp: TempBlob | undefined; adler: Adler32; refused: boolean }> {
    const boundary = multipartBoundary(ctx.header('content-type'));
    if (boundary === undefined) fail(1061002, 'Content-Type must be multipart/form-data with a boundary');
    const adler = await Adler32.create();
    let temp: TempBlob | undefined;
    let refused = false;
    try {
      const form = await parseMultipart(ctx.body(), boundary, {
        fileFields: FILE_FIELDS,
        onFile: async (_info, fields) => {
          if (onFileStart && !onFileStart(fields)) {
            refused = true;
            return undefined;
          }
          temp = await this.#state.store.createTemp({ maxBytes, observe: (chunk) => adler.update(chunk) });
          return temp;
        },
      });
      return { form, temp, adler, refused };
    } catch (error) {
      await temp?.discard();
      if (error instanceof MultipartError) fail(1061002, `malformed multipart body: ${error.message}`);
      throw error;
    }
  }

  async #part(ctx: EmulatorContext, api: FeishuApi): Promise<void> {
    const appId = this.#authorize(ctx);
    if (!(await this.#rateLimit(ctx, appId))) return;
    let claimed: string | undefined;
    let temp: TempBlob | undefined;
    try {
      const received = await this.#receiveForm(ctx, this.config.blockSize, (fields) => {
        const id = fields.get('upload_id');
        if (api !== 'files' || id === undefined) return true;
        // The files API does not support concurrent calls (§1.4) → 1061045 for the loser.
        if (this.#partsInFlight.has(id)) return false;
        this.#partsInFlight.add(id);
        claimed = id;
        return true;
      });
      temp = received.temp;
      const { form, adler } = received;
      if (received.refused) fail(1061045, 'another upload_part on this upload_id is in flight');
      const upload = await this.#openUpload(api, form.fields.get('upload_id'), appId);
      if (this.#finishing.has(upload.uploadId)) fail(1061045, 'upload_finish in progress');
      const seqText = form.fields.get('seq');
      const sizeText = form.fields.get('size');
      if (seqText === undefined || !DECIMAL.test(seqText)) fail(1061002, 'seq must be an integer >= 0');
      if (sizeText === undefined || !DECIMAL.test(sizeText)) fail(1061002, 'size must be an integer >= 0');
      if (!temp) fail(1061002, 'file field is missing');
      const seq = Number(seqText);
      if (seq >= upload.blockNum) fail(1062011, `seq ${seq} out of range 0..${upload.blockNum - 1}`);
      const declared = Number(sizeText);
      const actual = temp.bytesSeen;
      if (declared !== actual) fail(1062009, `size field says ${declared} but the file part has ${actual} bytes`);
      const expected = seq === upload.blockNum - 1 ? upload.size - seq * upload.blockSize : upload.blockSize;
      if (actual !== expected) fail(1062009, `block ${seq} must be ${expected} bytes, got ${actual}`);
      const checksum = form.fields.get('checksum');
      if (checksum !== undefined) {
        // Unsigned 32-bit decimal only (§1.7, §8 q2).
        if (!DECIMAL.test(checksum) || checksum.length > 10 || Number(checksum) !== adler.value) {
          fail(1062008, `checksum ${checksum} does not match the block's Adler-32`);
        }
      }
      await this.#state.store.commitPart(temp, upload.uploadId, seq);
      temp = undefined;
      upload.parts[String(seq)] = { size: actual, checksum: adler.toString() };
      upload.acceptedParts += 1;
      const expireAfter = this.#faults.expireUploadsAfterParts;
      if (expireAfter !== undefined && upload.acceptedParts >= expireAfter) upload.expired = true;
      await this.#state.save();
      this.#ok(ctx, {});
    } finally {
      if (claimed !== undefined) this.#partsInFlight.delete(claimed);
      await temp?.discard();
    }
  }

  // ---- upload_finish -------------------------------------------------------------------

  async #finish(ctx: EmulatorContext, api: FeishuApi): Promise<void> {
    const appId = this.#authorize(ctx);
    if (!(await this.#rateLimit(ctx, appId))) return;
    const body = await this.#readJson(ctx);
    const upload = await this.#openUpload(api, body['upload_id'], appId);
    const blockNum = body['block_num'];
    if (typeof blockNum !== 'number' || !Number.isSafeInteger(blockNum)) fail(1061002, 'block_num must be an integer');
    if (blockNum !== upload.blockNum) fail(1061002, `block_num must be ${upload.blockNum}, the value upload_prepare returned`);
    if (this.#finishing.has(upload.uploadId)) fail(1061045, 'upload_finish already in progress');
    const missing: number[] = [];
    for (let seq = 0; seq < upload.blockNum; seq++) if (!upload.parts[String(seq)]) missing.push(seq);
    if (missing.length > 0) fail(1062010, `missing blocks: ${missing.slice(0, 20).join(',')}${missing.length > 20 ? ',…' : ''}`);
    this.#checkFolderRoom(api, upload.parentNode);
    this.#finishing.add(upload.uploadId);
    try {
      let fileToken = newFileToken();
      while (this.#state.files.has(fileToken)) fileToken = newFileToken();
      const seqs = Array.from({ length: upload.blockNum }, (_, i) => i);
      await this.#state.store.assemble(upload.uploadId, seqs, fileToken, (size) => {
        if (size !== upload.size) fail(1061001, `assembled ${size} bytes, expected ${upload.size}`);
      });
      this.#addFile(upload, fileToken);
      this.#state.uploads.delete(upload.uploadId);
      await this.#state.save();
      await this.#state.store.deleteUpload(upload.uploadId);
      this.#ok(ctx, { file_token: fileToken });
    } finally {
      this.#finishing.delete(upload.uploadId);
    }
  }

  #addFile(source: Omit<FeishuFileRecord, 'fileToken' | 'createdAt'>, fileToken: string): void {
    const file: FeishuFileRecord = {
      fileToken,
      api: source.api,
      fileName: source.fileName,
      parentType: source.parentType,
      parentNode: source.parentNode,
      size: source.size,
      createdAt: this.#clock.now(),
    };
    if (source.extra !== undefined) file.extra = source.extra;
    this.#state.files.set(fileToken, file);
  }

  // ---- upload_all ----------------------------------------------------------------------

  async #uploadAll(ctx: EmulatorContext, api: FeishuApi): Promise<void> {
    const appId = this.#authorize(ctx);
    if (!(await this.#rateLimit(ctx, appId))) return;
    let temp: TempBlob | undefined;
    try {
      // One byte past the ceiling is kept on disk at most; the rest is only counted.
      const received = await this.#receiveForm(ctx, FEISHU_UPLOAD_ALL_MAX_BYTES + 1);
      temp = received.temp;
      const { form, adler } = received;
      const fields = form.fields;
      const fileName = this.#checkName(fields.get('file_name'));
      const { parentType, parentNode } = this.#checkParent(api, fields.get('parent_type'), fields.get('parent_node'));
      const sizeText = fields.get('size');
      // A size with trailing spaces is a params error (§1.6).
      if (sizeText === undefined || !DECIMAL.test(sizeText)) fail(1061002, 'size must be a plain decimal integer');
      const size = Number(sizeText);
      if (api === 'files' && size === 0) fail(1061002, 'files API: empty files cannot be uploaded');
      if (size > FEISHU_UPLOAD_ALL_MAX_BYTES) fail(1061043, `upload_all takes at most ${FEISHU_UPLOAD_ALL_MAX_BYTES} bytes`);
      if (!temp) fail(1061002, 'file field is missing');
      if (temp.bytesSeen !== size) fail(1062009, `size field says ${size} but the file has ${temp.bytesSeen} bytes`);
      const checksum = fields.get('checksum');
      if (checksum !== undefined && (!DECIMAL.test(checksum) || checksum.length > 10 || Number(checksum) !== adler.value)) {
        fail(1062008, `checksum ${checksum} does not match the file's Adler-32`);
      }
      const extra = this.#checkExtra(api, fields.get('extra'));
      this.#checkFolderRoom(api, parentNode);
      let fileToken = newFileToken();
      while (this.#state.files.has(fileToken)) fileToken = newFileToken();
      await this.#state.store.commitObject(temp, fileToken);
      temp = undefined;
      const record: Omit<FeishuFileRecord, 'fileToken' | 'createdAt'> = { api, fileName, parentType, parentNode, size };
      if (extra !== undefined) record.extra = extra;
      this.#addFile(record, fileToken);
      await this.#state.save();
      this.#ok(ctx, { file_token: fileToken });
    } finally {
      await temp?.discard();
    }
  }

  // ---- download ------------------------------------------------------------------------

  async #download(ctx: EmulatorContext, api: FeishuApi): Promise<void> {
    this.#authorize(ctx);
    await ctx.discardBody();
    const token = ctx.params['file_token'] ?? '';
    const file = this.#state.files.get(token);
    if (!file || file.api !== api) fail(1061003, `no ${api === 'files' ? 'file' : 'media'} with token ${token}`);
    const size = await this.#state.store.objectSize(token);
    if (size === undefined) fail(1061007, 'stored bytes are gone');
    const range = parseRange(ctx.header('range'), size);
    if (range === 'unsatisfiable') {
      ctx.code = undefined;
      ctx.send(416, '', { 'Content-Range': `bytes */${size}` });
      return;
    }
    const headers: OutgoingHttpHeaders = {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': contentDisposition(file.fileName),
    };
    await sendStoredObject(ctx, this.#state.store, { key: token, size, range, headers });
  }
}
