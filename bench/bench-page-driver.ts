import type { Page } from 'playwright-core';
import type { ProviderName } from '../src/core/index.js';
import { BENCH_EMULATOR } from './bench-emulator.js';
import type { BenchFile } from './bench-files.js';
import type { BenchStack } from './bench-stack.js';
import type { ElementUploadOutcome, MountOptions, Timed } from './page/bench-page-api.js';

/** Longest single upload the bench waits for (a 2 GiB file at a slow 10 MiB/s). */
export const UPLOAD_TIMEOUT_MS = 240_000;

let targetCounter = 0;

/** Where an upload of `provider` goes in the emulator: its documented folder, root, prefix or a fresh COS path. */
export function benchTarget(provider: ProviderName): string {
  switch (provider) {
    case 'feishu':
    case 'lark':
      return BENCH_EMULATOR.feishu.target;
    case 'pds':
      return BENCH_EMULATOR.pds.target;
    case 's3':
      return 'bench/';
    default:
      // COS legacy: a directory path; a new one per upload, so no earlier copy is ever at the same path.
      return `/bench/${process.pid}-${++targetCounter}`;
  }
}

/** Open the main bench page of `stack` in a new tab. */
export function openBenchPage(open: (url: string) => Promise<Page>, stack: BenchStack, page: 'index' | 'uppy' = 'index'): Promise<Page> {
  return open(`${stack.pageUrl}/${page}.html`);
}

/** Pick `file` into the page's plain `#bench-input` (for baselines and hashing). */
export async function pickIntoBenchInput(page: Page, file: BenchFile): Promise<void> {
  await page.evaluate(() => window.ccuBench.ensureInput());
  await page.setInputFiles('#bench-input', file.path);
  const size = await page.evaluate(() => window.ccuBench.pickedSize());
  if (size !== file.size) throw new Error(`picked ${size} bytes, expected ${file.size}`);
}

/** One XHR with the picked file as its body; throws unless the answer is 2xx. */
export async function rawSend(page: Page, url: string): Promise<Timed> {
  const timed = await page.evaluate(([u]) => window.ccuBench.rawSend(u, 'PUT', {}), [url] as const);
  const status = Number(timed.detail['status']);
  if (!(status >= 200 && status < 300)) throw new Error(`raw PUT answered ${status}`);
  return timed;
}

/** A presigned S3 PutObject URL on the emulator (the page server's signer). */
export async function presignPut(stack: BenchStack, key: string): Promise<string> {
  const res = await fetch(`${stack.pageUrl}/sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'PUT', key }) });
  if (!res.ok) throw new Error(`sign: ${res.status}`);
  return ((await res.json()) as { url: string }).url;
}

/**
 * Upload `file` through a fresh `<cloud-chunk-uploader>`: mount it, pick the file through its
 * own `<input type=file>` (what a user's pick does), wait for success or failure, or only until
 * every part is acknowledged (`untilPartsDone`; the emulator then assembles the object while the
 * caller moves on, so use it only when the stack is stopped right after).
 */
export async function uploadThroughElement(page: Page, options: MountOptions, file: BenchFile, untilPartsDone = false): Promise<ElementUploadOutcome> {
  await page.evaluate((o) => window.ccuBench.mountElement(o), options);
  await page.locator('cloud-chunk-uploader input[type="file"]').setInputFiles(file.path);
  return page.evaluate(([t, p]) => window.ccuBench.waitUpload(t, p), [UPLOAD_TIMEOUT_MS, untilPartsDone] as const);
}

/** Why an element upload does not count, or null when it finished with every byte stored. */
export function uploadProblem(outcome: ElementUploadOutcome, file: BenchFile): string | null {
  if (outcome.status !== 'done' && outcome.status !== 'parts-done') return `${outcome.status}: ${outcome.error ? `${outcome.error.code}: ${outcome.error.message}` : 'no error given'}`;
  if (outcome.size !== file.size) return `size ${outcome.size} ≠ ${file.size}`;
  if (outcome.result?.rapid === true) return 'the provider took it as a rapid upload (no bytes sent)';
  if (outcome.partBytes < file.size) return `only ${outcome.partBytes} of ${file.size} bytes went out as parts`;
  return null;
}
