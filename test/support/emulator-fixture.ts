// Test helpers for the emulator: a fixture per test (temp dataDir, port 0, cleaned up by
// t.after) and a tiny raw HTTP client for the Feishu routes, so tests can send exactly the
// bytes they mean (field order, bad sizes, malformed forms) without any client library.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';

/** Block size tests use to stay fast (many blocks from little data). */
export const TEST_BLOCK_SIZE = 64 * 1024;

export interface EmulatorFixture {
  emulator: RunningEmulator;
  dataDir: string;
  client: FeishuRawClient;
}

/**
 * Starts an emulator on 127.0.0.1:0 with a fresh dataDir, small blocks and rate limiting off
 * unless `options` says otherwise; `t.after` closes it and deletes the folder.
 */
export async function emulatorFixture(t: TestContext, options: Partial<EmulatorOptions> = {}): Promise<EmulatorFixture> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'ccu-emulator-')));
  const emulator = await startEmulator({
    ...options,
    port: 0,
    dataDir,
    feishu: { blockSize: TEST_BLOCK_SIZE, ...options.feishu, rateLimit: { enabled: false, ...options.feishu?.rateLimit } },
  });
  t.after(async () => {
    await emulator.close();
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return { emulator, dataDir, client: new FeishuRawClient(emulator.url) };
}

/** SHA-1 hex of bytes (node:crypto). */
export function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** What came back from {@link rawRequest}: the status, headers and body bytes as sent. */
export interface RawHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A Feishu response as the tests look at it. */
export interface RawResponse extends RawHttpResponse {
  /** Parsed JSON body (`{}` when the body is not JSON). */
  json: Record<string, unknown> & { code?: number; msg?: string; data?: Record<string, unknown> };
}

/**
 * Sends exactly `headers` and `body` (pieces are written one by one) with node:http, keep-alive
 * off so every test is independent: the raw client of every emulator flavour's tests.
 */
export function rawRequest(url: string | URL, method: string, headers: Record<string, string> = {}, body?: Buffer | readonly Buffer[]): Promise<RawHttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (Array.isArray(body)) {
      for (const piece of body) req.write(piece);
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** A body parsed as a JSON object; `{}` when it is not JSON (downloads). */
export function jsonBody(body: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** One form field; `file` fields carry bytes. */
export type FormField = [name: string, value: string | Buffer, filename?: string];

/** Builds a multipart/form-data body in the given field order. */
export function buildForm(fields: readonly FormField[], boundary = `----ccu${Math.random().toString(16).slice(2)}`): { body: Buffer; contentType: string } {
  const pieces: Buffer[] = [];
  for (const [name, value, filename] of fields) {
    const isFile = Buffer.isBuffer(value);
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${name}"`;
    if (isFile) head += `; filename="${filename ?? 'blob'}"\r\nContent-Type: application/octet-stream`;
    pieces.push(Buffer.from(`${head}\r\n\r\n`), isFile ? value : Buffer.from(value), Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Raw HTTP against the emulator's Feishu routes ({@link rawRequest}). */
export class FeishuRawClient {
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  async send(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RawResponse> {
    const res = await rawRequest(`${this.base}${path}`, method, headers, body);
    return { ...res, json: jsonBody(res.body) };
  }

  json(path: string, value: unknown, token?: string): Promise<RawResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    return this.send('POST', path, headers, Buffer.from(JSON.stringify(value)));
  }

  form(path: string, fields: readonly FormField[], token?: string): Promise<RawResponse> {
    const { body, contentType } = buildForm(fields);
    const headers: Record<string, string> = { 'content-type': contentType };
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    return this.send('POST', path, headers, body);
  }

  async token(appId = 'cli_emulator', appSecret = 'emulator-secret'): Promise<string> {
    const res = await this.json('/open-apis/auth/v3/tenant_access_token/internal', { app_id: appId, app_secret: appSecret });
    const token = res.json['tenant_access_token'];
    if (typeof token !== 'string') throw new Error(`no token: ${res.body.toString()}`);
    return token;
  }

  prepare(api: 'medias' | 'files', body: Record<string, unknown>, token: string): Promise<RawResponse> {
    return this.json(`/open-apis/drive/v1/${api}/upload_prepare`, body, token);
  }

  part(api: 'medias' | 'files', uploadId: string, seq: number, bytes: Buffer, token: string, extra: { size?: string; checksum?: string } = {}): Promise<RawResponse> {
    const fields: FormField[] = [
      ['upload_id', uploadId],
      ['seq', String(seq)],
      ['size', extra.size ?? String(bytes.length)],
    ];
    if (extra.checksum !== undefined) fields.push(['checksum', extra.checksum]);
    fields.push(['file', bytes]);
    return this.form(`/open-apis/drive/v1/${api}/upload_part`, fields, token);
  }

  finish(api: 'medias' | 'files', uploadId: string, blockNum: number, token: string): Promise<RawResponse> {
    return this.json(`/open-apis/drive/v1/${api}/upload_finish`, { upload_id: uploadId, block_num: blockNum }, token);
  }

  download(api: 'medias' | 'files', fileToken: string, token: string, range?: string): Promise<RawResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (range !== undefined) headers['range'] = range;
    return this.send('GET', `/open-apis/drive/v1/${api}/${encodeURIComponent(fileToken)}/download`, headers);
  }

  /** prepare → every part in order → finish; returns the file token. */
  async upload(api: 'medias' | 'files', bytes: Buffer, token: string, parent = api === 'files' ? 'fldemulatorroot' : 'doxemulatordoc'): Promise<string> {
    const prep = await this.prepare(api, { file_name: 'file.bin', parent_type: api === 'files' ? 'explorer' : 'docx_file', parent_node: parent, size: bytes.length }, token);
    const data = prep.json.data as { upload_id: string; block_size: number; block_num: number } | undefined;
    if (prep.json.code !== 0 || !data) throw new Error(`prepare failed: ${prep.body.toString()}`);
    for (let seq = 0; seq < data.block_num; seq++) {
      const res = await this.part(api, data.upload_id, seq, bytes.subarray(seq * data.block_size, (seq + 1) * data.block_size), token);
      if (res.json.code !== 0) throw new Error(`part ${seq} failed: ${res.body.toString()}`);
    }
    const fin = await this.finish(api, data.upload_id, data.block_num, token);
    const fileToken = fin.json.data?.['file_token'];
    if (typeof fileToken !== 'string') throw new Error(`finish failed: ${fin.body.toString()}`);
    return fileToken;
  }
}
