import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AwsChunkedSignatureHooks } from './aws-chunked-decoder.js';
import { S3_MAX_PRESIGN_EXPIRES_SEC } from './s3-config.js';
import type { S3Code } from './s3-codes.js';

/** The only signing algorithm accepted (SigV4). */
const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Payload hash of a presigned request (and of requests that choose not to hash the body). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** `x-amz-content-sha256` values that mean "the body is aws-chunked". */
export const STREAMING_PAYLOADS: ReadonlySet<string> = new Set([
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
]);
const SIGNED_STREAMING = new Set(['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER']);
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** A key pair the verifier knows, with the session token temporary credentials carry. */
export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** ms since epoch, temporary credentials only. */
  expiresAt?: number;
}

/** The parts of a request the signature covers, as they arrived on the wire. */
export interface SigV4Request {
  method: string;
  /** Path as sent, still percent-encoded, without the query. */
  rawPath: string;
  /** Query string as sent, without `?`. */
  rawQuery: string;
  /** node:http `req.rawHeaders` (name, value, name, value…). */
  rawHeaders: readonly string[];
}

/** A request whose signature checked out. */
export interface SigV4Success {
  ok: true;
  accessKeyId: string;
  presigned: boolean;
  /** `x-amz-content-sha256` (or UNSIGNED-PAYLOAD for presigned URLs). */
  payloadHash: string;
  /** Streaming payloads with signed chunks need {@link SigV4Verifier.chunkHooks}. */
  signedStreaming: boolean;
  signature: string;
  amzDate: string;
  scope: string;
  signingKey: Buffer;
}

/** A request refused, with the S3 code and extra XML fields of the error. */
export interface SigV4Failure {
  ok: false;
  code: S3Code;
  message: string;
  extra?: Record<string, string>;
}

export interface SigV4VerifierOptions {
  /** The region every credential scope must name. */
  region: string;
  /** Known credentials by access key id. */
  lookup: (accessKeyId: string) => SigV4Credentials | undefined;
  /** Emulator clock (ms). */
  now: () => number;
  /** Allowed clock difference (ms). */
  maxSkewMs: () => number;
  /** Presigned URLs signed (X-Amz-Date) before this time count as expired; for "expire on demand". */
  presignedNotBefore: () => number;
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, `%XX` upper case. */
export function sigV4Encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeLoose(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `/bucket/my%20key` → each segment decoded once and re-encoded, so clients that encode differently agree. */
export function canonicalUri(rawPath: string): string {
  return rawPath.split('/').map((segment) => sigV4Encode(decodeLoose(segment))).join('/');
}

/** Decoded query pairs in arrival order (`?uploads` → `['uploads', '']`). */
export function parseRawQuery(rawQuery: string): [string, string][] {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((piece) => piece !== '')
    .map((piece) => {
      const eq = piece.indexOf('=');
      return eq === -1 ? [decodeLoose(piece), ''] : [decodeLoose(piece.slice(0, eq)), decodeLoose(piece.slice(eq + 1))];
    });
}

function canonicalQuery(pairs: readonly [string, string][]): string {
  return pairs
    .map(([k, v]) => [sigV4Encode(k), sigV4Encode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerMap(rawHeaders: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = (rawHeaders[i + 1] ?? '').trim().replace(/\s+/g, ' ');
    const list = map.get(name);
    if (list) list.push(value);
    else map.set(name, [value]);
  }
  return map;
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

/** The SigV4 signing key for one day, region and service. */
export function sigV4SigningKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

function parseAmzDate(value: string | undefined): number | undefined {
  const m = value === undefined ? null : AMZ_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const ms = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0);
  return Number.isFinite(ms) ? ms : undefined;
}

function fail(code: S3Code, message: string, extra?: Record<string, string>): SigV4Failure {
  return extra ? { ok: false, code, message, extra } : { ok: false, code, message };
}

function safeEqualHex(a: string, b: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(a)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/**
 * Verifies AWS Signature Version 4 on S3 requests, both forms (cloud-apis.md §4.2 "Auth: SigV4";
 * §7 "presigned URL expiry → 403 AccessDenied; signed-header mismatch → 403 SignatureDoesNotMatch"):
 * the `Authorization` header and the presigned query (`X-Amz-Algorithm`, `X-Amz-Credential`,
 * `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`). The canonical
 * request is rebuilt from the bytes on the wire (path segments and query re-encoded, headers
 * trimmed), so any correct client matches. Temporary credentials need their session token.
 */
export class SigV4Verifier {
  readonly #options: SigV4VerifierOptions;

  constructor(options: SigV4VerifierOptions) {
    this.#options = options;
  }

  /** Checks one request; never throws. */
  verify(request: SigV4Request): SigV4Success | SigV4Failure {
    const query = parseRawQuery(request.rawQuery);
    const queryValue = (name: string): string | undefined => query.find(([k]) => k === name)?.[1];
    const headers = headerMap(request.rawHeaders);
    const header = (name: string): string | undefined => headers.get(name)?.join(',');
    const authorization = header('authorization');
    const presigned = query.some(([k]) => k === 'X-Amz-Signature' || k === 'X-Amz-Algorithm' || k === 'X-Amz-Credential');
    if (presigned && authorization !== undefined) return fail('InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified');
    if (!presigned && authorization === undefined) return fail('AccessDenied', 'Access Denied');

    let credential: string;
    let signedHeadersText: string;
    let signature: string;
    let amzDate: string | undefined;
    let expiresSec: number | undefined;
    let token: string | undefined;
    const malformed: S3Code = presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed';
    if (presigned) {
      const algorithm = queryValue('X-Amz-Algorithm');
      const cred = queryValue('X-Amz-Credential');
      const signed = queryValue('X-Amz-SignedHeaders');
      const sig = queryValue('X-Amz-Signature');
      amzDate = queryValue('X-Amz-Date');
      const expires = queryValue('X-Amz-Expires');
      if (algorithm === undefined || cred === undefined || signed === undefined || sig === undefined || amzDate === undefined || expires === undefined) {
        return fail('AuthorizationQueryParametersError', 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
      }
      if (algorithm !== ALGORITHM) return fail('AuthorizationQueryParametersError', `X-Amz-Algorithm only supports "${ALGORITHM}"`);
      if (!/^\d{1,7}$/.test(expires) || Number(expires) < 1) return fail('AuthorizationQueryParametersError', 'X-Amz-Expires should be a number');
      expiresSec = Number(expires);
      if (expiresSec > S3_MAX_PRESIGN_EXPIRES_SEC) return fail('AuthorizationQueryParametersError', `X-Amz-Expires must be less than a week (in seconds) that is ${S3_MAX_PRESIGN_EXPIRES_SEC}`);
      credential = cred;
      signedHeadersText = signed;
      signature = sig;
      token = queryValue('X-Amz-Security-Token') ?? header('x-amz-security-token');
    } else {
      const auth = authorization ?? '';
      if (!auth.startsWith(`${ALGORITHM} `)) return fail('InvalidRequest', `The authorization mechanism you have provided is not supported. Please use ${ALGORITHM}.`);
      const fields = new Map<string, string>();
      for (const piece of auth.slice(ALGORITHM.length + 1).split(',')) {
        const eq = piece.indexOf('=');
        if (eq > 0) fields.set(piece.slice(0, eq).trim(), piece.slice(eq + 1).trim());
      }
      const cred = fields.get('Credential');
      const signed = fields.get('SignedHeaders');
      const sig = fields.get('Signature');
      if (cred === undefined || signed === undefined || sig === undefined) return fail('AuthorizationHeaderMalformed', 'The authorization header is malformed; it must contain Credential, SignedHeaders and Signature.');
      credential = cred;
      signedHeadersText = signed;
      signature = sig;
      amzDate = header('x-amz-date');
      token = header('x-amz-security-token');
    }

    const scopeParts = credential.split('/');
    if (scopeParts.length !== 5 || scopeParts[4] !== 'aws4_request') return fail(malformed, `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
    const [accessKeyId = '', scopeDate = '', region = '', service = ''] = scopeParts;
    if (service !== 's3') return fail(malformed, `the service '${service}' is wrong; expecting 's3'`);
    if (region !== this.#options.region) return fail(malformed, `the region '${region}' is wrong; expecting '${this.#options.region}'`, { Region: this.#options.region });
    const creds = this.#options.lookup(accessKeyId);
    if (!creds) return fail('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId });

    const signedAt = parseAmzDate(amzDate);
    if (amzDate === undefined || signedAt === undefined) {
      return presigned
        ? fail('AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"')
        : fail('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    }
    if (!amzDate.startsWith(scopeDate) || scopeDate.length !== 8) return fail(malformed, `Invalid credential date "${scopeDate}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
    const now = this.#options.now();
    const skew = this.#options.maxSkewMs();
    const serverTime = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (presigned) {
      const expiresAt = signedAt + (expiresSec ?? 0) * 1000;
      if (now > expiresAt || signedAt < this.#options.presignedNotBefore()) {
        return fail('AccessDenied', 'Request has expired', {
          'X-Amz-Expires': String(expiresSec),
          Expires: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          ServerTime: serverTime,
        });
      }
      if (signedAt > now + skew) return fail('AccessDenied', 'Request is not valid yet', { ServerTime: serverTime });
    } else if (Math.abs(now - signedAt) > skew) {
      return fail('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
        RequestTime: amzDate,
        ServerTime: serverTime,
        MaxAllowedSkewMilliseconds: String(skew),
      });
    }

    if (creds.sessionToken !== undefined) {
      if (token !== creds.sessionToken) return fail('InvalidToken', 'The provided token is malformed or otherwise invalid.');
      if (creds.expiresAt !== undefined && now >= creds.expiresAt) return fail('ExpiredToken', 'The provided token has expired.');
    } else if (token !== undefined) {
      return fail('InvalidToken', 'The provided token is malformed or otherwise invalid.');
    }

    const signedHeaders = signedHeadersText.split(';');
    if (signedHeaders.some((h) => h === '' || h !== h.toLowerCase())) return fail(malformed, 'SignedHeaders must be lower-case header names separated by ";"');
    if (!signedHeaders.includes('host')) return fail('AccessDenied', 'The host header must be signed');
    const unsigned = [...headers.keys()].filter((name) => name.startsWith('x-amz-') && !signedHeaders.includes(name));
    if (unsigned.length > 0) {
      return fail('AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.sort().join(', ') });
    }

    let payloadHash: string;
    const declaredHash = header('x-amz-content-sha256');
    if (presigned) {
      payloadHash = declaredHash ?? UNSIGNED_PAYLOAD;
    } else {
      if (declaredHash === undefined) return fail('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
      payloadHash = declaredHash;
    }
    if (payloadHash !== UNSIGNED_PAYLOAD && !STREAMING_PAYLOADS.has(payloadHash) && !/^[0-9a-f]{64}$/.test(payloadHash)) {
      return fail('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.');
    }
    if (presigned && SIGNED_STREAMING.has(payloadHash)) return fail('InvalidRequest', 'Signed streaming payloads need header authentication');

    const canonicalHeaders = signedHeaders.map((name) => `${name}:${headers.get(name)?.join(',') ?? ''}\n`).join('');
    const canonicalRequest = [
      request.method,
      canonicalUri(request.rawPath),
      canonicalQuery(presigned ? query.filter(([k]) => k !== 'X-Amz-Signature') : query),
      canonicalHeaders,
      signedHeadersText,
      payloadHash,
    ].join('\n');
    const scope = `${scopeDate}/${region}/${service}/aws4_request`;
    const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    const signingKey = sigV4SigningKey(creds.secretAccessKey, scopeDate, region, service);
    const expected = hmac(signingKey, stringToSign).toString('hex');
    if (!safeEqualHex(signature, expected)) {
      return fail('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
        AWSAccessKeyId: accessKeyId,
        StringToSign: stringToSign,
        SignatureProvided: signature,
        CanonicalRequest: canonicalRequest,
      });
    }
    return { ok: true, accessKeyId, presigned, payloadHash, signedStreaming: SIGNED_STREAMING.has(payloadHash), signature, amzDate, scope, signingKey };
  }

  /**
   * Checks for signed streaming payloads: each chunk signs the previous signature (seeded by
   * the header's) and the chunk's SHA-256; the `-TRAILER` form also signs the trailers.
   * The hooks throw {@link SigV4ChunkError} on a mismatch.
   */
  chunkHooks(success: SigV4Success): AwsChunkedSignatureHooks {
    let previous = success.signature;
    const withTrailer = success.payloadHash === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
    return {
      chunk(signature, dataSha256Hex) {
        const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', success.amzDate, success.scope, previous, EMPTY_SHA256, dataSha256Hex].join('\n');
        const expected = hmac(success.signingKey, stringToSign).toString('hex');
        if (signature === undefined || !safeEqualHex(signature, expected)) throw new SigV4ChunkError('a chunk signature does not match');
        previous = expected;
      },
      trailer(signature, canonicalTrailers) {
        if (!withTrailer) return;
        const stringToSign = ['AWS4-HMAC-SHA256-TRAILER', success.amzDate, success.scope, previous, sha256Hex(canonicalTrailers)].join('\n');
        const expected = hmac(success.signingKey, stringToSign).toString('hex');
        if (signature === undefined || !safeEqualHex(signature, expected)) throw new SigV4ChunkError('the trailer signature does not match');
      },
    };
  }
}

/** A signed streaming chunk or trailer whose signature is wrong. */
export class SigV4ChunkError extends Error {
  override readonly name = 'SigV4ChunkError';
}
