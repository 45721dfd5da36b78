// Test helpers for the COS legacy (files/v2) emulator: an independent v4 signer (node:crypto),
// an independent uploadparts builder (hash-wasm's SHA-1 state, not the emulator's compressor),
// and a raw HTTP client that sends exactly the form fields a test means.
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createSHA1 } from 'hash-wasm';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import { buildForm, jsonBody, rawRequest, type FormField, type RawHttpResponse } from './emulator-fixture.js';

/** Credentials the COS tests configure (never the emulator defaults, so defaults cannot leak into a pass). */
export const COS_TEST = {
  appId: '1250000123',
  bucket: 'ccu-test',
  secretId: 'AKIDcosLegacyTestSecretId',
  secretKey: 'cos-legacy-test-secret-key-4b1e',
} as const;

/** Small slice size the tests add to the accepted list to stay fast (a multiple of 64). */
export const COS_TEST_SLICE = 64 * 1024;

/** `/{appid}/{bucket}/{path}` with each segment URL-encoded (spaces as %20), as the SDKs sign `f` (§3.2). */
export function cosFileId(path: string, appId: string = COS_TEST.appId, bucket: string = COS_TEST.bucket): string {
  return `/${appId}/${bucket}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** Fields of a v4 signature; any may be overridden to build a wrong one. */
export interface CosSignParts {
  a?: string;
  b?: string;
  k?: string;
  e: number;
  t: number;
  r?: string;
  f?: string;
  /** HMAC key; default the test SecretKey. */
  key?: string;
}

/** `Base64(HMAC-SHA1(SecretKey, plain) ‖ plain)` with the doc field order a, b, k, e, t, r, f (§3.2). */
export function cosSign(parts: CosSignParts): string {
  const plain = `a=${parts.a ?? COS_TEST.appId}&b=${parts.b ?? COS_TEST.bucket}&k=${parts.k ?? COS_TEST.secretId}&e=${parts.e}&t=${parts.t}&r=${parts.r ?? '123456789'}&f=${parts.f ?? ''}`;
  const mac = createHmac('sha1', parts.key ?? COS_TEST.secretKey).update(plain).digest();
  return Buffer.concat([mac, Buffer.from(plain)]).toString('base64');
}

/** A multi-effect signature bound to `path`, valid `ttlSec` from `nowMs`. */
export function multiSign(path: string, nowMs: number, ttlSec = 600): string {
  const t = Math.floor(nowMs / 1000);
  return cosSign({ e: t + ttlSec, t, f: cosFileId(path), r: String(Math.floor(Math.random() * 1e9)) });
}

/** A single-effect signature (e = 0) bound to `path`. */
export function singleSign(path: string, nowMs: number): string {
  return cosSign({ e: 0, t: Math.floor(nowMs / 1000), f: cosFileId(path), r: String(Math.floor(Math.random() * 1e9)) });
}

/**
 * `uploadparts` for `bytes` with slices of `sliceSize` (§3.7), computed with hash-wasm: its
 * `save()` state holds H0..H4 little-endian at bytes 4–23 (toolchain.md addendum), which is
 * exactly the COS intermediate datasha; the last entry is the normal digest.
 */
export async function uploadparts(bytes: Uint8Array, sliceSize: number): Promise<{ offset: number; datalen: number; datasha: string }[]> {
  const hasher = await createSHA1();
  hasher.init();
  const out: { offset: number; datalen: number; datasha: string }[] = [];
  for (let offset = 0; offset < bytes.length; offset += sliceSize) {
    const end = Math.min(bytes.length, offset + sliceSize);
    hasher.update(bytes.subarray(offset, end));
    const last = end === bytes.length;
    const datasha = last ? hasher.digest('hex') : Buffer.from(hasher.save().subarray(4, 24)).toString('hex');
    out.push({ offset, datalen: end - offset, datasha });
  }
  return out;
}

/** A COS response as the tests look at it. */
export interface CosResponse extends RawHttpResponse {
  /** Parsed JSON body (`{}` when not JSON). */
  json: { code?: number; message?: string; request_id?: string; data?: Record<string, unknown> } & Record<string, unknown>;
}

/** How to carry the signature. */
export type SignVia = 'header' | 'query';

/** Raw HTTP against the COS legacy routes ({@link rawRequest}). */
export class CosRawClient {
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  async send(method: string, url: string, headers: Record<string, string> = {}, body?: Buffer): Promise<CosResponse> {
    const res = await rawRequest(url.startsWith('http') ? url : `${this.base}${url}`, method, headers, body);
    return { ...res, json: jsonBody(res.body) };
  }

  /** `POST /files/v2/{appid}/{bucket}/{path}` with a multipart form and the signature. */
  post(path: string, fields: readonly FormField[], sign: string | undefined, options: { via?: SignVia; headers?: Record<string, string>; appId?: string; bucket?: string } = {}): Promise<CosResponse> {
    const { body, contentType } = buildForm(fields);
    const headers: Record<string, string> = { 'content-type': contentType, ...options.headers };
    let url = `/files/v2/${options.appId ?? COS_TEST.appId}/${options.bucket ?? COS_TEST.bucket}/${path.split('/').map(encodeURIComponent).join('/')}`;
    if (sign !== undefined) {
      if (options.via === 'query') url += `?sign=${encodeURIComponent(sign)}`;
      else headers['authorization'] = sign;
    }
    return this.send('POST', url, headers, body);
  }

  /** `GET` on a `source_url` (or a path of the download route). */
  download(url: string, headers: Record<string, string> = {}): Promise<CosResponse> {
    return this.send('GET', url, headers);
  }
}

/** An emulator with the COS test credentials on 127.0.0.1:0 and a fresh dataDir; `t.after` cleans up. */
export interface CosFixture {
  emulator: RunningEmulator;
  dataDir: string;
  client: CosRawClient;
  /** Multi-effect signature for `path` at the emulator's current time. */
  sign(path: string, ttlSec?: number): string;
}

/**
 * Starts an emulator whose COS flavour uses {@link COS_TEST} and also accepts
 * {@link COS_TEST_SLICE} slices, unless `options.cosLegacy` says otherwise.
 */
export async function cosFixture(t: TestContext, options: Partial<EmulatorOptions> = {}): Promise<CosFixture> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'ccu-cos-')));
  const emulator = await startEmulator({
    ...options,
    port: 0,
    dataDir,
    cosLegacy: { ...COS_TEST, sliceSizes: [524288, 1048576, 2097152, 3145728, COS_TEST_SLICE], ...options.cosLegacy },
  });
  t.after(async () => {
    await emulator.close();
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return { emulator, dataDir, client: new CosRawClient(emulator.url), sign: (path, ttlSec) => multiSign(path, emulator.clock.now(), ttlSec) };
}
