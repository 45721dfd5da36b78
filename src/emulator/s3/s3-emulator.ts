import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import { readAdminJson } from '../infra/admin-routes.js';
import type { TempBlob } from '../infra/blob-store.js';
import type { EmulatorClock } from '../infra/emulator-clock.js';
import { parseRange, sendStoredObject } from '../infra/byte-range.js';
import type { EmulatorContext } from '../infra/emulator-context.js';
import type { EmulatorFlavour, EmulatorRoute } from '../infra/emulator-route.js';
import type { FaultController } from '../infra/fault-controller.js';
import { AwsChunkedDecoder, AwsChunkedError } from './aws-chunked-decoder.js';
import { parseXml, renderXml, XmlSyntaxError, type XmlElement, type XmlNode } from './parse-xml.js';
import {
  createS3ChecksumHasher,
  isS3ChecksumValue,
  S3_CHECKSUM_ALGORITHMS,
  toS3ChecksumAlgorithm,
  type S3ChecksumAlgorithm,
  type S3ChecksumHasher,
} from './s3-checksums.js';
import { isS3Code, S3_CODES, S3_DEFAULT_FAULT_CODE, type S3Code } from './s3-codes.js';
import { S3_MAX_LIST_PARTS, type S3CorsConfig, type S3EmulatorConfig } from './s3-config.js';
import { objectId, S3State, type S3ObjectRecord, type S3PartRecord, type S3UploadRecord } from './s3-state.js';
import { SigV4ChunkError, SigV4Verifier, STREAMING_PAYLOADS, type SigV4Credentials, type SigV4Success } from './sigv4-verifier.js';

/** CompleteMultipartUpload bodies list up to 10 000 parts; anything larger is refused as MalformedXML. */
const COMPLETE_BODY_LIMIT = 4 * 1024 * 1024;
/** Methods bucket CORS allows (cloud-apis.md §4.3: "allow methods PUT, POST, DELETE, GET, HEAD"). */
const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
/** How long a browser may cache a preflight (s), as S3's MaxAgeSeconds examples use. */
const CORS_MAX_AGE_SEC = 3000;
/** The emulator's one account, shown as Owner / Initiator. */
const OWNER = { id: '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a', name: 'ccu-emulator' };
/** Human names of the checksum algorithms, for S3-worded messages. */
const ALGORITHM_LABEL: Readonly<Record<S3ChecksumAlgorithm, string>> = { crc32: 'CRC32', crc32c: 'CRC32C', crc64nvme: 'CRC64NVME', sha1: 'SHA1', sha256: 'SHA256' };
/** XML element suffix of each algorithm (`ChecksumCRC32` …). */
const XML_CHECKSUM: Readonly<Record<S3ChecksumAlgorithm, string>> = { crc32: 'ChecksumCRC32', crc32c: 'ChecksumCRC32C', crc64nvme: 'ChecksumCRC64NVME', sha1: 'ChecksumSHA1', sha256: 'ChecksumSHA256' };

/** What the rest of the emulator hands the flavour. */
export interface S3EmulatorDeps {
  dataDir: string;
  clock: EmulatorClock;
  faults: FaultController;
  config: S3EmulatorConfig;
}

/** A documented S3 error a handler answers with; thrown so validation reads top to bottom. */
class S3Failure extends Error {
  override readonly name = 'S3Failure';
  readonly code: S3Code;
  readonly extra: Record<string, string>;
  constructor(code: S3Code, message?: string, extra: Record<string, string> = {}) {
    super(message ?? S3_CODES[code].message);
    this.code = code;
    this.extra = extra;
  }
}

function fail(code: S3Code, message?: string, extra?: Record<string, string>): never {
  throw new S3Failure(code, message, extra);
}

/** S3 upload ids are long opaque URL-safe strings; ours also fit the blob store's key alphabet. */
function newUploadId(): string {
  for (;;) {
    const id = randomBytes(48).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '.000Z');
}

/** Strips the quotes of an ETag for comparison (clients send both forms). */
function bareEtag(etag: string): string {
  return etag.trim().replace(/^"(.*)"$/, '$1').replace(/^&quot;(.*)&quot;$/, '$1');
}


function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

/** A received request body, on disk, with everything S3 verifies about it. */
interface ReceivedBody {
  temp: TempBlob;
  size: number;
  md5: Buffer;
  /** The checksum the request carried and we verified, if any. */
  checksum?: { algorithm: S3ChecksumAlgorithm; value: string };
}

/**
 * The S3-compatible flavour (cloud-apis.md §4 and §7 "COS XML / S3"): path-style
 * `/{bucket}/{key}` on its own port, SigV4 (header and presigned), multipart upload with
 * Content-MD5 / `x-amz-checksum-*` verification, aws-chunked bodies with trailers (what the
 * AWS SDK sends for streams), GetObject/HeadObject/PutObject/DeleteObject, bucket CORS with
 * `ETag` exposed only when configured, and S3 XML errors.
 *
 * Choices where the spec is silent (docs/emulator.md):
 * - one account, the configured buckets; virtual-hosted addressing and bucket operations
 *   (ListObjects, CreateBucket, …) answer `NotImplemented`.
 * - the minimum part size is checked at Complete (as S3 does), not at UploadPart.
 * - a part sent with a checksum algorithm other than the upload's → `InvalidRequest`; an
 *   upload created with `x-amz-checksum-algorithm` needs that checksum on every part and in
 *   every `<Part>` of Complete (`InvalidPart` when missing); its object checksum is COMPOSITE.
 *   `x-amz-checksum-type: FULL_OBJECT` multipart uploads are not implemented.
 * - the early-expiry fault (`expireUploadsAfterParts`) aborts the upload after that many parts,
 *   so later calls get `NoSuchUpload`, as after a lifecycle abort.
 * - fault `errorCode` `"200:<Code>"` answers HTTP 200 with an `<Error>` body after leading
 *   whitespace, the way S3 may fail a Complete that already sent its status (§4.1).
 */
export class S3Emulator implements EmulatorFlavour {
  readonly name = 's3';
  /** S3 API routes, mounted on the S3 listener. */
  readonly routes: readonly EmulatorRoute[];
  /** `/__emulator/s3/*` routes, mounted on the main listener beside the shared admin API. */
  readonly adminRoutes: readonly EmulatorRoute[];
  /** Live config; {@link setCors} changes CORS at run time. */
  readonly config: S3EmulatorConfig;
  readonly #clock: EmulatorClock;
  readonly #faults: FaultController;
  readonly #state: S3State;
  readonly #verifier: SigV4Verifier;
  readonly #completing = new Set<string>();
  #presignedNotBefore = 0;

  constructor(deps: S3EmulatorDeps) {
    this.config = deps.config;
    this.#clock = deps.clock;
    this.#faults = deps.faults;
    this.#state = new S3State(deps.dataDir);
    this.#verifier = new SigV4Verifier({
      region: this.config.region,
      lookup: (id) => this.#credentials(id),
      now: () => this.#clock.now(),
      maxSkewMs: () => this.config.maxClockSkewMs,
      presignedNotBefore: () => this.#presignedNotBefore,
    });
    this.routes = this.#buildRoutes();
    this.adminRoutes = this.#buildAdminRoutes();
  }

  /** Loads persisted objects and uploads. */
  init(): Promise<void> {
    return this.#state.init();
  }

  /** Waits for state writes. */
  close(): Promise<void> {
    return this.#state.flush();
  }

  /** Changes bucket CORS at run time, e.g. `{ exposeEtag: false }`. */
  setCors(patch: Partial<S3CorsConfig>): void {
    const next: S3CorsConfig = { ...this.config.cors, ...patch, allowedOrigins: [...(patch.allowedOrigins ?? this.config.cors.allowedOrigins)] };
    if (typeof next.enabled !== 'boolean' || typeof next.exposeEtag !== 'boolean' || !next.allowedOrigins.every((o) => typeof o === 'string' && o !== '')) {
      throw new RangeError('cors needs boolean enabled, boolean exposeEtag and non-empty allowedOrigins strings');
    }
    this.config.cors = next;
  }

  /**
   * Makes every presigned URL signed so far (X-Amz-Date up to the current second) answer
   * 403 `AccessDenied` "Request has expired"; URLs signed from the next second on work.
   */
  expirePresignedUrls(): void {
    this.#presignedNotBefore = Math.floor(this.#clock.now() / 1000) * 1000 + 1000;
  }

  /** Aborts every open multipart upload (as a lifecycle rule would); returns how many. */
  async expireUploads(): Promise<number> {
    const ids = [...this.#state.uploads.keys()];
    for (const id of ids) {
      this.#state.uploads.delete(id);
      await this.#state.store.deleteUpload(id);
    }
    await this.#state.save();
    return ids.length;
  }

  /** Stored objects (metadata only), for assertions and the admin route. */
  objects(): S3ObjectRecord[] {
    return [...this.#state.objects.values()].map((o) => ({ ...o, metadata: { ...o.metadata } }));
  }

  /** Open multipart uploads, for assertions and the admin route. */
  uploads(): S3UploadRecord[] {
    return [...this.#state.uploads.values()].map((u) => structuredClone(u));
  }

  /** The stored bytes of an object, or undefined (tests; reads the whole object into memory). */
  async readObject(bucket: string, key: string): Promise<Buffer | undefined> {
    const object = this.#state.objects.get(objectId(bucket, key));
    if (!object) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of this.#state.store.openObject(object.blob)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  renderFault(ctx: EmulatorContext, code: number | string | null): void {
    this.#begin(ctx);
    const text = code === null ? S3_DEFAULT_FAULT_CODE : String(code);
    const with200 = /^200:(\w+)$/.exec(text);
    if (with200) {
      const inner = with200[1] ?? '';
      const s3Code: S3Code = isS3Code(inner) ? inner : S3_DEFAULT_FAULT_CODE;
      ctx.code = s3Code;
      const xml = this.#errorXml(ctx, s3Code, S3_CODES[s3Code].message, {});
      // S3 sends 200 early on a slow Complete and keeps the connection alive with whitespace.
      ctx.send(200, `<?xml version="1.0" encoding="UTF-8"?>\n\n   \n${xml.slice(xml.indexOf('<Error>'))}`, { 'Content-Type': 'application/xml' });
      return;
    }
    const byStatus: Record<string, S3Code> = { '500': 'InternalError', '503': 'SlowDown', '403': 'AccessDenied', '400': 'RequestTimeout' };
    const s3Code: S3Code = isS3Code(text) ? text : (byStatus[text] ?? S3_DEFAULT_FAULT_CODE);
    // An injected AccessDenied reads like an expired presigned URL (§4.3 step 5).
    this.#error(ctx, s3Code, s3Code === 'AccessDenied' ? 'Request has expired' : undefined);
  }

  // ---- credentials, CORS, responses ------------------------------------------------------

  #credentials(accessKeyId: string): SigV4Credentials | undefined {
    if (accessKeyId === this.config.accessKeyId) return { accessKeyId, secretAccessKey: this.config.secretAccessKey };
    const temp = this.config.temporaryCredentials.find((c) => c.accessKeyId === accessKeyId);
    return temp ? { ...temp } : undefined;
  }

  #originAllowed(origin: string): boolean {
    const cors = this.config.cors;
    return cors.enabled && (cors.allowedOrigins.includes('*') || cors.allowedOrigins.includes(origin));
  }

  /** Request id headers on every response, and CORS headers when the bucket's rules match. */
  #begin(ctx: EmulatorContext): void {
    if (ctx.res.getHeader('x-amz-request-id') === undefined) {
      ctx.res.setHeader('x-amz-request-id', randomBytes(8).toString('hex').toUpperCase());
      ctx.res.setHeader('x-amz-id-2', randomBytes(32).toString('base64'));
    }
    const origin = ctx.header('origin');
    if (origin !== undefined && this.#originAllowed(origin)) {
      ctx.res.setHeader('Access-Control-Allow-Origin', this.config.cors.allowedOrigins.includes('*') ? '*' : origin);
      ctx.res.setHeader('Vary', 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
      // Only with the rule's ExposeHeader can a browser read ETag (§4.3 step 3).
      if (this.config.cors.exposeEtag) ctx.res.setHeader('Access-Control-Expose-Headers', 'ETag');
    }
  }

  #resource(ctx: EmulatorContext): string {
    return ctx.path;
  }

  #errorXml(ctx: EmulatorContext, code: S3Code, message: string, extra: Record<string, string>): string {
    const nodes: XmlNode[] = [['Code', code], ['Message', message]];
    for (const [name, value] of Object.entries(extra)) nodes.push([name, value]);
    nodes.push(['Resource', this.#resource(ctx)], ['RequestId', String(ctx.res.getHeader('x-amz-request-id') ?? '')], ['HostId', String(ctx.res.getHeader('x-amz-id-2') ?? '')]);
    return renderXml('Error', nodes, null);
  }

  /** The XML error body with the code's documented status (§4.2 "Error XML"); HEAD gets no body. */
  #error(ctx: EmulatorContext, code: S3Code, message?: string, extra: Record<string, string> = {}): void {
    ctx.code = code;
    const status = S3_CODES[code].status;
    if (ctx.method === 'HEAD') {
      ctx.send(status, '');
      return;
    }
    ctx.send(status, this.#errorXml(ctx, code, message ?? S3_CODES[code].message, extra), { 'Content-Type': 'application/xml' });
  }

  #xml(ctx: EmulatorContext, root: string, children: readonly (XmlNode | undefined)[], headers: OutgoingHttpHeaders = {}): void {
    ctx.code = 'OK';
    ctx.send(200, renderXml(root, children), { 'Content-Type': 'application/xml', ...headers });
  }

  // ---- routes --------------------------------------------------------------------------

  #buildRoutes(): EmulatorRoute[] {
    type Handler = (ctx: EmulatorContext, auth: SigV4Success, bucket: string, key: string) => Promise<void>;
    const signed = (handler: Handler): EmulatorRoute['handle'] => async (ctx) => {
      this.#begin(ctx);
      try {
        const auth = this.#verifier.verify({
          method: ctx.method,
          rawPath: ctx.path,
          rawQuery: (ctx.req.url ?? '').split('?').slice(1).join('?'),
          rawHeaders: ctx.req.rawHeaders,
        });
        if (!auth.ok) fail(auth.code, auth.message, auth.extra);
        const bucket = ctx.params['bucket'] ?? '';
        const key = ctx.params['*'] ?? '';
        if (!this.config.buckets.includes(bucket)) fail('NoSuchBucket', undefined, { BucketName: bucket });
        if (key === '') fail('NotImplemented', 'Bucket operations are not implemented by the emulator');
        await handler(ctx, auth, bucket, key);
      } catch (error) {
        if (!(error instanceof S3Failure)) throw error;
        await ctx.discardBody();
        this.#error(ctx, error.code, error.message, error.extra);
      }
    };
    const object = '/:bucket/*';
    const unsupported = (method: string): EmulatorRoute => ({
      name: 's3.unsupported',
      method,
      path: '/*',
      handle: async (ctx) => {
        this.#begin(ctx);
        await ctx.discardBody();
        this.#error(ctx, 'NotImplemented', 'The emulator implements path-style object and multipart operations only');
      },
    });
    return [
      { name: 's3.preflight', method: 'OPTIONS', path: '/*', handle: (ctx) => this.#preflight(ctx) },
      { name: 's3.CreateMultipartUpload', method: 'POST', path: object, query: ['uploads'], handle: signed((c, a, b, k) => this.#create(c, a, b, k)) },
      { name: 's3.CompleteMultipartUpload', method: 'POST', path: object, query: ['uploadId'], handle: signed((c, a, b, k) => this.#complete(c, a, b, k)) },
      { name: 's3.UploadPart', method: 'PUT', path: object, query: ['partNumber', 'uploadId'], handle: signed((c, a, b, k) => this.#uploadPart(c, a, b, k)) },
      { name: 's3.PutObject', method: 'PUT', path: object, handle: signed((c, a, b, k) => this.#putObject(c, a, b, k)) },
      { name: 's3.ListParts', method: 'GET', path: object, query: ['uploadId'], handle: signed((c, a, b, k) => this.#listParts(c, a, b, k)) },
      { name: 's3.GetObject', method: 'GET', path: object, handle: signed((c, a, b, k) => this.#getObject(c, a, b, k)) },
      { name: 's3.HeadObject', method: 'HEAD', path: object, handle: signed((c, a, b, k) => this.#getObject(c, a, b, k)) },
      { name: 's3.AbortMultipartUpload', method: 'DELETE', path: object, query: ['uploadId'], handle: signed((c, a, b, k) => this.#abort(c, a, b, k)) },
      { name: 's3.DeleteObject', method: 'DELETE', path: object, handle: signed((c, a, b, k) => this.#deleteObject(c, a, b, k)) },
      ...['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH'].map(unsupported),
    ];
  }

  #buildAdminRoutes(): EmulatorRoute[] {
    const route = (method: string, path: string, name: string, handle: EmulatorRoute['handle']): EmulatorRoute => ({ method, path, name: `admin.s3.${name}`, admin: true, handle });
    return [
      route('GET', '/__emulator/s3', 'config', (ctx) => {
        // Never the secret key: the admin API is open to any origin.
        const { secretAccessKey: _secret, temporaryCredentials, ...rest } = this.config;
        ctx.json(200, { ...rest, temporaryCredentials: temporaryCredentials.map((c) => ({ accessKeyId: c.accessKeyId, expiresAt: c.expiresAt })) });
      }),
      route('GET', '/__emulator/s3/objects', 'objects', (ctx) => ctx.json(200, { objects: this.objects() })),
      route('GET', '/__emulator/s3/uploads', 'uploads', (ctx) => ctx.json(200, { uploads: this.uploads() })),
      route('PUT', '/__emulator/s3/cors', 'cors', async (ctx) => {
        const body = await readAdminJson(ctx);
        if (body === undefined) return;
        try {
          this.setCors(body as Partial<S3CorsConfig>);
        } catch (error) {
          ctx.json(400, { error: error instanceof Error ? error.message : String(error) });
          return;
        }
        ctx.json(200, this.config.cors);
      }),
      route('POST', '/__emulator/s3/expire-presigned', 'expire_presigned', async (ctx) => {
        await ctx.discardBody();
        this.expirePresignedUrls();
        ctx.json(200, { notBefore: this.#presignedNotBefore });
      }),
      route('POST', '/__emulator/s3/expire-uploads', 'expire_uploads', async (ctx) => {
        await ctx.discardBody();
        ctx.json(200, { expired: await this.expireUploads() });
      }),
    ];
  }

  // ---- CORS preflight ------------------------------------------------------------------

  async #preflight(ctx: EmulatorContext): Promise<void> {
    this.#begin(ctx);
    await ctx.discardBody();
    const origin = ctx.header('origin');
    const method = ctx.header('access-control-request-method');
    if (origin === undefined || method === undefined) {
      this.#error(ctx, 'BadRequest', 'Insufficient information. Origin request header needed.');
      return;
    }
    if (!this.config.cors.enabled) {
      this.#error(ctx, 'AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.');
      return;
    }
    if (!this.#originAllowed(origin) || !CORS_METHODS.includes(method.toUpperCase())) {
      this.#error(ctx, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.');
      return;
    }
    ctx.code = 'OK';
    const headers: OutgoingHttpHeaders = {
      'Access-Control-Allow-Methods': CORS_METHODS.join(', '),
      'Access-Control-Max-Age': String(CORS_MAX_AGE_SEC),
    };
    // AllowedHeader "*" (§4.3): every requested header is allowed.
    const requested = ctx.header('access-control-request-headers');
    if (requested !== undefined && requested !== '') headers['Access-Control-Allow-Headers'] = requested;
    ctx.send(200, '', headers);
  }

  // ---- uploads ---------------------------------------------------------------------------

  /** The open upload named by `?uploadId=` for this bucket and key, or `NoSuchUpload` (§4.1). */
  #openUpload(ctx: EmulatorContext, bucket: string, key: string): S3UploadRecord {
    const uploadId = ctx.url.searchParams.get('uploadId') ?? '';
    const upload = this.#state.uploads.get(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key) fail('NoSuchUpload', undefined, { UploadId: uploadId });
    return upload;
  }

  #metadata(ctx: EmulatorContext): Record<string, string> {
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(ctx.req.headers)) {
      if (name.startsWith('x-amz-meta-') && value !== undefined) metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
    }
    return metadata;
  }

  async #create(ctx: EmulatorContext, _auth: SigV4Success, bucket: string, key: string): Promise<void> {
    await ctx.discardBody();
    const algorithmHeader = ctx.header('x-amz-checksum-algorithm');
    const algorithm = toS3ChecksumAlgorithm(algorithmHeader);
    if (algorithmHeader !== undefined && algorithm === undefined) fail('InvalidRequest', 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
    const checksumType = ctx.header('x-amz-checksum-type')?.toUpperCase();
    if (checksumType !== undefined && checksumType !== 'COMPOSITE' && checksumType !== 'FULL_OBJECT') fail('InvalidRequest', 'Value for x-amz-checksum-type header is invalid.');
    if (checksumType === 'FULL_OBJECT') fail('NotImplemented', 'FULL_OBJECT checksums of multipart uploads are not implemented by the emulator');
    let uploadId = newUploadId();
    while (this.#state.uploads.has(uploadId)) uploadId = newUploadId();
    const upload: S3UploadRecord = {
      uploadId,
      bucket,
      key,
      initiated: this.#clock.now(),
      contentType: ctx.header('content-type') ?? 'binary/octet-stream',
      metadata: this.#metadata(ctx),
      acceptedParts: 0,
      parts: {},
    };
    if (algorithm !== undefined) upload.checksumAlgorithm = algorithm;
    this.#state.uploads.set(uploadId, upload);
    await this.#state.save();
    const headers: OutgoingHttpHeaders = algorithm ? { 'x-amz-checksum-algorithm': ALGORITHM_LABEL[algorithm], 'x-amz-checksum-type': 'COMPOSITE' } : {};
    this.#xml(ctx, 'InitiateMultipartUploadResult', [['Bucket', bucket], ['Key', key], ['UploadId', uploadId]], headers);
  }

  /**
   * Streams a PUT body to a temp file while computing MD5 (the ETag), the SHA-256 the
   * signature promised and the `x-amz-checksum-*` the request declares, decoding aws-chunked
   * bodies (`x-amz-content-sha256: STREAMING-…`) on the way. Verifies them all at the end.
   */
  async #receive(ctx: EmulatorContext, auth: SigV4Success, required?: S3ChecksumAlgorithm): Promise<ReceivedBody> {
    const streaming = STREAMING_PAYLOADS.has(auth.payloadHash);
    const max = this.config.maxPartSize;
    let declaredLength: number;
    if (streaming) {
      const decoded = ctx.header('x-amz-decoded-content-length');
      if (decoded === undefined || !/^\d+$/.test(decoded)) fail('MissingContentLength', 'You must provide the x-amz-decoded-content-length HTTP header for aws-chunked uploads.');
      declaredLength = Number(decoded);
    } else {
      const length = ctx.header('content-length');
      if (length === undefined || !/^\d+$/.test(length)) fail('MissingContentLength');
      declaredLength = Number(length);
    }
    if (declaredLength > max) fail('EntityTooLarge', undefined, { ProposedSize: String(declaredLength), MaxSizeAllowed: String(max) });

    const contentMd5 = ctx.header('content-md5');
    if (contentMd5 !== undefined && (!/^[A-Za-z0-9+/]{22}==$/.test(contentMd5) || Buffer.from(contentMd5, 'base64').length !== 16)) fail('InvalidDigest');

    // Which additional checksum the request declares: a header, or a trailer (§ AWS SDK defaults).
    const headerAlgorithms = S3_CHECKSUM_ALGORITHMS.filter((a) => ctx.header(`x-amz-checksum-${a}`) !== undefined);
    const trailer = ctx.header('x-amz-trailer')?.trim().toLowerCase();
    const trailerAlgorithm = trailer === undefined ? undefined : toS3ChecksumAlgorithm(trailer.replace(/^x-amz-checksum-/, ''));
    if (trailer !== undefined && (trailerAlgorithm === undefined || !trailer.startsWith('x-amz-checksum-'))) fail('InvalidRequest', `The value specified in the x-amz-trailer header is not supported: ${trailer}`);
    if (trailer !== undefined && !(streaming && auth.payloadHash.endsWith('-TRAILER'))) fail('InvalidRequest', 'x-amz-trailer needs an aws-chunked body with a trailer (x-amz-content-sha256: STREAMING-…-TRAILER)');
    if (headerAlgorithms.length + (trailerAlgorithm ? 1 : 0) > 1) fail('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    const algorithm = trailerAlgorithm ?? headerAlgorithms[0];
    const headerValue = headerAlgorithms[0] === undefined ? undefined : ctx.header(`x-amz-checksum-${headerAlgorithms[0]}`);
    if (headerAlgorithms[0] !== undefined && headerValue !== undefined && !isS3ChecksumValue(headerAlgorithms[0], headerValue)) {
      fail('InvalidRequest', `Value for x-amz-checksum-${headerAlgorithms[0]} header is invalid.`);
    }
    const sdkAlgorithm = ctx.header('x-amz-sdk-checksum-algorithm');
    if (sdkAlgorithm !== undefined) {
      const named = toS3ChecksumAlgorithm(sdkAlgorithm);
      if (named === undefined) fail('InvalidRequest', 'Value for x-amz-sdk-checksum-algorithm header is invalid.');
      if (algorithm === undefined) fail('InvalidRequest', 'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.');
      if (named !== algorithm) fail('InvalidRequest', `Value for x-amz-sdk-checksum-algorithm header is invalid: it names ${named} but the checksum is ${algorithm}.`);
    }
    if (required !== undefined && algorithm !== required) {
      fail('InvalidRequest', algorithm === undefined
        ? `The upload was created using a ${required} checksum. The part must include a ${required} checksum.`
        : `Checksum Type mismatch occurred, expected checksum Type: ${required}, actual checksum Type: ${algorithm}`);
    }

    const md5 = createHash('md5');
    const sha256: Hash | undefined = /^[0-9a-f]{64}$/.test(auth.payloadHash) ? createHash('sha256') : undefined;
    const hasher: S3ChecksumHasher | undefined = algorithm ? createS3ChecksumHasher(algorithm) : undefined;
    const temp = await this.#state.store.createTemp({
      maxBytes: max,
      observe: (chunk) => {
        md5.update(chunk);
        sha256?.update(chunk);
        hasher?.update(chunk);
      },
    });
    try {
      const decoder = streaming ? new AwsChunkedDecoder(auth.signedStreaming ? this.#verifier.chunkHooks(auth) : undefined) : undefined;
      try {
        const source = decoder ? decoder.decode(ctx.body()) : ctx.body();
        for await (const chunk of source) {
          await temp.write(chunk);
          if (temp.bytesSeen > max) fail('EntityTooLarge', undefined, { MaxSizeAllowed: String(max) });
        }
      } catch (error) {
        if (error instanceof AwsChunkedError) fail(error.truncated ? 'IncompleteBody' : 'InvalidRequest', `Malformed aws-chunked body: ${error.message}`);
        if (error instanceof SigV4ChunkError) fail('SignatureDoesNotMatch', `The request signature we calculated does not match the signature you provided: ${error.message}.`);
        throw error;
      }
      const size = temp.bytesSeen;
      if (size !== declaredLength) fail('IncompleteBody', `You did not provide the number of bytes specified (${declaredLength}); got ${size}.`);
      if (sha256) {
        const computed = sha256.digest('hex');
        if (computed !== auth.payloadHash) fail('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: auth.payloadHash, S3ComputedContentSHA256: computed });
      }
      const digest = md5.digest();
      if (contentMd5 !== undefined && digest.toString('base64') !== contentMd5) {
        fail('BadDigest', undefined, { ExpectedDigest: Buffer.from(contentMd5, 'base64').toString('hex'), CalculatedDigest: digest.toString('base64') });
      }
      const received: ReceivedBody = { temp, size, md5: digest };
      if (algorithm !== undefined && hasher) {
        const claimed = trailerAlgorithm ? decoder?.trailers.get(`x-amz-checksum-${algorithm}`) : headerValue;
        if (claimed === undefined) fail('InvalidRequest', `The trailing header x-amz-checksum-${algorithm} was declared in x-amz-trailer but not sent.`);
        if (!isS3ChecksumValue(algorithm, claimed)) fail('InvalidRequest', `Value for x-amz-checksum-${algorithm} trailing header is invalid.`);
        const computed = hasher.digestBase64();
        if (computed !== claimed) fail('BadDigest', `The ${ALGORITHM_LABEL[algorithm]} you specified did not match the calculated checksum.`);
        received.checksum = { algorithm, value: computed };
      }
      return received;
    } catch (error) {
      await temp.discard();
      throw error;
    }
  }

  /** Part numbers 1..maxParts (§4.1) else `InvalidArgument`. */
  #partNumber(ctx: EmulatorContext): number {
    const text = ctx.url.searchParams.get('partNumber') ?? '';
    const n = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
    if (!(n >= 1 && n <= this.config.maxParts)) {
      fail('InvalidArgument', `Part number must be an integer between 1 and ${this.config.maxParts}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: text });
    }
    return n;
  }

  async #uploadPart(ctx: EmulatorContext, auth: SigV4Success, bucket: string, key: string): Promise<void> {
    if (ctx.header('x-amz-copy-source') !== undefined) fail('NotImplemented', 'UploadPartCopy is not implemented by the emulator');
    const partNumber = this.#partNumber(ctx);
    const upload = this.#openUpload(ctx, bucket, key);
    const received = await this.#receive(ctx, auth, upload.checksumAlgorithm);
    let temp: TempBlob | undefined = received.temp;
    try {
      // Aborted, completed or expired while the body streamed in.
      if (this.#state.uploads.get(upload.uploadId) !== upload || this.#completing.has(upload.uploadId)) fail('NoSuchUpload', undefined, { UploadId: upload.uploadId });
      await this.#state.store.commitPart(temp, upload.uploadId, partNumber);
      temp = undefined;
      const part: S3PartRecord = { size: received.size, etag: `"${received.md5.toString('hex')}"`, checksums: {}, lastModified: this.#clock.now() };
      if (received.checksum) part.checksums[received.checksum.algorithm] = received.checksum.value;
      upload.parts[String(partNumber)] = part;
      upload.acceptedParts += 1;
      const expireAfter = this.#faults.expireUploadsAfterParts;
      if (expireAfter !== undefined && upload.acceptedParts >= expireAfter) {
        this.#state.uploads.delete(upload.uploadId);
        await this.#state.store.deleteUpload(upload.uploadId);
      }
      await this.#state.save();
      const headers: OutgoingHttpHeaders = { ETag: part.etag };
      if (received.checksum) headers[`x-amz-checksum-${received.checksum.algorithm}`] = received.checksum.value;
      ctx.code = 'OK';
      ctx.send(200, '', headers);
    } finally {
      await temp?.discard();
    }
  }

  async #listParts(ctx: EmulatorContext, _auth: SigV4Success, bucket: string, key: string): Promise<void> {
    await ctx.discardBody();
    const upload = this.#openUpload(ctx, bucket, key);
    const maxText = ctx.url.searchParams.get('max-parts');
    const markerText = ctx.url.searchParams.get('part-number-marker');
    if (maxText !== null && !/^\d{1,10}$/.test(maxText)) fail('InvalidArgument', 'Argument max-parts must be an integer between 0 and 2147483647', { ArgumentName: 'max-parts', ArgumentValue: maxText });
    if (markerText !== null && !/^\d{1,10}$/.test(markerText)) fail('InvalidArgument', 'Argument part-number-marker must be an integer between 0 and 2147483647', { ArgumentName: 'part-number-marker', ArgumentValue: markerText });
    // max-parts ≤ 1000 (§7): larger values are capped, as S3 does.
    const maxParts = Math.min(maxText === null ? S3_MAX_LIST_PARTS : Number(maxText), S3_MAX_LIST_PARTS);
    const marker = markerText === null ? 0 : Number(markerText);
    const numbers = Object.keys(upload.parts).map(Number).filter((n) => n > marker).sort((a, b) => a - b);
    const page = numbers.slice(0, maxParts);
    const truncated = numbers.length > page.length;
    const parts: XmlNode[] = page.map((n) => {
      const part = upload.parts[String(n)] as S3PartRecord;
      const checksums = Object.entries(part.checksums).map(([a, v]) => [XML_CHECKSUM[a as S3ChecksumAlgorithm], v] as const);
      return ['Part', [['PartNumber', String(n)], ['LastModified', isoSeconds(part.lastModified)], ['ETag', part.etag], ['Size', String(part.size)], ...checksums]];
    });
    const owner: XmlNode[] = [['ID', OWNER.id], ['DisplayName', OWNER.name]];
    this.#xml(ctx, 'ListPartsResult', [
      ['Bucket', bucket],
      ['Key', key],
      ['UploadId', upload.uploadId],
      ['PartNumberMarker', String(marker)],
      ['NextPartNumberMarker', String(page[page.length - 1] ?? marker)],
      ['MaxParts', String(maxParts)],
      ['IsTruncated', String(truncated)],
      ...parts,
      ['Initiator', owner],
      ['Owner', owner],
      ['StorageClass', 'STANDARD'],
      upload.checksumAlgorithm ? ['ChecksumAlgorithm', ALGORITHM_LABEL[upload.checksumAlgorithm]] : undefined,
      upload.checksumAlgorithm ? ['ChecksumType', 'COMPOSITE'] : undefined,
    ]);
  }

  /** Parses `<CompleteMultipartUpload><Part><PartNumber/><ETag/>…</Part>…` (§4.1). */
  async #readCompleteBody(ctx: EmulatorContext): Promise<{ partNumber: number; etag: string; checksums: Partial<Record<S3ChecksumAlgorithm, string>> }[]> {
    const body = await ctx.readBody(COMPLETE_BODY_LIMIT);
    if (body === undefined) fail('MalformedXML');
    let root: XmlElement;
    try {
      root = parseXml(body.toString('utf8'));
    } catch (error) {
      if (error instanceof XmlSyntaxError) fail('MalformedXML');
      throw error;
    }
    if (root.name !== 'CompleteMultipartUpload') fail('MalformedXML');
    const parts = root.children.filter((c) => c.name === 'Part');
    if (parts.length === 0) fail('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: it lists no parts');
    return parts.map((p) => {
      const numberText = child(p, 'PartNumber')?.text.trim() ?? '';
      const etag = child(p, 'ETag')?.text;
      if (!/^\d{1,6}$/.test(numberText) || etag === undefined) fail('MalformedXML');
      const checksums: Partial<Record<S3ChecksumAlgorithm, string>> = {};
      for (const algorithm of S3_CHECKSUM_ALGORITHMS) {
        const value = child(p, XML_CHECKSUM[algorithm])?.text.trim();
        if (value !== undefined) checksums[algorithm] = value;
      }
      return { partNumber: Number(numberText), etag, checksums };
    });
  }

  async #complete(ctx: EmulatorContext, _auth: SigV4Success, bucket: string, key: string): Promise<void> {
    const upload = this.#openUpload(ctx, bucket, key);
    const listed = await this.#readCompleteBody(ctx);
    if (this.#completing.has(upload.uploadId)) fail('InternalError', 'Another CompleteMultipartUpload for this upload is in progress. Please try again.');
    let previous = 0;
    for (const { partNumber } of listed) {
      if (partNumber <= previous) fail('InvalidPartOrder');
      previous = partNumber;
    }
    const algorithm = upload.checksumAlgorithm;
    // Unknown parts first, then sizes: one bad ETag is reported as InvalidPart whatever its size.
    const found: S3PartRecord[] = [];
    for (const { partNumber, etag, checksums } of listed) {
      const part = upload.parts[String(partNumber)];
      if (!part || bareEtag(part.etag) !== bareEtag(etag)) fail('InvalidPart', undefined, { UploadId: upload.uploadId, PartNumber: String(partNumber), ETag: etag });
      if (algorithm !== undefined) {
        const given = checksums[algorithm];
        if (given === undefined) fail('InvalidRequest', `The upload was created using a ${algorithm} checksum. The complete request must include the checksum for each part. It was missing for part ${partNumber} in the request.`);
        if (given !== part.checksums[algorithm]) fail('InvalidPart', `The ${ALGORITHM_LABEL[algorithm]} of part ${partNumber} does not match the uploaded part.`, { UploadId: upload.uploadId, PartNumber: String(partNumber), ETag: etag });
      }
      found.push(part);
    }
    // Every part but the last must meet the minimum (§4.1: EntityTooSmall at Complete).
    for (const [i, part] of found.entries()) {
      if (i < found.length - 1 && part.size < this.config.minPartSize) {
        fail('EntityTooSmall', undefined, { ProposedSize: String(part.size), MinSizeAllowed: String(this.config.minPartSize), PartNumber: String(listed[i]?.partNumber), ETag: part.etag });
      }
    }
    this.#completing.add(upload.uploadId);
    try {
      const blob = `o${randomBytes(16).toString('hex')}`;
      const size = await this.#state.store.assemble(upload.uploadId, listed.map((p) => p.partNumber), blob);
      // ETag = hex(MD5(concat of each part's binary MD5)) + "-" + part count (§4.1).
      const md5s = Buffer.concat(listed.map((p) => Buffer.from(bareEtag((upload.parts[String(p.partNumber)] as S3PartRecord).etag), 'hex')));
      const etag = `"${createHash('md5').update(md5s).digest('hex')}-${listed.length}"`;
      const object: S3ObjectRecord = {
        bucket,
        key,
        blob,
        size,
        etag,
        contentType: upload.contentType,
        metadata: upload.metadata,
        lastModified: this.#clock.now(),
        partsCount: listed.length,
      };
      if (algorithm !== undefined) {
        const composite = createS3ChecksumHasher(algorithm);
        for (const p of listed) composite.update(Buffer.from((upload.parts[String(p.partNumber)] as S3PartRecord).checksums[algorithm] ?? '', 'base64'));
        object.checksum = { algorithm, value: `${composite.digestBase64()}-${listed.length}`, type: 'COMPOSITE' };
      }
      await this.#putRecord(object);
      this.#state.uploads.delete(upload.uploadId);
      await this.#state.save();
      await this.#state.store.deleteUpload(upload.uploadId);
      const host = ctx.header('host') ?? 'localhost';
      const location = `http://${host}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
      this.#xml(ctx, 'CompleteMultipartUploadResult', [
        ['Location', location],
        ['Bucket', bucket],
        ['Key', key],
        ['ETag', etag],
        object.checksum ? [XML_CHECKSUM[object.checksum.algorithm], object.checksum.value] : undefined,
        object.checksum ? ['ChecksumType', 'COMPOSITE'] : undefined,
      ]);
    } finally {
      this.#completing.delete(upload.uploadId);
    }
  }

  async #abort(ctx: EmulatorContext, _auth: SigV4Success, bucket: string, key: string): Promise<void> {
    await ctx.discardBody();
    const upload = this.#openUpload(ctx, bucket, key);
    this.#state.uploads.delete(upload.uploadId);
    await this.#state.save();
    await this.#state.store.deleteUpload(upload.uploadId);
    ctx.code = 'OK';
    ctx.send(204, '');
  }

  // ---- objects ---------------------------------------------------------------------------

  /** Stores an object record, replacing (and deleting the bytes of) an older one. */
  async #putRecord(object: S3ObjectRecord): Promise<void> {
    const id = objectId(object.bucket, object.key);
    const old = this.#state.objects.get(id);
    this.#state.objects.set(id, object);
    await this.#state.save();
    if (old && old.blob !== object.blob) await this.#state.store.deleteObject(old.blob);
  }

  async #putObject(ctx: EmulatorContext, auth: SigV4Success, bucket: string, key: string): Promise<void> {
    if (ctx.header('x-amz-copy-source') !== undefined) fail('NotImplemented', 'CopyObject is not implemented by the emulator');
    const received = await this.#receive(ctx, auth);
    let temp: TempBlob | undefined = received.temp;
    try {
      const blob = `o${randomBytes(16).toString('hex')}`;
      await this.#state.store.commitObject(temp, blob);
      temp = undefined;
      const object: S3ObjectRecord = {
        bucket,
        key,
        blob,
        size: received.size,
        etag: `"${received.md5.toString('hex')}"`,
        contentType: ctx.header('content-type') ?? 'binary/octet-stream',
        metadata: this.#metadata(ctx),
        lastModified: this.#clock.now(),
      };
      if (received.checksum) object.checksum = { ...received.checksum, type: 'FULL_OBJECT' };
      await this.#putRecord(object);
      const headers: OutgoingHttpHeaders = { ETag: object.etag };
      if (received.checksum) headers[`x-amz-checksum-${received.checksum.algorithm}`] = received.checksum.value;
      ctx.code = 'OK';
      ctx.send(200, '', headers);
    } finally {
      await temp?.discard();
    }
  }

  /** GetObject and HeadObject: Range, ETag, metadata, and the stored checksum on request. */
  async #getObject(ctx: EmulatorContext, _auth: SigV4Success, bucket: string, key: string): Promise<void> {
    await ctx.discardBody();
    const object = this.#state.objects.get(objectId(bucket, key));
    if (!object) fail('NoSuchKey', undefined, { Key: key });
    const range = parseRange(ctx.header('range'), object.size);
    if (range === 'unsatisfiable') fail('InvalidRange', undefined, { RangeRequested: ctx.header('range') ?? '', ActualObjectSize: String(object.size) });
    const headers: OutgoingHttpHeaders = {
      'Content-Type': object.contentType,
      ETag: object.etag,
      'Last-Modified': new Date(object.lastModified).toUTCString(),
    };
    for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
    if (object.partsCount !== undefined) headers['x-amz-mp-parts-count'] = String(object.partsCount);
    if (!range && object.checksum && ctx.header('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
      headers[`x-amz-checksum-${object.checksum.algorithm}`] = object.checksum.value;
      headers['x-amz-checksum-type'] = object.checksum.type;
    }
    ctx.code = 'OK';
    await sendStoredObject(ctx, this.#state.store, { key: object.blob, size: object.size, range, headers, headOnly: ctx.method === 'HEAD' });
  }

  async #deleteObject(ctx: EmulatorContext, _auth: SigV4Success, bucket: string, key: string): Promise<void> {
    await ctx.discardBody();
    const id = objectId(bucket, key);
    const object = this.#state.objects.get(id);
    if (object) {
      this.#state.objects.delete(id);
      await this.#state.save();
      await this.#state.store.deleteObject(object.blob);
    }
    ctx.code = 'OK';
    ctx.send(204, '');
  }
}
