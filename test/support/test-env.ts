// What the browser suites upload to and check with: the servers wtr-backend-plugin.mjs starts
// (GET /__test-env), random files, and the bytes the emulator stored.
import { assert, equal } from './browser-assert.js';
import { emulatorAdmin } from './emulator-admin.js';

/** `/__test-env` as wtr-backend-plugin.mjs serves it. */
export interface TestEnv {
  backendUrl: string;
  emulatorUrl: string;
  /** Feishu: a folder the emulator knows, small blocks, the emulator's one app. */
  target: string;
  blockSize: number;
  appId: string;
  appSecret: string;
  pds: { target: string; partSize: number };
  s3: { url: string; bucket: string; partSize: number; crc32BackendUrl: string };
}

/**
 * The servers of this test run. `needs` names a provider block that must be there (`pds`,
 * `s3`); without it the backend and emulator URLs must be.
 */
export async function testEnv(needs?: 'pds' | 's3'): Promise<TestEnv> {
  const env = (await (await fetch('/__test-env')).json()) as Partial<TestEnv>;
  if (needs === 'pds') assert(typeof env.backendUrl === 'string' && env.pds !== undefined, 'the test runner serves /__test-env with pds (wtr-backend-plugin)');
  else if (needs === 's3') assert(typeof env.backendUrl === 'string' && typeof env.s3?.url === 'string', 'the test runner serves /__test-env with s3 (wtr-backend-plugin)');
  else assert(typeof env.backendUrl === 'string' && typeof env.emulatorUrl === 'string', 'the test runner serves /__test-env (wtr-backend-plugin)');
  return env as TestEnv;
}

/** `size` random bytes (getRandomValues takes at most 64 KiB at a time). */
export function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65536)));
  return bytes;
}

/** A file of `size` random bytes. */
export function randomFile(name: string, size: number): File {
  return new File([randomBytes(size)], name, { type: 'application/octet-stream', lastModified: Date.now() });
}

/** Lowercase SHA-1 hex of `data`. */
export async function sha1Hex(data: ArrayBuffer | Blob): Promise<string> {
  const buffer = data instanceof Blob ? await data.arrayBuffer() : data;
  return [...new Uint8Array(await crypto.subtle.digest('SHA-1', buffer))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The bytes behind a result's download URL (which must be there and answer 200). */
export async function downloaded(url: string | undefined): Promise<ArrayBuffer> {
  assert(url !== undefined, 'the result has a download URL');
  const response = await fetch(url);
  equal(response.status, 200, 'download status');
  return response.arrayBuffer();
}

/** SHA-1 hex of the bytes behind a result's download URL. */
export async function storedSha1(url: string | undefined): Promise<string> {
  return sha1Hex(await downloaded(url));
}

/** The bytes the Feishu emulator stored as `fileToken`, downloaded with the test app's token. */
export async function storedBytes(env: TestEnv, fileToken: string): Promise<ArrayBuffer> {
  const tokenResponse = await fetch(`${env.emulatorUrl}/open-apis/auth/v3/tenant_access_token/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ app_id: env.appId, app_secret: env.appSecret }),
  });
  const { tenant_access_token: token } = (await tokenResponse.json()) as { tenant_access_token: string };
  const download = await fetch(`${env.emulatorUrl}/open-apis/drive/v1/files/${fileToken}/download`, { headers: { authorization: `Bearer ${token}` } });
  equal(download.status, 200, 'download status');
  return download.arrayBuffer();
}

/** Calls the emulator's admin API (`/__emulator/<path>`) of this test run; see {@link emulatorAdmin}. */
export async function admin(env: TestEnv, method: string, path: string, body?: unknown): Promise<unknown> {
  return emulatorAdmin(env.emulatorUrl, method, path, body);
}
