// Issue 7 item 3: one large file to the same S3 emulator with 50 ms injected per request,
// our element (S3 provider) against Uppy 6 (@uppy/core + @uppy/aws-s3 6.3.1, as its docs set it
// up for a presigning backend). The latency is on every request either side makes:
// - storage: the emulator's fault config delays every S3 route (preflights included), which
//   also delays the backend's own S3 calls (create, complete), as a remote S3 would;
// - the app's backend: both talk to it on the page's origin, Uppy's `signRequest` at `/sign`,
//   the element at `/api/` (a proxy to our backend); the page server delays both by 50 ms.
import type { BenchContext } from './bench-context.js';
import { buildFigure, unmeasured, type FigureRun, type FigureSpec } from './bench-figure.js';
import { benchTarget, openBenchPage, uploadProblem, uploadThroughElement } from './bench-page-driver.js';
import type { BenchFigure } from './bench-result.js';
import { mibPerSec } from './bench-stats.js';
import { THROUGHPUT_FILE_BYTES, throughputFileName } from './measure-throughput.js';

/** The injected latency per request (ms). */
export const INJECTED_LATENCY_MS = 50;
/** Longest wait for one Uppy upload (it sends parts one by one). */
const UPPY_TIMEOUT_MS = 180_000;

const SPEC: FigureSpec = {
  id: 'uppy.s3-50ms',
  item: 3,
  title: `256 MiB to S3 with ${INJECTED_LATENCY_MS} ms per request: ours vs Uppy 6`,
  unit: 'MiB/s',
  baseline: 'Uppy 6.3.1 + @uppy/aws-s3 (signRequest → same backend signer), same emulator, same latency',
  ratioLabel: 'ours / Uppy',
  goal: '≥ 2×',
  judge: ({ ratio }) => ratio !== null && ratio >= 2,
};

/**
 * Item 3: MiB/s of our S3 upload and Uppy's under injected latency, and their ratio.
 *
 * @example
 * const figures = await measureUppy(ctx);
 */
export async function measureUppy(ctx: BenchContext): Promise<BenchFigure[]> {
  const ours = ctx.providers.includes('s3');
  const runs: FigureRun[] = [];
  const notes: string[] = [];
  const stack = await ctx.freshStack();
  try {
    await stack.setFaults({ routes: { 's3.*': { latencyMs: INJECTED_LATENCY_MS } } });
    await stack.setPageLatency(INJECTED_LATENCY_MS);
    const page = await openBenchPage((url) => ctx.chrome.open(url), stack);
    const uppyPage = await openBenchPage((url) => ctx.chrome.open(url), stack, 'uppy');
    try {
      for (let rep = 0; rep < ctx.reps; rep++) {
        // The 256 MiB inputs of item 2 (already on disk); S3 has no rapid upload, so reuse is fair.
        const file = await ctx.files.get(throughputFileName(rep), THROUGHPUT_FILE_BYTES);
        let value: number | null = null;
        let extra: FigureRun['extra'] = {};
        if (ours) {
          const outcome = await uploadThroughElement(page, { endpoint: `${stack.pageUrl}/api/`, provider: 's3', target: benchTarget('s3') }, file);
          const why = uploadProblem(outcome, file);
          if (why !== null) notes.push(`ours rep ${rep + 1}: ${why}`);
          else value = mibPerSec(file.size, outcome.doneAt - outcome.pickedAt);
          extra = { partRequests: outcome.partRequests, controlRequests: outcome.controlRequests };
        }
        await uppyPage.setInputFiles('#bench-input', file.path);
        const uppy = await uppyPage.evaluate(([url, timeout]) => window.ccuUppy.upload(url, timeout), [`${stack.pageUrl}/sign`, UPPY_TIMEOUT_MS] as const);
        const uppyOk = uppy.detail['status'] === 'done';
        if (!uppyOk) notes.push(`Uppy rep ${rep + 1}: ${String(uppy.detail['status'])} ${String(uppy.detail['error'] ?? '')}`);
        const baseline = uppyOk ? mibPerSec(uppy.bytes, uppy.ms) : null;
        runs.push({ value, baseline, extra });
        ctx.log(`  uppy rep ${rep + 1}: ours ${value?.toFixed(0) ?? '—'} MiB/s, Uppy ${baseline?.toFixed(0) ?? '—'} MiB/s`);
      }
    } finally {
      await page.close();
      await uppyPage.close();
    }
  } finally {
    await stack.stop();
  }
  if (!ours) {
    const uppyOnly = runs.map((r) => r.baseline).filter((v): v is number => v !== null);
    return [unmeasured(SPEC, `no browser client for s3 in this build (Uppy alone: ${uppyOnly.map((v) => v.toFixed(1)).join(', ')} MiB/s)`)];
  }
  return [buildFigure(SPEC, runs, ['Uppy defaults: 5 MiB parts, one part at a time per file; ours: backend default 8 MiB parts, element concurrency 3', ...notes].join('; '))];
}
