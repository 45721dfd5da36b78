// Test helpers for the S3 flavour: an emulator per test (temp dataDir, both listeners on port 0,
// small minimum part size) and a raw client that signs with SigV4 exactly what a test asks for,
// so tests can send the bytes they mean (bad checksums, tampered URLs, aws-chunked bodies).
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startEmulator, type EmulatorOptions, type RunningEmulator, type S3EmulatorOptions } from '../../src/emulator/index.js';
import { encodeS3Key, S3RequestSigner } from '../../src/server/providers/s3-request-signer.js';
import { rawRequest, type RawHttpResponse } from './emulator-fixture.js';

/** Minimum part size tests use instead of 5 MiB, to stay fast. */
export const TEST_MIN_PART_SIZE = 64 * 1024;
export const TEST_BUCKET = 'ccu-test';
export const TEST_REGION = 'eu-test-1';
export const TEST_CREDENTIALS = { accessKeyId: 'TESTS3ACCESSKEY00001', secretAccessKey: 'test-s3-secret-key-5b1e0c' } as const;

export interface S3Fixture {
  emulator: RunningEmulator;
  dataDir: string;
  client: S3RawClient;
}

/**
 * Starts an emulator on 127.0.0.1:0 (S3 listener on a free port too) with a fresh dataDir,
 * the test bucket and credentials and a 64 KiB minimum part size unless `s3` says otherwise;
 * `t.after` closes it and deletes the folder.
 */
export async function s3Fixture(t: TestContext, s3: S3EmulatorOptions = {}, options: Partial<EmulatorOptions> = {}): Promise<S3Fixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ccu-s3-'));
  const emulator = await startEmulator({
    ...options,
    port: 0,
    dataDir,
    s3: { buckets: [TEST_BUCKET], region: TEST_REGION, ...TEST_CREDENTIALS, minPartSize: TEST_MIN_PART_SIZE, ...s3, port: 0 },
  });
  t.after(async () => {
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { emulator, dataDir, client: new S3RawClient(emulator.s3Url, () => emulator.clock.now()) };
}

/** A response as the tests look at it. */
export interface S3RawResponse extends RawHttpResponse {
  text: string;
  /** `<Code>` of an XML error body, if any. */
  code: string | undefined;
  /** Text of the first `<name>` element, for quick assertions on small XML answers. */
  xml(name: string): string | undefined;
  /** Texts of every `<name>` element. */
  xmlAll(name: string): string[];
}

function decodeXmlText(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** SHA-256 hex, the `x-amz-content-sha256` of a body. */
export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Content-MD5 (base64) of a body. */
export function md5Base64(body: Buffer): string {
  return createHash('md5').update(body).digest('base64');
}

/** Raw S3 over node:http (keep-alive off), signed by the backend's SigV4 signer. */
export class S3RawClient {
  readonly base: string;
  readonly signer: S3RequestSigner;
  readonly #now: () => number;

  constructor(base: string, now: () => number, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = TEST_CREDENTIALS, region = TEST_REGION) {
    this.base = base;
    this.#now = now;
    this.signer = new S3RequestSigner(credentials, region);
  }

  /** `${base}/${bucket}/${encoded key}${query}` as a URL. */
  url(key: string, query = '', bucket = TEST_BUCKET): URL {
    return new URL(`${this.base}/${bucket}/${encodeS3Key(key)}${query}`);
  }

  /** Sends exactly these headers and body (no signing). */
  async raw(method: string, url: string | URL, headers: Record<string, string> = {}, body?: Buffer | Buffer[]): Promise<S3RawResponse> {
    const res = await rawRequest(url, method, headers, body);
    const text = res.body.toString('utf8');
    const all = (name: string): string[] => [...text.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => decodeXmlText(m[1] ?? ''));
    return { ...res, text, code: text.includes('<Error>') ? all('Code')[0] : undefined, xml: (name) => all(name)[0], xmlAll: all };
  }

  /** Signs with the Authorization header (payload hash = SHA-256 of the body unless given) and sends. */
  send(method: string, url: URL, options: { headers?: Record<string, string>; body?: Buffer; payloadHash?: string; now?: number } = {}): Promise<S3RawResponse> {
    const body = options.body ?? Buffer.alloc(0);
    const signed = this.signer.sign({ method, url, headers: options.headers ?? {}, now: options.now ?? this.#now() }, options.payloadHash ?? sha256Hex(body));
    return this.raw(method, url, signed, options.body);
  }

  /** A presigned URL (signed headers as given), by the emulator clock unless `now` is given. */
  presign(method: string, url: URL, expiresSec = 600, headers: Record<string, string> = {}, now = this.#now()): string {
    return this.signer.presign({ method, url, headers, now }, expiresSec);
  }

  async createUpload(key: string, headers: Record<string, string> = {}): Promise<string> {
    const res = await this.send('POST', this.url(key, '?uploads'), { headers });
    const id = res.xml('UploadId');
    if (res.status !== 200 || id === undefined) throw new Error(`CreateMultipartUpload failed: ${res.status} ${res.text}`);
    return id;
  }

  uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer, headers: Record<string, string> = {}): Promise<S3RawResponse> {
    return this.send('PUT', this.url(key, `?partNumber=${partNumber}&uploadId=${encodeURIComponent(uploadId)}`), { body, headers });
  }

  complete(key: string, uploadId: string, parts: readonly { partNumber: number; etag: string; extra?: string }[]): Promise<S3RawResponse> {
    const xml = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts
      .map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag.replace(/"/g, '&quot;')}</ETag>${p.extra ?? ''}</Part>`)
      .join('')}</CompleteMultipartUpload>`;
    return this.send('POST', this.url(key, `?uploadId=${encodeURIComponent(uploadId)}`), { body: Buffer.from(xml), headers: { 'content-type': 'application/xml' } });
  }

  listParts(key: string, uploadId: string, query = ''): Promise<S3RawResponse> {
    return this.send('GET', this.url(key, `?uploadId=${encodeURIComponent(uploadId)}${query}`));
  }

  get(key: string, headers: Record<string, string> = {}): Promise<S3RawResponse> {
    return this.send('GET', this.url(key), { headers });
  }
}
