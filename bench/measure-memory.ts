// Issue 7 items 6 and 8, from the same uploads: peak JS memory (CDP Runtime.getHeapUsage: V8 heap
// plus ArrayBuffer contents, for the page and each worker, sampled every 100 ms) while 256 MiB and 2 GiB go
// through the element (the primary provider), and the time from the pick to the first part byte
// handed to the network for each. Memory should not grow with the file (flat); the first byte
// should not wait for anything proportional to the file either.
import type { BenchContext } from './bench-context.js';
import { HeapSampler, jsMemoryBytes, type HeapPeak } from './bench-browser.js';
import { buildFigure, type FigureRun, type FigureSpec } from './bench-figure.js';
import { benchTarget, openBenchPage, uploadProblem, uploadThroughElement } from './bench-page-driver.js';
import type { BenchFigure } from './bench-result.js';
import { median } from './bench-stats.js';
import { THROUGHPUT_FILE_BYTES, throughputFileName } from './measure-throughput.js';
import type { Page } from 'playwright-core';
import type { ElementUploadOutcome, NetEntry } from './page/bench-page-api.js';

const MIB = 2 ** 20;
/** The large file for items 6 and 8. */
export const LARGE_FILE_BYTES = 2 * 2 ** 30;
/** Goal: heap ≤ this + concurrency × part size (issue 7 item 6). */
export const HEAP_ALLOWANCE_BYTES = 64 * MIB;
/** Goal: first byte on the wire within 300 ms of the pick (issue 7 item 8). */
export const TTFB_GOAL_MS = 300;
/** The element's default concurrency (DESIGN.md "Element API"). */
const ELEMENT_CONCURRENCY = 3;
/**
 * Flat: the 2 GiB peak at most one default S3 part (8 MiB) above the 256 MiB one. Eight times the
 * bytes would add at least 8 × whatever is kept per byte; a fixed slack, not a ratio, because a
 * few-MiB heap's peak is mostly garbage the GC has not collected yet.
 */
const FLAT_SLACK_BYTES = 8 * MIB;

interface Sized {
  outcome: ElementUploadOutcome;
  heap: HeapPeak;
  timeline: Record<string, number | null>;
  /** Page heap after a forced GC once the measured part of the upload is over (bytes). */
  keptBytes: number;
}

/** Where the time before the first byte went: the session call and the first part-URL call, from the pick. */
async function firstByteTimeline(page: Page, outcome: ElementUploadOutcome): Promise<Record<string, number | null>> {
  const net = await page.evaluate(() => window.ccuBench.net());
  const at = (suffix: string): NetEntry | undefined => net.find((e) => e.kind === 'fetch' && e.path.endsWith(suffix));
  const since = (t: number | null | undefined): number | null => (t === null || t === undefined ? null : Math.round(t - outcome.pickedAt));
  const session = at('/v1/sessions');
  const urls = at('/v1/sessions/part-urls');
  return {
    sessionStartMs: since(session?.start),
    sessionEndMs: since(session?.end),
    partUrlsStartMs: since(urls?.start),
    partUrlsEndMs: since(urls?.end),
    firstByteMs: since(outcome.firstByteAt),
  };
}

/** Median milestones of the 2 GiB uploads, from the pick. */
function timelineNote(runs: readonly FigureRun[]): string {
  const mid = (key: string): string => {
    const value = median(runs.map((r) => r.extra?.[key]).map((v) => (typeof v === 'number' ? v : null)));
    return value === null ? '—' : `${Math.round(value)} ms`;
  };
  return `2 GiB, from the pick: session call ${mid('sessionStartMs')}–${mid('sessionEndMs')}, part URLs ${mid('partUrlsStartMs')}–${mid('partUrlsEndMs')}, first byte ${mid('firstByteMs')}; each upload is the first pick after a page load`;
}

/** The page's JS memory (heap + ArrayBuffer contents) after a full GC (CDP): what is kept, not garbage not collected yet. */
async function heapAfterGc(page: Page): Promise<number> {
  const session = await page.context().newCDPSession(page);
  try {
    await session.send('HeapProfiler.collectGarbage');
    return jsMemoryBytes(await session.send('Runtime.getHeapUsage'));
  } finally {
    await session.detach().catch(() => undefined);
  }
}

/**
 * Items 6 and 8: peak heap for 256 MiB vs 2 GiB, and pick-to-first-byte for both.
 *
 * @example
 * const figures = await measureMemory(ctx);
 */
export async function measureMemory(ctx: BenchContext): Promise<BenchFigure[]> {
  const provider = ctx.primary;
  const large = await ctx.files.get('memory-2g.bin', LARGE_FILE_BYTES);
  const runs = { page: [] as FigureRun[], total: [] as FigureRun[], ttfb: [] as FigureRun[] };
  const notes: string[] = [];
  /** Page heap after a forced GC once each upload is over, 256 MiB → 2 GiB, per repetition. */
  const kept: string[] = [];
  let allowance = HEAP_ALLOWANCE_BYTES;
  for (let rep = 0; rep < ctx.reps; rep++) {
    const small = await ctx.files.get(throughputFileName(rep), THROUGHPUT_FILE_BYTES);
    const stack = await ctx.freshStack();
    const page = await openBenchPage((url) => ctx.chrome.open(url), stack);
    try {
      // One small upload first, so the backend and emulator are warm for both measured ones (a
      // real backend is always running); the page is reloaded after it.
      await uploadThroughElement(page, { endpoint: `${stack.backendUrl}/`, provider, target: benchTarget(provider) }, await ctx.files.get('warm-up-1m.bin', MIB));
      const measured: Sized[] = [];
      for (const file of [small, large]) {
        // Each upload is the first pick after a page load (what a user does), so both start equally cold.
        await page.reload();
        await page.waitForFunction(() => document.documentElement.dataset['benchReady'] === 'true');
        const sampler = await HeapSampler.start(page);
        // 2 GiB: until every part is in (the emulator assembling 2 GiB is not the page's memory);
        // 256 MiB to the end, so its complete is over before the 2 GiB upload starts.
        const outcome = await uploadThroughElement(page, { endpoint: `${stack.backendUrl}/`, provider, target: benchTarget(provider) }, file, file === large)
          .catch(async (error: unknown) => {
            await sampler.stop();
            throw error;
          });
        const heap = await sampler.stop();
        measured.push({ outcome, heap, timeline: await firstByteTimeline(page, outcome), keptBytes: await heapAfterGc(page) });
        const why = uploadProblem(outcome, file);
        if (why !== null) notes.push(`rep ${rep + 1}, ${file.size / MIB} MiB: ${why}`);
        if (outcome.partCount > 0) allowance = Math.max(allowance, HEAP_ALLOWANCE_BYTES + ELEMENT_CONCURRENCY * Math.ceil(file.size / outcome.partCount));
      }
      const [s, l] = measured as [Sized, Sized];
      const ok = uploadProblem(s.outcome, small) === null && uploadProblem(l.outcome, large) === null;
      const ttfb = (o: ElementUploadOutcome): number | null => (o.firstByteAt === null ? null : o.firstByteAt - o.pickedAt);
      runs.page.push({ value: ok ? l.heap.pageBytes / MIB : null, baseline: ok ? s.heap.pageBytes / MIB : null, extra: { keptAfterGcMiB: l.keptBytes / MIB, baselineKeptAfterGcMiB: s.keptBytes / MIB } });
      kept.push(`${(s.keptBytes / MIB).toFixed(1)} → ${(l.keptBytes / MIB).toFixed(1)}`);
      runs.total.push({ value: ok ? l.heap.totalBytes / MIB : null, baseline: ok ? s.heap.totalBytes / MIB : null, extra: { workers: l.heap.workers, samples: l.heap.samples } });
      runs.ttfb.push({ value: ttfb(l.outcome), baseline: ttfb(s.outcome), extra: l.timeline });
      ctx.log(`  memory rep ${rep + 1}: page ${(s.heap.pageBytes / MIB).toFixed(1)} → ${(l.heap.pageBytes / MIB).toFixed(1)} MiB, +workers ${(s.heap.totalBytes / MIB).toFixed(1)} → ${(l.heap.totalBytes / MIB).toFixed(1)} MiB; first byte ${ttfb(s.outcome)?.toFixed(0) ?? '—'} / ${ttfb(l.outcome)?.toFixed(0) ?? '—'} ms`);
    } finally {
      await page.close();
      await stack.stop();
    }
  }
  const limitMiB = allowance / MIB;
  const heapGoal = `flat (+ ≤ ${FLAT_SLACK_BYTES / MIB} MiB) and ≤ ${limitMiB.toFixed(0)} MiB (64 + ${ELEMENT_CONCURRENCY} × part)`;
  const heapSpec = (id: string, what: string): FigureSpec => ({
    id,
    item: 6,
    title: `peak JS memory (heap + ArrayBuffers), ${what}: 2 GiB through the element → ${provider}`,
    unit: 'MiB',
    baseline: 'the same for 256 MiB, same page and stack',
    ratioLabel: '2 GiB / 256 MiB',
    goal: heapGoal,
    judge: ({ value, baselineValue }) => baselineValue !== null && value - baselineValue <= FLAT_SLACK_BYTES / MIB && value <= limitMiB,
  });
  const ttfbSpec: FigureSpec = {
    id: 'ttfb.2g',
    item: 8,
    title: `pick → first part byte sent, 2 GiB → ${provider}`,
    unit: 'ms',
    baseline: 'the same for 256 MiB',
    ratioLabel: '2 GiB / 256 MiB',
    goal: `< ${TTFB_GOAL_MS} ms`,
    judge: ({ value }) => value < TTFB_GOAL_MS,
  };
  return [
    buildFigure(heapSpec('memory.page-heap', 'main thread'), runs.page, [`after a forced GC at the end: ${kept.join(', ')} MiB`, ...notes].join('; ')),
    buildFigure(heapSpec('memory.total-heap', 'main thread + workers'), runs.total, notes.join('; ')),
    buildFigure(ttfbSpec, runs.ttfb, [timelineNote(runs.ttfb), ...notes].join('; ')),
  ];
}
