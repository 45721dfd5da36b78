// COS legacy uploadparts policy: is hashing a file into `uploadparts` before create (a full
// read of the file before its first byte goes out) paid back by sending its slices in
// parallel? Measured in headless Chromium with the real hash pool, engine and COS client,
// against the backend and the COS legacy emulator on loopback:
//
//   node --import tsx bench/cos-uploadparts-policy.ts [sizeMiB…=8 32 96 256] [--runs=3] [--latency=0,40]
//
// For each size and each emulated per-slice latency (the emulator holds every slice request
// that long before handling it, as a far-away COS region would cost in round trips):
// - hash: time to compute uploadparts (1 MiB slices) in the hash pool, alone;
// - serial: engine upload without uploadparts (one slice at a time, the whole-file SHA-1
//   hashed alongside, sent at complete), from add() to done;
// - parallel: engine upload with uploadparts (hash first, then 5 slices at a time), add() to done.
// Each run uses new content (a changed first byte), so COS's rapid upload never kicks in.
// Medians of --runs. MiB/s = 2^20 bytes per second.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, readdir, rm, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { createServer as createViteServer } from 'vite';
import { chromiumLaunchOptions } from '../scripts/chromium-path.mjs';
import { startEmulator } from '../src/emulator/index.js';
import { startUploadServer } from '../src/server/index.js';

const MIB = 1024 * 1024;
const SLICE = MIB;
const COS = { appId: '1250000000', bucket: 'emulator', secretId: 'AKIDemulatorCosLegacySecretId', secretKey: 'emulator-cos-secret-key' };
const BENCH_PAGE = '/__cos-bench';

/** Runs in the page: the client, pool and engine as the element would use them. */
const PAGE_SCRIPT = `
import { HashPool } from '/src/hashing/index.ts';
import { UploadEngine } from '/src/engine/index.ts';
import { createCosLegacyClient, cosLegacyUploadparts } from '/src/providers/index.ts';
const pool = new HashPool();
const file = () => document.getElementById('file').files[0];
window.cosBench = {
  async warm() {
    const h = pool.open(new Blob([new Uint8Array(1024)]));
    await h.partChecksum('cos-datasha', 0, 1024);
    h.close();
  },
  async hash() {
    const f = file();
    const handle = pool.open(f);
    const t0 = performance.now();
    await cosLegacyUploadparts(handle, f.size, ${SLICE}, new AbortController().signal);
    const ms = performance.now() - t0;
    handle.close();
    return ms;
  },
  upload(endpoint, target, parallel) {
    const f = file();
    const engine = new UploadEngine({
      provider: createCosLegacyClient({ endpoint, uploadpartsMaxBytes: parallel ? Number.MAX_SAFE_INTEGER : 0 }),
      hasher: pool, target, chunkSize: ${SLICE}, concurrency: 5, progressIntervalMs: 1000,
    });
    return new Promise((resolve) => {
      const t0 = performance.now();
      const check = () => {
        const u = engine.uploads[0];
        if (!u || (u.status !== 'done' && u.status !== 'failed')) return;
        engine.removeEventListener('change', check);
        const opened = u.history.find((h) => h.status === 'uploading');
        const started = u.history.find((h) => h.status === 'preparing');
        resolve({ totalMs: performance.now() - t0, status: u.status, error: u.error,
          prepareMs: opened && started ? opened.at - started.at : null, bytesSent: u.counters.bytesSent, rapid: u.result?.rapid === true });
        engine.dispose();
      };
      engine.addEventListener('change', check);
      engine.add([f]);
    });
  },
};
`;

interface UploadOutcome {
  totalMs: number;
  status: string;
  error?: unknown;
  prepareMs: number | null;
  bytesSent: number;
  rapid: boolean;
}

interface Row {
  sizeMiB: number;
  sliceLatencyMs: number;
  hashMs: number;
  hashMiBps: number;
  serialMs: number;
  parallelMs: number;
  parallelPrepareMs: number;
  savedMs: number;
  verdict: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function writeRandomFile(path: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  for (let written = 0; written < size;) {
    const chunk = randomBytes(Math.min(MIB, size - written));
    if (!out.write(chunk)) await once(out, 'drain');
    written += chunk.length;
  }
  out.end();
  await once(out, 'finish');
}

/** New content for the next run: COS would otherwise answer a stored SHA-1 with a rapid upload. */
async function changeFirstBytes(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(randomBytes(16), 0, 16, 0);
  } finally {
    await handle.close();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const sizes = args.filter((a) => !a.startsWith('--')).map(Number).filter((n) => n > 0);
  const option = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const runs = Number(option('runs') ?? 3);
  const latencies = (option('latency') ?? '0,40').split(',').map(Number);
  const sizesMiB = sizes.length > 0 ? sizes : [8, 32, 96, 256];

  const dataDir = await mkdtemp(join(tmpdir(), 'ccu-cos-bench-'));
  const emulator = await startEmulator({ port: 0, dataDir });
  const vite = await createViteServer({
    configFile: false,
    root: join(import.meta.dirname, '..'),
    envDir: false,
    publicDir: false,
    appType: 'custom',
    logLevel: 'error',
    // No watcher and no HMR: edits elsewhere in the tree must not reload the page mid-run.
    server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
    optimizeDeps: { include: ['comlink', 'hash-wasm'] },
    worker: { format: 'es' },
    plugins: [{
      name: 'cos-bench-page',
      configureServer(server) {
        server.middlewares.use((req, res, next) => {
          if (req.url !== BENCH_PAGE) return next();
          res.setHeader('content-type', 'text/html; charset=utf-8');
          res.end(`<!doctype html><input id="file" type="file"><script type="module">${PAGE_SCRIPT}</script>`);
        });
      },
    }],
  });
  await vite.listen();
  const pageOrigin = new URL(vite.resolvedUrls?.local[0] ?? '').origin;
  const backend = await startUploadServer({
    port: 0,
    secret: randomBytes(32).toString('hex'),
    providers: { 'cos-legacy': { baseUrl: emulator.url, ...COS } },
    allowedOrigins: [pageOrigin],
  });
  const browser = await chromium.launch(chromiumLaunchOptions());
  const rows: Row[] = [];
  // Other work on the machine slows every column alike but not evenly: say how busy it was.
  const loadBefore = loadavg()[0] ?? 0;
  try {
    const page: Page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(`${pageOrigin}${BENCH_PAGE}`);
    await page.waitForFunction(() => 'cosBench' in window, undefined, { timeout: 60_000 }).catch((error: unknown) => {
      throw new Error(`the bench page did not load: ${pageErrors.join('; ') || String(error)}`);
    });
    await page.evaluate(() => (window as unknown as { cosBench: { warm(): Promise<void> } }).cosBench.warm());
    const filesDir = await mkdtemp(join(tmpdir(), 'ccu-cos-bench-files-'));
    try {
      for (const sizeMiB of sizesMiB) {
        const path = join(filesDir, `bench-${sizeMiB}.bin`);
        await writeRandomFile(path, sizeMiB * MIB);
        for (const latency of latencies) {
          emulator.faults.set(latency > 0 ? { routes: { 'cos-legacy.upload_slice_data': { latencyMs: latency } } } : {});
          const hash: number[] = [];
          const serial: number[] = [];
          const parallel: number[] = [];
          const prepare: number[] = [];
          for (let run = 0; run < runs; run += 1) {
            await changeFirstBytes(path);
            await page.setInputFiles('#file', path);
            hash.push(await page.evaluate(() => (window as unknown as { cosBench: { hash(): Promise<number> } }).cosBench.hash()));
            for (const mode of ['serial', 'parallel'] as const) {
              await changeFirstBytes(path);
              await page.setInputFiles('#file', path);
              const outcome = await page.evaluate(
                ([endpoint, target, isParallel]) => (window as unknown as { cosBench: { upload(e: string, t: string, p: boolean): Promise<UploadOutcome> } }).cosBench.upload(endpoint, target, isParallel),
                [`${backend.url}/`, `/bench/${sizeMiB}/${latency}/${run}/${mode}`, mode === 'parallel'] as const,
              );
              if (outcome.status !== 'done' || outcome.rapid || outcome.bytesSent < sizeMiB * MIB) {
                throw new Error(`${mode} upload of ${sizeMiB} MiB did not really upload: ${JSON.stringify(outcome)}`);
              }
              (mode === 'serial' ? serial : parallel).push(outcome.totalMs);
              if (mode === 'parallel') prepare.push(outcome.prepareMs ?? 0);
              // The bench stores a few GiB otherwise; it never reads the objects back.
              const objects = join(dataDir, 'cos-legacy', 'objects');
              for (const name of await readdir(objects).catch(() => [])) await unlink(join(objects, name)).catch(() => undefined);
            }
          }
          const hashMs = median(hash);
          const serialMs = median(serial);
          const parallelMs = median(parallel);
          const savedMs = serialMs - parallelMs;
          rows.push({
            sizeMiB,
            sliceLatencyMs: latency,
            hashMs: Math.round(hashMs),
            hashMiBps: Math.round(sizeMiB / (hashMs / 1000)),
            serialMs: Math.round(serialMs),
            parallelMs: Math.round(parallelMs),
            parallelPrepareMs: Math.round(median(prepare)),
            savedMs: Math.round(savedMs),
            verdict: savedMs > 0 ? 'uploadparts pays' : 'serial is faster',
          });
          process.stderr.write(`${sizeMiB} MiB, ${latency} ms/slice: done\n`);
        }
        await rm(path, { force: true });
      }
    } finally {
      await rm(filesDir, { recursive: true, force: true });
    }
  } finally {
    await browser.close();
    await backend.close();
    await vite.close();
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  const load = { before: Number(loadBefore.toFixed(2)), after: Number((loadavg()[0] ?? 0).toFixed(2)) };
  console.log(`cos-uploadparts-policy (Chromium, hash pool, ${SLICE / MIB} MiB slices, engine concurrency 5, backend + emulator on loopback, median of ${runs}; ms; 1-min load ${load.before} → ${load.after})`);
  console.table(rows);
  console.log(JSON.stringify({ bench: 'cos-uploadparts-policy', node: process.version, load, rows }));
}

await main();
