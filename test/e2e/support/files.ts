// Random test files on disk (real files, picked through the file input like a user would),
// and checks on what the emulator stored.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

export interface TestFile {
  path: string;
  size: number;
  sha1: string;
  remove(): Promise<void>;
}

/** Write `size` random bytes to a fresh file, 1 MiB at a time, and return its SHA-1. */
export async function makeRandomFile(size: number, name = 'random.bin'): Promise<TestFile> {
  const dir = await mkdtemp(join(tmpdir(), 'ccu-file-'));
  const path = join(dir, name);
  const out = createWriteStream(path);
  const hash = createHash('sha1');
  for (let written = 0; written < size; ) {
    const chunk = randomBytes(Math.min(1 << 20, size - written));
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
    written += chunk.length;
  }
  out.end();
  await once(out, 'finish');
  return { path, size, sha1: hash.digest('hex'), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** SHA-1 and length of a download, streamed. */
export async function sha1OfResponse(res: Response): Promise<{ sha1: string; size: number }> {
  if (!res.ok || !res.body) throw new Error(`download failed: HTTP ${res.status} ${await res.text()}`);
  const hash = createHash('sha1');
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha1: hash.digest('hex'), size };
}

/** Download a Feishu file from the emulator with a tenant token of our own. */
export async function downloadFeishuFile(emulatorUrl: string, appId: string, appSecret: string, fileToken: string) {
  const tokenRes = await fetch(`${emulatorUrl}/open-apis/auth/v3/tenant_access_token/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ app_id: appId, app_secret: appSecret }),
  });
  const { tenant_access_token: token } = (await tokenRes.json()) as { tenant_access_token: string };
  const res = await fetch(`${emulatorUrl}/open-apis/drive/v1/files/${encodeURIComponent(fileToken)}/download`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return sha1OfResponse(res);
}
