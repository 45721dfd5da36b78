import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { readAdminJson } from '../infra/admin-routes.js';
import type { TempBlob } from '../infra/blob-store.js';
import type { EmulatorClock } from '../infra/emulator-clock.js';
import { parseRange, sendStoredObject } from '../infra/byte-range.js';
import type { EmulatorContext } from '../infra/emulator-context.js';
import type { EmulatorFlavour, EmulatorRoute } from '../infra/emulator-route.js';
import type { FaultController } from '../infra/fault-controller.js';
import { MultipartError, multipartBoundary, parseMultipart } from '../infra/multipart-parser.js';
import { RateLimiter, type RateLimit } from '../infra/rate-limiter.js';
import { COS_LEGACY_DEFAULT_FAULT_CODE, cosLegacyCodeInfo, type CosLegacyCode } from './cos-legacy-codes.js';
import {
  COS_LEGACY_BUCKET_NAME,
  COS_LEGACY_SIMPLE_UPLOAD_MAX_BYTES,
  type CosLegacyCorsConfig,
  type CosLegacyEmulatorConfig,
} from './cos-legacy-config.js';
import { CosLegacySignatureVerifier } from './cos-legacy-signature-verifier.js';
import { CosLegacyState, type CosLegacyFileRecord, type CosLegacySessionRecord, type CosLegacySlice } from './cos-legacy-state.js';
import { Crc64Ecma } from '../infra/crc64-ecma.js';
import { WasmSha1 } from '../infra/wasm-sha1.js';

/** The ops this flavour implements (cloud-apis.md §3.1, §3.3–3.6); each is a route name `cos-legacy.<op>`. */
export const COS_LEGACY_OPS: ReadonlySet<string> = new Set(['upload_slice_init', 'upload_slice_data', 'upload_slice_list', 'upload_slice_finish', 'upload']);

/** The content field: `filecontent` in the docs, `fileContent` in the JS and Java SDKs (§3.4) — both accepted. */
const FILE_FIELDS: ReadonlySet<string> = new Set(['filecontent', 'fileContent']);
/** JSON bodies (the Java SDK sends upload_slice_list as JSON, §3.1) are small. */
const JSON_BODY_LIMIT = 64 * 1024;
/** Longest path inside a bucket we accept [infer]. */
const MAX_PATH_LENGTH = 1024;
const DECIMAL = /^\d{1,16}$/;
const HEX40 = /^[0-9a-fA-F]{40}$/;
/** Request headers a preflight may ask for (what the SDKs send). */
const CORS_ALLOWED_HEADERS: ReadonlySet<string> = new Set(['authorization', 'content-type', 'accept', 'origin', 'range', 'x-requested-with']);
const CORS_ALLOWED_METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'HEAD']);

/** What the rest of the emulator hands the flavour. */
export interface CosLegacyEmulatorDeps {
  dataDir: string;
  clock: EmulatorClock;
  faults: FaultController;
  config: CosLegacyEmulatorConfig;
}

/** A documented failure a handler answers with; thrown so validation reads top to bottom. */
/** A slice's SHA-1, seeded before its bytes arrived, and the slice position it was seeded for. */
interface SliceHasher {
  offset: number;
  before: string | undefined;
  hasher: WasmSha1;
}

/** What the request handler computed over an `upload_slice_data` body on its way in. */
interface SliceBody {
  md5: string;
  crc64: string;
  early: SliceHasher | undefined;
}

class CosFailure extends Error {
  override readonly name = 'CosFailure';
  readonly code: CosLegacyCode;
  constructor(code: CosLegacyCode, detail: string) {
    super(detail);
    this.code = code;
  }
}

/** Thrown after a fault destroyed the connection: nothing is left to answer. */
class Dropped extends Error {
  override readonly name = 'Dropped';
}

function fail(code: CosLegacyCode, detail: string): never {
  throw new CosFailure(code, detail);
}

function requestId(): string {
  return randomBytes(12).toString('hex');
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}


/** An integer form field ≥ `min`, else `-5999`. */
function intField(fields: ReadonlyMap<string, string>, name: string, min: number): number {
  const text = fields.get(name);
  if (text === undefined || !DECIMAL.test(text.trim())) fail(-5999, `${name} must be a decimal integer`);
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value) || value < min) fail(-5999, `${name} must be >= ${min}`);
  return value;
}

function shaField(fields: ReadonlyMap<string, string>): string | undefined {
  const sha = fields.get('sha');
  if (sha === undefined || sha === '') return undefined;
  if (!HEX40.test(sha)) fail(-5999, 'sha must be 40 hex digits (SHA-1)');
  return sha.toLowerCase();
}

function insertOnlyField(fields: ReadonlyMap<string, string>): boolean {
  const value = fields.get('insertOnly');
  // 1 (default) = do not overwrite, 0 = overwrite (§3.3; SDK InsertOnly enum).
  if (value === undefined || value === '' || value === '1') return true;
  if (value === '0') return false;
  fail(-5999, 'insertOnly must be 0 or 1');
}

/**
 * Parses and checks `uploadparts` (§3.3, §3.7): JSON (`-5965`), then one entry per slice with
 * `offset = i·S`, `datalen = min(S, N − offset)`, a 40-hex `datasha`, and the last `datasha`
 * equal to `sha` (`-5999` for any inconsistency [infer]).
 */
function parseUploadparts(text: string, filesize: number, sliceSize: number, sha: string | undefined): CosLegacySlice[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail(-5965, 'uploadparts is not valid JSON');
  }
  if (!Array.isArray(value)) fail(-5999, 'uploadparts must be a JSON array');
  if (sha === undefined) fail(-5999, 'uploadparts needs sha (the whole-file SHA-1)');
  const count = Math.ceil(filesize / sliceSize);
  if (value.length !== count) fail(-5999, `uploadparts must list ${count} slices of ${sliceSize} bytes, got ${value.length}`);
  return value.map((entry: unknown, i): CosLegacySlice => {
    const e = entry as Partial<Record<'offset' | 'datalen' | 'datasha', unknown>> | null;
    const offset = i * sliceSize;
    const datalen = Math.min(sliceSize, filesize - offset);
    if (typeof e !== 'object' || e === null || e.offset !== offset || e.datalen !== datalen) {
      fail(-5999, `uploadparts[${i}] must be {"offset":${offset},"datalen":${datalen},"datasha":…}`);
    }
    if (typeof e.datasha !== 'string' || !HEX40.test(e.datasha)) fail(-5999, `uploadparts[${i}].datasha must be 40 hex digits`);
    const datasha = e.datasha.toLowerCase();
    if (i === count - 1 && datasha !== sha) fail(-5999, 'the last uploadparts datasha must equal sha');
    return { offset, datalen, datasha };
  });
}

/**
 * The Tencent COS legacy JSON API ("files/v2", COS v4) flavour (cloud-apis.md §3 and §7
 * "Tencent COS v4"). One route takes every op on `POST /files/v2/{appid}/{bucket}/{path}`;
 * the op is read from the form, so faults and the log use `cos-legacy.<op>` names.
 *
 * Choices where the spec is silent (docs/emulator.md, each marked [infer] in code):
 * an unknown, expired or finished `session` → `-197`; out-of-order serial slices, a wrong
 * slice length, missing slices at finish and every other malformed field → `-5999`;
 * a missing signature → `-48`; a replayed single-effect signature → `-97`; a new init at a
 * path whose unfinished session lacks a sha (or which itself has none) replaces that
 * session; slice init refuses `filesize` 0 (use `op=upload`).
 */
export class CosLegacyEmulator implements EmulatorFlavour {
  readonly name = 'cos-legacy';
  readonly routes: readonly EmulatorRoute[];
  /** Live config; {@link setCors} and {@link setRateLimit} change it at run time. */
  readonly config: CosLegacyEmulatorConfig;
  readonly #clock: EmulatorClock;
  readonly #faults: FaultController;
  readonly #state: CosLegacyState;
  readonly #signatures: CosLegacySignatureVerifier;
  readonly #limiter: RateLimiter;
  readonly #finishing = new Set<string>();

  constructor(deps: CosLegacyEmulatorDeps) {
    this.config = deps.config;
    this.#clock = deps.clock;
    this.#faults = deps.faults;
    this.#state = new CosLegacyState(deps.dataDir);
    this.#signatures = new CosLegacySignatureVerifier(() => ({
      secretId: this.config.secretId,
      secretKey: this.config.secretKey,
      maxLifetimeSec: this.config.maxSignatureLifetimeSec,
      singleEffectWindowSec: this.config.singleEffectWindowSec,
    }));
    this.#limiter = new RateLimiter(() => this.#clock.now(), () => this.config.rateLimit);
    this.routes = this.#buildRoutes();
  }

  /** Loads persisted files and sessions. */
  init(): Promise<void> {
    return this.#state.init();
  }

  /** Waits for state writes. */
  close(): Promise<void> {
    return this.#state.flush();
  }

  /** Stored files, oldest first (for test assertions and the admin route). */
  files(): CosLegacyFileRecord[] {
    return [...this.#state.files.values()].map((f) => ({ ...f }));
  }

  /** Unfinished sessions (for test assertions and the admin route). */
  sessions(): CosLegacySessionRecord[] {
    return [...this.#state.sessions.values()].filter((s) => !s.expired).map((s) => structuredClone(s));
  }

  /** Drops every unfinished session now (they answer `-197` from then on); returns how many. */
  async expireSessions(): Promise<number> {
    let count = 0;
    for (const session of [...this.#state.sessions.values()]) {
      count += session.expired ? 0 : 1;
      await this.#dropSession(session);
    }
    await this.#state.save();
    return count;
  }

  /** Changes the bucket CORS rules at run time (e.g. `{ exposeEtag: false }`). */
  setCors(patch: Partial<CosLegacyCorsConfig>): void {
    const next = { ...this.config.cors, ...patch };
    if (typeof next.enabled !== 'boolean' || typeof next.exposeEtag !== 'boolean' || !Array.isArray(next.origins) || !next.origins.every((o) => typeof o === 'string')) {
      throw new RangeError('cors needs boolean enabled, boolean exposeEtag and origins: string[]');
    }
    this.config.cors = { ...next, origins: [...next.origins] };
  }

  /** Changes rate limiting at run time; resets the buckets. */
  setRateLimit(patch: Partial<RateLimit>): void {
    const next = { ...this.config.rateLimit, ...patch };
    if (!(next.qps > 0) || !Number.isSafeInteger(next.perDay) || next.perDay <= 0 || typeof next.enabled !== 'boolean') {
      throw new RangeError('rate limit needs qps > 0, integer perDay > 0 and boolean enabled');
    }
    this.config.rateLimit = next;
    this.#limiter.reset();
  }

  renderFault(ctx: EmulatorContext, code: number | string | null): void {
    const numeric = typeof code === 'number' ? code : code !== null && /^-?\d+$/.test(code) ? Number(code) : COS_LEGACY_DEFAULT_FAULT_CODE;
    this.#fail(ctx, numeric, 'emulator fault');
  }

  // ---- responses ----------------------------------------------------------------------

  #ok(ctx: EmulatorContext, data: Record<string, unknown>, headers: OutgoingHttpHeaders = {}): void {
    ctx.code = 0;
    ctx.json(200, { code: 0, message: 'SUCCESS', request_id: requestId(), data }, headers);
  }

  /** Error envelope `{code, message, request_id}` with the documented status (§3.1, §3.9). */
  #fail(ctx: EmulatorContext, code: number, detail: string): void {
    const info = cosLegacyCodeInfo(code);
    ctx.code = code;
    ctx.json(info.status, { code, message: `${info.message}: ${detail}`, request_id: requestId() });
  }

  /**
   * Bucket CORS for a request with an `Origin`: sets the response headers and returns true,
   * or returns false when the rules refuse it (`-121`). No `Origin` → true, no headers.
   */
  #applyCors(ctx: EmulatorContext): boolean {
    const origin = ctx.header('origin');
    if (origin === undefined) return true;
    const { enabled, origins, exposeEtag } = this.config.cors;
    const any = origins.includes('*');
    if (!enabled || (!any && !origins.includes(origin))) return false;
    ctx.res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
    if (!any) ctx.res.setHeader('Vary', 'Origin');
    // §7: expose ETag only when configured, so a test can prove the "ETag hidden" diagnostic.
    if (exposeEtag) ctx.res.setHeader('Access-Control-Expose-Headers', 'ETag');
    return true;
  }

  #urls(ctx: EmulatorContext, path: string): Record<string, string> {
    const base = `http://${ctx.header('host') ?? '127.0.0.1'}`;
    const { appId, bucket } = this.config;
    // The real hosts are `{bucket}-{appid}.file.myqcloud.com` (CDN) and `.cos{region}.` (origin);
    // one emulator port serves both as `/cos-legacy/{bucket}-{appid}/{path}` (§3.1).
    const download = `${base}/cos-legacy/${bucket}-${appId}/${encodePath(path)}`;
    return {
      access_url: download,
      resource_path: `/${appId}/${bucket}/${path}`,
      source_url: download,
      url: `${base}/files/v2/${appId}/${bucket}/${encodePath(path)}`,
    };
  }

  // ---- routes -------------------------------------------------------------------------

  #buildRoutes(): EmulatorRoute[] {
    const wrap = (handler: (ctx: EmulatorContext) => Promise<void>): EmulatorRoute['handle'] => async (ctx) => {
      try {
        await handler(ctx);
      } catch (error) {
        if (error instanceof Dropped) return;
        if (!(error instanceof CosFailure)) throw error;
        await ctx.discardBody();
        this.#fail(ctx, error.code, error.message);
      }
    };
    const admin = (method: string, path: string, name: string, handle: EmulatorRoute['handle']): EmulatorRoute => ({
      method,
      path: `/__emulator/cos-legacy/${path}`,
      name: `admin.cos-legacy.${name}`,
      admin: true,
      handle,
    });
    return [
      { name: 'cos-legacy.preflight', method: 'OPTIONS', path: '/files/v2/*', handle: wrap((ctx) => this.#preflight(ctx)) },
      { name: 'cos-legacy.files', method: 'POST', path: '/files/v2/:appid/:bucket/*', deferFaults: true, handle: wrap((ctx) => this.#files(ctx)) },
      { name: 'cos-legacy.download.preflight', method: 'OPTIONS', path: '/cos-legacy/*', handle: wrap((ctx) => this.#preflight(ctx)) },
      { name: 'cos-legacy.download', method: 'GET', path: '/cos-legacy/:host/*', handle: wrap((ctx) => this.#download(ctx)) },
      admin('GET', 'files', 'files', (ctx) => ctx.json(200, { files: this.files() })),
      admin('GET', 'sessions', 'sessions', (ctx) => ctx.json(200, { sessions: this.sessions() })),
      admin('POST', 'expire-sessions', 'expire_sessions', async (ctx) => {
        await ctx.discardBody();
        ctx.json(200, { expired: await this.expireSessions() });
      }),
      admin('GET', 'cors', 'cors.get', (ctx) => ctx.json(200, this.config.cors)),
      admin('PUT', 'cors', 'cors.put', async (ctx) => {
        const body = await readAdminJson(ctx);
        if (body === undefined) return;
        try {
          this.setCors(body as Partial<CosLegacyCorsConfig>);
        } catch (error) {
          ctx.json(400, { error: error instanceof Error ? error.message : String(error) });
          return;
        }
        ctx.json(200, this.config.cors);
      }),
      admin('GET', 'rate-limit', 'rate_limit.get', (ctx) => ctx.json(200, this.config.rateLimit)),
      admin('PUT', 'rate-limit', 'rate_limit.put', async (ctx) => {
        const body = await readAdminJson(ctx);
        if (body === undefined) return;
        try {
          this.setRateLimit(body as Partial<RateLimit>);
        } catch (error) {
          ctx.json(400, { error: error instanceof Error ? error.message : String(error) });
          return;
        }
        ctx.json(200, this.config.rateLimit);
      }),
    ];
  }

  /** Bucket CORS preflight: allowed origin, method and headers → 204, else `-121` (§3.9). */
  async #preflight(ctx: EmulatorContext): Promise<void> {
    await ctx.discardBody();
    if (ctx.header('origin') === undefined) {
      ctx.send(204, '');
      return;
    }
    const method = (ctx.header('access-control-request-method') ?? '').toUpperCase();
    const asked = (ctx.header('access-control-request-headers') ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
    if (!this.#applyCors(ctx)) fail(-121, 'origin not allowed by the bucket CORS rules');
    if (!CORS_ALLOWED_METHODS.has(method)) fail(-121, `method ${method || '(none)'} not allowed by the bucket CORS rules`);
    const refused = asked.filter((h) => !CORS_ALLOWED_HEADERS.has(h));
    if (refused.length > 0) fail(-121, `headers not allowed by the bucket CORS rules: ${refused.join(', ')}`);
    ctx.send(204, '', {
      'Access-Control-Allow-Methods': [...CORS_ALLOWED_METHODS].join(', '),
      ...(asked.length > 0 && { 'Access-Control-Allow-Headers': asked.join(', ') }),
      'Access-Control-Max-Age': '600',
    });
  }

  /** Checks the bucket and the path of a files/v2 URL; returns the decoded path inside the bucket. */
  #checkTarget(ctx: EmulatorContext): string {
    const appId = ctx.params['appid'] ?? '';
    const bucket = ctx.params['bucket'] ?? '';
    if (!COS_LEGACY_BUCKET_NAME.test(bucket)) fail(-199, `invalid bucket name "${bucket}"`);
    if (appId !== this.config.appId || bucket !== this.config.bucket) fail(-133, `bucket ${bucket} does not exist under appid ${appId}`);
    const path = ctx.params['*'] ?? '';
    const segments = path.split('/');
    if (path === '' || path.length > MAX_PATH_LENGTH || segments.some((s) => s === '' || s === '.' || s === '..') || [...path].some((c) => c < ' ' || c === '\x7f')) {
      fail(-5999, 'the URL must name a file: /files/v2/{appid}/{bucket}[/{dir…}]/{file_name}');
    }
    return path;
  }

  /** The signature from `Authorization` or `?sign=` (§3.1, §7), verified against the path. */
  #authorize(ctx: EmulatorContext, path: string): void {
    // URLSearchParams turns an unencoded `+` into a space; Base64 has no spaces, so undo it.
    const sign = ctx.header('authorization') ?? ctx.url.searchParams.get('sign')?.replaceAll(' ', '+');
    if (sign === undefined || sign === '') fail(-48, 'no signature (Authorization header or ?sign=)');
    const verdict = this.#signatures.verify(
      sign.trim(),
      { appId: this.config.appId, bucket: this.config.bucket, resource: `/${this.config.appId}/${this.config.bucket}/${path}` },
      Math.floor(this.#clock.now() / 1000),
    );
    if (!verdict.ok) fail(verdict.code, verdict.detail);
  }

  /** Decides and applies the injected fault for `op`; returns the error code to answer with, if any. */
  async #fault(ctx: EmulatorContext, op: string | undefined): Promise<{ error?: number | string | null; dropAfterBytes?: number }> {
    ctx.route = op !== undefined && COS_LEGACY_OPS.has(op) ? `cos-legacy.${op}` : 'cos-legacy.files';
    const decision = this.#faults.decide(ctx.route);
    if (decision.latencyMs > 0) {
      ctx.fault = 'latency';
      await sleep(decision.latencyMs);
    }
    if (decision.dropAfterBytes !== undefined) {
      ctx.fault = 'drop';
      return { dropAfterBytes: decision.dropAfterBytes };
    }
    if (decision.error !== undefined) {
      ctx.fault = 'error';
      return { error: decision.error };
    }
    return {};
  }

  async #files(ctx: EmulatorContext): Promise<void> {
    if (!this.#applyCors(ctx)) fail(-121, 'origin not allowed by the bucket CORS rules');
    let temp: TempBlob | undefined;
    let decided: { error?: number | string | null; dropAfterBytes?: number } | undefined;
    const md5 = createHash('md5');
    let sha1: Hash | undefined;
    const crc = await Crc64Ecma.create();
    let early: SliceHasher | undefined;
    try {
      let fields: Map<string, string>;
      const boundary = multipartBoundary(ctx.header('content-type'));
      if (boundary !== undefined) {
        try {
          const form = await parseMultipart(ctx.body(), boundary, {
            fileFields: FILE_FIELDS,
            onFile: async (info, fieldsSoFar) => {
              if (temp !== undefined) fail(-5999, 'send filecontent (or fileContent) once');
              // The op normally precedes the bytes (§3.4), so the fault can cut the body mid-way.
              decided ??= await this.#fault(ctx, fieldsSoFar.get('op'));
              if (decided.dropAfterBytes !== undefined) {
                await ctx.dropConnection(decided.dropAfterBytes);
                throw new Dropped(info.name);
              }
              if (decided.error !== undefined) return undefined;
              // A slice is checked against its datasha, not the whole-file SHA-1; when the
              // fields before the bytes say which slice it is, hash it on the way in (#data
              // re-reads it from disk otherwise).
              const slice = fieldsSoFar.get('op') === 'upload_slice_data';
              if (!slice) sha1 = createHash('sha1');
              early = slice ? await this.#sliceHasher(fieldsSoFar) : undefined;
              const hasher = early?.hasher;
              temp = await this.#state.store.createTemp({
                maxBytes: this.#maxBodyBytes() + 1,
                observe: (chunk) => {
                  md5.update(chunk);
                  sha1?.update(chunk);
                  crc.update(chunk);
                  hasher?.update(chunk);
                },
              });
              return temp;
            },
          });
          fields = form.fields;
        } catch (error) {
          if (error instanceof MultipartError) fail(-5999, `malformed multipart body: ${error.message}`);
          throw error;
        }
      } else {
        fields = await this.#readJsonFields(ctx);
      }
      const op = fields.get('op');
      decided ??= await this.#fault(ctx, op);
      if (decided.dropAfterBytes !== undefined) {
        ctx.req.socket.destroy();
        return;
      }
      if (decided.error !== undefined) {
        this.renderFault(ctx, decided.error);
        return;
      }
      const path = this.#checkTarget(ctx);
      this.#authorize(ctx, path);
      if (op === undefined || !COS_LEGACY_OPS.has(op)) fail(-5999, `unknown op "${op ?? ''}"`);
      if (this.#limiter.take(`${this.config.secretId}:${op}`) !== 'ok') fail(-71, 'too many requests');
      await this.#sweep();
      switch (op) {
        case 'upload_slice_init':
          await this.#init(ctx, path, fields);
          return;
        case 'upload_slice_data': {
          const file = temp;
          temp = undefined;
          await this.#data(ctx, path, fields, file, { md5: md5.digest('hex'), crc64: crc.toString(), early });
          return;
        }
        case 'upload_slice_list':
          this.#list(ctx, path);
          return;
        case 'upload_slice_finish':
          await this.#finish(ctx, path, fields);
          return;
        default: {
          const file = temp;
          temp = undefined;
          await this.#simpleUpload(ctx, path, fields, file, { sha: (sha1 ?? createHash('sha1')).digest('hex'), crc64: crc.toString() });
        }
      }
    } finally {
      await temp?.discard();
    }
  }

  #maxBodyBytes(): number {
    return Math.max(COS_LEGACY_SIMPLE_UPLOAD_MAX_BYTES, ...this.config.sliceSizes, this.config.forceSliceSize ?? 0);
  }

  async #readJsonFields(ctx: EmulatorContext): Promise<Map<string, string>> {
    const type = ctx.header('content-type') ?? '';
    if (!/^application\/json\b/i.test(type)) fail(-5999, 'Content-Type must be multipart/form-data (or application/json without file content)');
    const body = await ctx.readBody(JSON_BODY_LIMIT);
    if (body === undefined) fail(-5999, `JSON body larger than ${JSON_BODY_LIMIT} bytes`);
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      fail(-5999, 'body is not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(-5999, 'body must be a JSON object');
    const fields = new Map<string, string>();
    for (const [key, v] of Object.entries(value)) fields.set(key, typeof v === 'string' ? v : JSON.stringify(v));
    return fields;
  }

  // ---- sessions ------------------------------------------------------------------------

  async #dropSession(session: CosLegacySessionRecord): Promise<void> {
    this.#state.sessions.delete(session.session);
    await this.#state.store.deleteUpload(session.session);
  }

  /** Drops sessions past their lifetime or expired early. */
  async #sweep(): Promise<void> {
    const now = this.#clock.now();
    let changed = false;
    for (const session of [...this.#state.sessions.values()]) {
      if (session.expired || now - session.createdAt >= this.config.sessionTtlMs) {
        await this.#dropSession(session);
        changed = true;
      }
    }
    if (changed) await this.#state.save();
  }

  /** The live session named by the `session` field, on this path (`-197` when unknown [infer]). */
  #openSession(fields: ReadonlyMap<string, string>, path: string): CosLegacySessionRecord {
    const id = fields.get('session');
    if (id === undefined || id === '') fail(-5999, 'session is required');
    const session = this.#state.sessions.get(id);
    if (!session || session.expired) fail(-197, 'no unfinished upload with this session (unknown, expired or finished)');
    if (session.path !== path) fail(-5999, 'the session belongs to another path');
    return session;
  }

  // ---- upload_slice_init ---------------------------------------------------------------

  async #init(ctx: EmulatorContext, path: string, fields: ReadonlyMap<string, string>): Promise<void> {
    const filesize = intField(fields, 'filesize', 0);
    if (filesize === 0) fail(-5999, 'filesize must be > 0 for a slice upload; send empty files with op=upload');
    const requested = intField(fields, 'slice_size', 1);
    if (!this.config.sliceSizes.includes(requested)) fail(-284, `slice_size must be one of ${this.config.sliceSizes.join(', ')}`);
    const sha = shaField(fields);
    const partsText = fields.get('uploadparts');
    const uploadparts = partsText === undefined || partsText === '' ? undefined : parseUploadparts(partsText, filesize, requested, sha);
    const insertOnly = insertOnlyField(fields);
    const bizAttr = fields.get('biz_attr');

    if (insertOnly && this.#state.files.has(path)) fail(-177, `${path} already exists (insertOnly=1)`);
    const open = this.#state.sessionAt(path);
    if (open) {
      if (open.sha !== undefined && sha !== undefined) {
        // §3.3: same sha → resume through upload_slice_list; another sha → conflict.
        if (open.sha === sha) fail(-4019, 'resume it: upload_slice_list returns its session and slices');
        fail(-4020, 'another file is being uploaded to this path');
      }
      // Without a sha on both sides the two cannot be compared: the new init wins [infer].
      await this.#dropSession(open);
    }
    if (sha !== undefined) {
      const same = this.#state.fileWithContent(sha, filesize);
      if (same) {
        // Rapid upload ("秒传", §3.3): the content is stored, so the path points at it now.
        await this.#putFile({ path, size: filesize, sha, crc64: same.crc64, createdAt: this.#clock.now(), objectKey: same.objectKey, ...(bizAttr !== undefined && { bizAttr }) });
        this.#ok(ctx, this.#urls(ctx, path));
        return;
      }
    }
    let id = randomBytes(48).toString('hex');
    while (this.#state.sessions.has(id)) id = randomBytes(48).toString('hex');
    // The server may answer another slice_size (§3.3); with uploadparts the slices are fixed.
    const sliceSize = uploadparts === undefined ? (this.config.forceSliceSize ?? requested) : requested;
    const session: CosLegacySessionRecord = {
      session: id,
      path,
      filesize,
      sliceSize,
      insertOnly,
      createdAt: this.#clock.now(),
      expired: false,
      acceptedSlices: 0,
      parts: {},
      ...(sha !== undefined && { sha }),
      ...(uploadparts !== undefined && { uploadparts }),
      ...(bizAttr !== undefined && { bizAttr }),
    };
    this.#state.sessions.set(id, session);
    await this.#state.save();
    // serial_upload = 1 without uploadparts: the server can only verify a running SHA-1 (§3.7).
    this.#ok(ctx, { session: id, slice_size: sliceSize, offset: 0, serial_upload: uploadparts === undefined ? 1 : 0 });
  }

  // ---- upload_slice_data ---------------------------------------------------------------

  /**
   * The SHA-1 state a slice starts from, when the form fields sent before its bytes name a
   * known session and offset (the same look-up as {@link #data}, which re-checks it).
   */
  async #sliceHasher(fields: ReadonlyMap<string, string>): Promise<SliceHasher | undefined> {
    const session = this.#state.sessions.get(fields.get('session') ?? '');
    const offsetText = fields.get('offset')?.trim();
    if (!session || offsetText === undefined || !DECIMAL.test(offsetText)) return undefined;
    const offset = Number(offsetText);
    if (!Number.isSafeInteger(offset) || offset % session.sliceSize !== 0 || offset >= session.filesize) return undefined;
    const before = this.#stateBefore(session, offset / session.sliceSize);
    try {
      return { offset, before, hasher: before === undefined ? await WasmSha1.create() : await WasmSha1.fromDatasha(before, offset) };
    } catch {
      return undefined;
    }
  }

  /** The datasha before slice `index`: the previous slice's (serial: as received; parallel: as declared at init). */
  #stateBefore(session: CosLegacySessionRecord, index: number): string | undefined {
    if (index === 0) return undefined;
    return session.uploadparts === undefined ? session.parts[String(index - 1)]?.datasha : session.uploadparts[index - 1]?.datasha;
  }

  async #data(ctx: EmulatorContext, path: string, fields: ReadonlyMap<string, string>, temp: TempBlob | undefined, body: SliceBody): Promise<void> {
    try {
      const session = this.#openSession(fields, path);
      const { sliceSize, filesize } = session;
      const offset = intField(fields, 'offset', 0);
      if (offset % sliceSize !== 0 || offset >= filesize) fail(-5999, `offset must be a multiple of ${sliceSize} below ${filesize}`);
      if (!temp) fail(-5999, 'filecontent (or fileContent) is missing');
      const index = offset / sliceSize;
      const count = Math.ceil(filesize / sliceSize);
      const datalen = Math.min(sliceSize, filesize - offset);
      if (temp.bytesSeen !== datalen) fail(-5999, `the slice at offset ${offset} must be ${datalen} bytes, got ${temp.bytesSeen}`);
      const sha = shaField(fields);
      if (sha !== undefined && session.sha !== undefined && sha !== session.sha) fail(-4016, 'sha differs from the one given at init');
      const serial = session.uploadparts === undefined;
      if (serial) {
        let next = 0;
        while (session.parts[String(next)]) next++;
        if (index > next) fail(-5999, `serial_upload: send the slice at offset ${next * sliceSize} first`);
      }
      // Verify the slice on its own (§7): start from the state before it, compress it, compare.
      const before = this.#stateBefore(session, index);
      let hasher = body.early?.offset === offset && body.early.before === before ? body.early.hasher : undefined;
      await temp.close();
      if (!hasher) {
        hasher = before === undefined ? await WasmSha1.create() : await WasmSha1.fromDatasha(before, offset);
        for await (const chunk of createReadStream(temp.path, { highWaterMark: 1 << 20 })) hasher.update(chunk as Buffer);
      }
      const datasha = index === count - 1 ? hasher.digestHex() : hasher.datasha();
      const expected = serial ? session.parts[String(index)]?.datasha : session.uploadparts?.[index]?.datasha;
      if (expected !== undefined && expected !== datasha) fail(-4016, `slice at offset ${offset} does not match its datasha`);
      await this.#state.store.commitPart(temp, session.session, index);
      temp = undefined;
      session.parts[String(index)] = { datalen, datasha, crc64: body.crc64 };
      session.acceptedSlices += 1;
      const expireAfter = this.#faults.expireUploadsAfterParts;
      if (expireAfter !== undefined && session.acceptedSlices >= expireAfter) session.expired = true;
      await this.#state.save();
      // The PHP SDK compares the echoed MD5 with its own (§3.4).
      this.#ok(ctx, { session: session.session, offset, ...(fields.has('datamd5') && { datamd5: body.md5 }) }, { ETag: `"${body.md5}"` });
    } finally {
      await temp?.discard();
    }
  }

  // ---- upload_slice_list ---------------------------------------------------------------

  #list(ctx: EmulatorContext, path: string): void {
    const session = this.#state.sessionAt(path);
    if (session) {
      const listparts = Object.entries(session.parts)
        .map(([index, part]) => ({ offset: Number(index) * session.sliceSize, datalen: part.datalen, datasha: part.datasha }))
        .sort((a, b) => a.offset - b.offset);
      this.#ok(ctx, { session: session.session, slice_size: session.sliceSize, filesize: session.filesize, sha: session.sha ?? '', listparts });
      return;
    }
    if (this.#state.files.has(path)) {
      this.#ok(ctx, this.#urls(ctx, path));
      return;
    }
    fail(-197, `no unfinished upload and no file at ${path}`);
  }

  // ---- upload_slice_finish -------------------------------------------------------------

  async #finish(ctx: EmulatorContext, path: string, fields: ReadonlyMap<string, string>): Promise<void> {
    const session = this.#openSession(fields, path);
    const filesize = intField(fields, 'filesize', 0);
    if (filesize !== session.filesize) fail(-175, `filesize must be ${session.filesize}, the value given at init`);
    const sha = shaField(fields);
    if (session.sha !== undefined && sha === undefined) fail(-29094, 'init carried sha');
    const count = Math.ceil(session.filesize / session.sliceSize);
    const missing: number[] = [];
    for (let i = 0; i < count; i++) if (!session.parts[String(i)]) missing.push(i * session.sliceSize);
    if (missing.length > 0) fail(-5999, `slices missing at offsets ${missing.slice(0, 20).join(',')}${missing.length > 20 ? ',…' : ''}`);
    // The last slice's datasha is the whole-file digest (§3.7), verified slice by slice.
    const digest = session.parts[String(count - 1)]?.datasha ?? '';
    if ((sha !== undefined && sha !== digest) || (session.sha !== undefined && session.sha !== digest)) fail(-4016, 'the file does not match sha');
    if (session.insertOnly && this.#state.files.has(path)) fail(-177, `${path} already exists (insertOnly=1)`);
    if (this.#finishing.has(session.session)) fail(-5999, 'upload_slice_finish already in progress');
    this.#finishing.add(session.session);
    try {
      const objectKey = randomBytes(16).toString('hex');
      const indexes = Array.from({ length: count }, (_, i) => i);
      // The slices become the object without a copy; the size is checked before they move.
      await this.#state.store.assemble(session.session, indexes, objectKey, (size) => {
        if (size !== session.filesize) fail(-195, `assembled ${size} bytes, expected ${session.filesize}`);
      });
      const crc64 = this.#combinedCrc64(indexes.map((i) => session.parts[String(i)])) ?? (await this.#crc64FromDisk(objectKey));
      this.#state.sessions.delete(session.session);
      await this.#putFile({ path, size: session.filesize, sha: digest, crc64, createdAt: this.#clock.now(), objectKey, ...(session.bizAttr !== undefined && { bizAttr: session.bizAttr }) });
      await this.#state.store.deleteUpload(session.session);
      this.#ok(ctx, this.#urls(ctx, path));
    } finally {
      this.#finishing.delete(session.session);
    }
  }

  /** CRC-64 of the slices in order from their own CRCs, or undefined when one lacks it (stored by an older run). */
  #combinedCrc64(slices: readonly (CosLegacySessionRecord['parts'][string] | undefined)[]): string | undefined {
    let crc = 0n;
    for (const slice of slices) {
      if (slice?.crc64 === undefined) return undefined;
      crc = Crc64Ecma.combine(crc, BigInt(slice.crc64), slice.datalen);
    }
    return crc.toString();
  }

  async #crc64FromDisk(objectKey: string): Promise<string> {
    const crc = await Crc64Ecma.create();
    for await (const chunk of this.#state.store.openObject(objectKey)) crc.update(chunk as Buffer);
    return crc.toString();
  }

  /** Stores a file record (replacing one at the same path) and saves; frees an orphaned object. */
  async #putFile(file: CosLegacyFileRecord): Promise<void> {
    const old = this.#state.files.get(file.path);
    this.#state.files.set(file.path, file);
    if (old && old.objectKey !== file.objectKey && !this.#state.objectInUse(old.objectKey)) await this.#state.store.deleteObject(old.objectKey);
    await this.#state.save();
  }

  // ---- op=upload (simple) ----------------------------------------------------------------

  async #simpleUpload(
    ctx: EmulatorContext,
    path: string,
    fields: ReadonlyMap<string, string>,
    temp: TempBlob | undefined,
    computed: { sha: string; crc64: string },
  ): Promise<void> {
    try {
      if (!temp) fail(-5999, 'filecontent (or fileContent) is missing');
      if (temp.bytesSeen > COS_LEGACY_SIMPLE_UPLOAD_MAX_BYTES) fail(-5999, `op=upload takes at most ${COS_LEGACY_SIMPLE_UPLOAD_MAX_BYTES} bytes; use slices`);
      const sha = shaField(fields);
      if (sha !== undefined && sha !== computed.sha) fail(-4016, 'the file does not match sha');
      const insertOnly = insertOnlyField(fields);
      if (insertOnly && this.#state.files.has(path)) fail(-177, `${path} already exists (insertOnly=1)`);
      const bizAttr = fields.get('biz_attr');
      const objectKey = randomBytes(16).toString('hex');
      const size = temp.bytesSeen;
      await this.#state.store.commitObject(temp, objectKey);
      temp = undefined;
      await this.#putFile({ path, size, sha: computed.sha, crc64: computed.crc64, createdAt: this.#clock.now(), objectKey, ...(bizAttr !== undefined && { bizAttr }) });
      this.#ok(ctx, this.#urls(ctx, path));
    } finally {
      await temp?.discard();
    }
  }

  // ---- download ------------------------------------------------------------------------

  /** `GET /cos-legacy/{bucket}-{appid}/{path}`: the emulator's `source_url`/`access_url`. */
  async #download(ctx: EmulatorContext): Promise<void> {
    await ctx.discardBody();
    if (!this.#applyCors(ctx)) fail(-121, 'origin not allowed by the bucket CORS rules');
    if (ctx.params['host'] !== `${this.config.bucket}-${this.config.appId}`) fail(-133, 'no such bucket');
    const path = ctx.params['*'] ?? '';
    const file = this.#state.files.get(path);
    if (!file) fail(-197, `no file at ${path}`);
    const size = await this.#state.store.objectSize(file.objectKey);
    if (size === undefined) fail(-195, 'stored bytes are gone');
    const range = parseRange(ctx.header('range'), size);
    if (range === 'unsatisfiable') {
      ctx.send(416, '', { 'Content-Range': `bytes */${size}` });
      return;
    }
    const headers: OutgoingHttpHeaders = {
      'Content-Type': 'application/octet-stream',
      ETag: `"${file.sha}"`,
      'x-cos-hash-crc64ecma': file.crc64,
    };
    await sendStoredObject(ctx, this.#state.store, { key: file.objectKey, size, range, headers });
  }
}
