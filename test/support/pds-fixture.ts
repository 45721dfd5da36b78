// Test helpers for the PDS flavour: a fixture per test (temp dataDir, port 0, closed by t.after)
// and a small fetch-based client that sends exactly the JSON the spec describes, without any SDK.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startEmulator, type EmulatorOptions, type PdsEmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';

/** The bearer token the test emulator accepts (PDS_ACCESS_TOKEN). */
export const PDS_TEST_TOKEN = 'pds-test-access-token';
/** Small minimum part size so tests stay fast (the real OSS floor is 100 KB). */
export const PDS_TEST_MIN_PART = 1024;

export interface PdsFixture {
  emulator: RunningEmulator;
  dataDir: string;
  api: PdsRawClient;
}

/** Starts an emulator on 127.0.0.1:0 with small part limits; `t.after` closes it and deletes the folder. */
export async function pdsFixture(t: TestContext, options: Partial<EmulatorOptions> & { pds?: PdsEmulatorOptions } = {}): Promise<PdsFixture> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'ccu-pds-')));
  const emulator = await startEmulator({ ...options, port: 0, dataDir, pds: { accessToken: PDS_TEST_TOKEN, minPartSize: PDS_TEST_MIN_PART, ...options.pds } });
  t.after(async () => {
    await emulator.close();
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return { emulator, dataDir, api: new PdsRawClient(emulator.url, options.pds?.accessToken ?? PDS_TEST_TOKEN) };
}

/** A response as tests look at it. */
export interface PdsResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

async function read(response: Response): Promise<PdsResponse> {
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // XML or empty
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The `<Code>` of an OSS XML error body. */
export function xmlCode(text: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
}

// test/node/emulator-pds.test.ts takes sha1Hex from here with the PDS helpers.
export { sha1Hex } from './emulator-fixture.js';

/** Raw PDS API calls (POST JSON with a bearer token) and storage calls (presigned URLs). */
export class PdsRawClient {
  readonly base: string;
  token: string;
  readonly driveId: string;

  constructor(base: string, token: string, driveId = '1') {
    this.base = base;
    this.token = token;
    this.driveId = driveId;
  }

  async call(path: string, body: unknown, token: string | null = this.token): Promise<PdsResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    return read(await fetch(`${this.base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }));
  }

  create(body: Record<string, unknown>, token?: string): Promise<PdsResponse> {
    return this.call('/v2/file/create', { drive_id: this.driveId, parent_file_id: 'root', type: 'file', ...body }, token);
  }

  getUploadUrl(fileId: string, uploadId: string, parts: Record<string, unknown>[]): Promise<PdsResponse> {
    return this.call('/v2/file/get_upload_url', { drive_id: this.driveId, file_id: fileId, upload_id: uploadId, part_info_list: parts });
  }

  listParts(fileId: string, uploadId: string, extra: Record<string, unknown> = {}): Promise<PdsResponse> {
    return this.call('/v2/file/list_uploaded_parts', { drive_id: this.driveId, file_id: fileId, upload_id: uploadId, ...extra });
  }

  complete(fileId: string, uploadId: string, extra: Record<string, unknown> = {}): Promise<PdsResponse> {
    return this.call('/v2/file/complete', { drive_id: this.driveId, file_id: fileId, upload_id: uploadId, ...extra });
  }

  async put(url: string, bytes: Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): Promise<PdsResponse> {
    return read(await fetch(url, { method: 'PUT', headers, body: bytes }));
  }

  async download(url: string): Promise<{ status: number; bytes: Buffer }> {
    const response = await fetch(url);
    return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
  }

  /** create (serial) → PUT every part in order → complete; returns the complete answer. */
  async upload(bytes: Uint8Array<ArrayBuffer>, partSize: number, body: Record<string, unknown> = {}): Promise<PdsResponse> {
    const count = Math.max(1, Math.ceil(bytes.length / partSize));
    const created = await this.create({ name: 'file.bin', size: bytes.length, part_info_list: Array.from({ length: count }, (_, i) => ({ part_number: i + 1 })), ...body });
    if (created.status !== 201) throw new Error(`create failed: ${created.text}`);
    const urls = created.json['part_info_list'] as { part_number: number; upload_url: string }[];
    for (const [i, part] of urls.entries()) {
      const res = await this.put(part.upload_url, bytes.subarray(i * partSize, (i + 1) * partSize));
      if (res.status !== 200) throw new Error(`part ${i + 1} failed: ${res.text}`);
    }
    const done = await this.complete(String(created.json['file_id']), String(created.json['upload_id']));
    if (done.status !== 200) throw new Error(`complete failed: ${done.text}`);
    return done;
  }
}
