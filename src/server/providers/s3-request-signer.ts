import { createHash, createHmac } from 'node:crypto';

/** SigV4's only algorithm name. */
const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Payload hash of requests whose body is not hashed (presigned URLs). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** SHA-256 of the empty string: the payload hash of body-less requests. */
export const EMPTY_PAYLOAD_SHA256 = createHash('sha256').update('').digest('hex');

/** Longest presigned URL lifetime SigV4 allows: 7 days (s). */
export const MAX_PRESIGN_EXPIRES_SEC = 604_800;

/** A key pair, plus the session token of temporary (STS) credentials. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Sent as `x-amz-security-token` (header) or `X-Amz-Security-Token` (presigned). */
  sessionToken?: string;
}

/** One request to sign. `url` must already carry its path and query percent-encoded as sent. */
export interface SignRequest {
  method: string;
  url: URL;
  /** Headers to sign besides `host` (names any case); they must be sent byte for byte. */
  headers?: Record<string, string>;
  /** ms since epoch. */
  now: number;
}

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Z a-z 0-9 - _ . ~`, `%XX` upper case. */
export function sigV4Encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An S3 object path: each key segment encoded, `/` kept (`a b/c.txt` → `a%20b/c.txt`). */
export function encodeS3Key(key: string): string {
  return key.split('/').map(sigV4Encode).join('/');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

/** `20130524T000000Z` for a time in ms. */
export function amzDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function canonicalQuery(search: string): string {
  const pairs = search
    .replace(/^\?/, '')
    .split('&')
    .filter((piece) => piece !== '')
    .map((piece) => {
      const eq = piece.indexOf('=');
      const [k, v] = eq === -1 ? [piece, ''] : [piece.slice(0, eq), piece.slice(eq + 1)];
      return [sigV4Encode(decode(k)), sigV4Encode(decode(v))] as const;
    });
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * AWS Signature Version 4 for S3 (cloud-apis.md §4.2 "Auth: SigV4"), with node:crypto: the
 * `Authorization` header for the backend's own calls (Initiate, ListParts, Complete, Abort) and
 * presigned URLs for the browser (§4.3: "presign one PUT …?partNumber=n&uploadId=… URL per
 * part, short expiry"). Checked against the worked examples of the AWS documentation
 * (test/node/server-s3.test.ts). The secret never leaves this object.
 *
 * @example
 * const signer = new S3RequestSigner({ accessKeyId, secretAccessKey }, 'us-east-1');
 * const url = signer.presign({ method: 'PUT', url: new URL(`${base}/bucket/key?partNumber=1&uploadId=${id}`), now: Date.now() }, 600);
 */
export class S3RequestSigner {
  readonly #credentials: S3Credentials;
  readonly #region: string;
  readonly #service: string;

  /** `service` is `s3` for S3 and S3-compatible stores. */
  constructor(credentials: S3Credentials, region: string, service = 's3') {
    this.#credentials = { ...credentials };
    this.#region = region;
    this.#service = service;
  }

  /** The access key id (public; it appears in every signature's credential scope). */
  get accessKeyId(): string {
    return this.#credentials.accessKeyId;
  }

  /**
   * Headers that authorize `request` with `Authorization: AWS4-HMAC-SHA256 …`: the given
   * headers plus `x-amz-date`, `x-amz-content-sha256` (= `payloadHash`), the session token if
   * any, and `authorization`. `host` is signed but left to the HTTP client to send.
   */
  sign(request: SignRequest, payloadHash: string): Record<string, string> {
    const date = amzDate(request.now);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    headers['x-amz-date'] = date;
    headers['x-amz-content-sha256'] = payloadHash;
    if (this.#credentials.sessionToken !== undefined) headers['x-amz-security-token'] = this.#credentials.sessionToken;
    const { signature, signedHeaders, scope } = this.#signature(request.method, request.url, { ...headers, host: request.url.host }, payloadHash, date, request.url.search);
    headers['authorization'] = `${ALGORITHM} Credential=${this.#credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }

  /**
   * A presigned URL for `request`, valid `expiresSec` seconds from `request.now`. Headers in
   * `request.headers` are signed: the caller must send them exactly (cloud-apis.md §4.3 step 2).
   */
  presign(request: SignRequest, expiresSec: number): string {
    if (!Number.isInteger(expiresSec) || expiresSec < 1 || expiresSec > MAX_PRESIGN_EXPIRES_SEC) {
      throw new RangeError(`expiresSec must be 1..${MAX_PRESIGN_EXPIRES_SEC}`);
    }
    const date = amzDate(request.now);
    const headers: Record<string, string> = { host: request.url.host };
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    const signedHeaders = Object.keys(headers).sort().join(';');
    const scope = this.#scope(date);
    const params: [string, string][] = [
      ['X-Amz-Algorithm', ALGORITHM],
      ['X-Amz-Credential', `${this.#credentials.accessKeyId}/${scope}`],
      ['X-Amz-Date', date],
      ['X-Amz-Expires', String(expiresSec)],
      ['X-Amz-SignedHeaders', signedHeaders],
    ];
    if (this.#credentials.sessionToken !== undefined) params.push(['X-Amz-Security-Token', this.#credentials.sessionToken]);
    const extra = params.map(([k, v]) => `${sigV4Encode(k)}=${sigV4Encode(v)}`).join('&');
    const search = request.url.search === '' || request.url.search === '?' ? `?${extra}` : `${request.url.search}&${extra}`;
    const { signature } = this.#signature(request.method, request.url, headers, UNSIGNED_PAYLOAD, date, search);
    return `${request.url.origin}${request.url.pathname}${search}&X-Amz-Signature=${signature}`;
  }

  #scope(date: string): string {
    return `${date.slice(0, 8)}/${this.#region}/${this.#service}/aws4_request`;
  }

  #signature(method: string, url: URL, headers: Record<string, string>, payloadHash: string, date: string, search: string): { signature: string; signedHeaders: string; scope: string } {
    const names = Object.keys(headers).map((n) => n.toLowerCase()).sort();
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const canonicalHeaders = names.map((n) => `${n}:${(lower[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
    const signedHeaders = names.join(';');
    const canonicalUri = url.pathname.split('/').map((segment) => sigV4Encode(decode(segment))).join('/');
    const canonicalRequest = [method, canonicalUri, canonicalQuery(search), canonicalHeaders, signedHeaders, payloadHash].join('\n');
    const scope = this.#scope(date);
    const stringToSign = [ALGORITHM, date, scope, sha256Hex(canonicalRequest)].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${this.#credentials.secretAccessKey}`, date.slice(0, 8)), this.#region), this.#service), 'aws4_request');
    return { signature: hmac(key, stringToSign).toString('hex'), signedHeaders, scope };
  }
}
