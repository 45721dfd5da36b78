// Relay throughput: the same random file uploaded (1) through the backend's streaming relay to
// the Feishu emulator and (2) straight to the emulator's upload_part, in one run, with the
// backend's peak RSS measured in its own child process.
//
//   node --import tsx bench/relay-throughput.ts [sizeMiB=256] [moreSizes…]
//
// Each size gets a fresh backend process, so its peak RSS (sampled every 20 ms, and the
// kernel's VmHWM) belongs to that size alone: if the relay buffered parts or files, the peak
// would grow with the file. Parts go one at a time, as Feishu allows (no concurrent calls on
// one upload); the emulator's rate limit and the backend's pacing are turned off so the
// numbers measure the relay, not the 5 QPS budget (which caps real Feishu at 5 × 4 MiB/s).
// MiB/s = 2^20 bytes per second.
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAdler32 } from 'hash-wasm';
import type { CreateSessionResponse } from '../src/core/index.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { startUploadServer } from '../src/server/index.js';

const MIB = 1024 * 1024;
const APP = { appId: 'cli_bench', appSecret: 'bench-app-secret' };
const TARGET = 'fldemulatorroot';
const BLOCK_SIZE = 4 * MIB;

interface ChildReport {
  rss: number;
  peakRss: number;
  vmHwm: number | null;
}

type ChildMessage = { type: 'ready'; url: string } | ({ type: 'memory' } & ChildReport);

if (process.argv[2] === '--backend') {
  await runBackendChild(process.argv[3] ?? '');
} else {
  await main(process.argv.slice(2).map(Number).filter((n) => n > 0));
}

/** The backend, alone in its process: reports its RSS (sampled peak and VmHWM) on request. */
async function runBackendChild(emulatorUrl: string): Promise<void> {
  const server = await startUploadServer({
    port: 0,
    secret: randomBytes(32).toString('hex'),
    providers: { feishu: { baseUrl: emulatorUrl, ...APP, rateLimitQps: 1_000_000 } },
  });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  process.on('message', (message: string) => {
    if (message === 'memory') {
      const rss = process.memoryUsage().rss;
      peakRss = Math.max(peakRss, rss);
      void readFile('/proc/self/status', 'utf8')
        .then((status) => Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) * 1024 || null, () => null)
        .then((vmHwm) => process.send?.({ type: 'memory', rss, peakRss, vmHwm } satisfies ChildMessage));
    } else if (message === 'stop') {
      clearInterval(sampler);
      void server.close().then(() => process.exit(0));
    }
  });
  process.send?.({ type: 'ready', url: server.url } satisfies ChildMessage);
}

function ask(child: ChildProcess, message: string): Promise<ChildMessage> {
  return new Promise((resolve) => {
    child.once('message', (reply: ChildMessage) => resolve(reply));
    child.send(message);
  });
}

async function main(sizes: number[]): Promise<void> {
  if (sizes.length === 0) sizes.push(256);
  const dir = await mkdtemp(join(tmpdir(), 'ccu-bench-relay-'));
  const emulator = await startEmulator({ port: 0, dataDir: join(dir, 'emulator'), feishu: { ...APP, rateLimit: { enabled: false } } });
  const rows: Record<string, number | string | null>[] = [];
  try {
    for (const sizeMiB of sizes) {
      const file = join(dir, `random-${sizeMiB}.bin`);
      const { sha1, checksums } = await writeRandomFile(file, sizeMiB * MIB);
      const child = fork(fileURLToPath(import.meta.url), ['--backend', emulator.url], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const ready = await new Promise<ChildMessage>((resolve) => child.once('message', (m: ChildMessage) => resolve(m)));
      if (ready.type !== 'ready') throw new Error('backend child did not start');
      const idle = (await ask(child, 'memory')) as ChildReport;

      const relay = await timed(() => uploadViaRelay(ready.url, file, sizeMiB * MIB, checksums));
      const memory = (await ask(child, 'memory')) as ChildReport;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      });
      const direct = await timed(() => uploadDirect(emulator, file, sizeMiB * MIB, checksums));

      // Both stored objects must equal the source, or the speeds mean nothing.
      for (const token of [relay.value, direct.value]) {
        if ((await downloadSha1(emulator, token)) !== sha1) throw new Error(`stored bytes differ from the source (${token})`);
      }
      rows.push({
        sizeMiB,
        relayMiBs: round(sizeMiB / relay.seconds),
        directMiBs: round(sizeMiB / direct.seconds),
        backendIdleRssMiB: round(idle.rss / MIB),
        backendPeakRssMiB: round(memory.peakRss / MIB),
        backendVmHwmMiB: memory.vmHwm === null ? null : round(memory.vmHwm / MIB),
      });
      await rm(file);
    }
  } finally {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
  console.log('relay-throughput (sequential 4 MiB parts, Adler-32 per part, emulator rate limit off, MiB/s = 2^20 B/s)');
  console.table(rows);
  console.log(JSON.stringify({ bench: 'relay-throughput', node: process.version, rows }));
}

/** Random bytes to disk, with the SHA-1 of the whole and the Adler-32 (decimal) of each 4 MiB part. */
async function writeRandomFile(path: string, size: number): Promise<{ sha1: string; checksums: string[] }> {
  const sha1 = createHash('sha1');
  const adler = await createAdler32();
  const checksums: string[] = [];
  const out = createWriteStream(path);
  for (let offset = 0; offset < size; offset += BLOCK_SIZE) {
    const part = randomBytes(Math.min(BLOCK_SIZE, size - offset));
    sha1.update(part);
    adler.init();
    adler.update(part);
    checksums.push(String(parseInt(adler.digest(), 16)));
    if (!out.write(part)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { sha1: sha1.digest('hex'), checksums };
}

async function* parts(path: string, size: number): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  const handle = await open(path, 'r');
  try {
    for (let offset = 0; offset < size; offset += BLOCK_SIZE) {
      const part = new Uint8Array(Math.min(BLOCK_SIZE, size - offset));
      await handle.read(part, 0, part.length, offset);
      yield part;
    }
  } finally {
    await handle.close();
  }
}

async function uploadViaRelay(backend: string, path: string, size: number, checksums: string[]): Promise<string> {
  const created = await fetch(`${backend}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'feishu', target: TARGET, fileName: 'bench.bin', size }),
  });
  const session = (await created.json()) as CreateSessionResponse;
  if (created.status !== 201 || session.plan.partSize !== BLOCK_SIZE) throw new Error(`create failed: ${created.status}`);
  let index = 0;
  for await (const part of parts(path, size)) {
    const response = await fetch(`${backend}/v1/sessions/parts/${index}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${session.ticket}`, 'x-part-checksum': checksums[index] ?? '' },
      body: part,
    });
    if (response.status !== 200) throw new Error(`relay part ${index}: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
    index++;
  }
  const done = await fetch(`${backend}/v1/sessions/complete`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.ticket}`, 'content-type': 'application/json' },
    body: JSON.stringify({ parts: [] }),
  });
  const { result } = (await done.json()) as { result: { fileToken: string } };
  return result.fileToken;
}

async function uploadDirect(emulator: RunningEmulator, path: string, size: number, checksums: string[]): Promise<string> {
  const auth = { authorization: `Bearer ${emulator.feishu.tenantToken()}` };
  const api = `${emulator.url}/open-apis/drive/v1/files`;
  const prepared = await fetch(`${api}/upload_prepare`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ file_name: 'bench.bin', parent_type: 'explorer', parent_node: TARGET, size }),
  });
  const { data } = (await prepared.json()) as { data: { upload_id: string; block_num: number } };
  let index = 0;
  for await (const part of parts(path, size)) {
    const form = new FormData();
    form.append('upload_id', data.upload_id);
    form.append('seq', String(index));
    form.append('size', String(part.length));
    form.append('checksum', checksums[index] ?? '');
    form.append('file', new Blob([part]), 'bench.bin');
    const response = await fetch(`${api}/upload_part`, { method: 'POST', headers: auth, body: form });
    const body = (await response.json()) as { code: number };
    if (body.code !== 0) throw new Error(`direct part ${index}: ${body.code}`);
    index++;
  }
  const finished = await fetch(`${api}/upload_finish`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ upload_id: data.upload_id, block_num: data.block_num }),
  });
  return ((await finished.json()) as { data: { file_token: string } }).data.file_token;
}

async function downloadSha1(emulator: RunningEmulator, fileToken: string): Promise<string> {
  const response = await fetch(`${emulator.url}/open-apis/drive/v1/files/${fileToken}/download`, {
    headers: { authorization: `Bearer ${emulator.feishu.tenantToken()}` },
  });
  const hash = createHash('sha1');
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest('hex');
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await run();
  return { value, seconds: (performance.now() - start) / 1000 };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
