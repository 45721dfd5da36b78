// Issue 7 item 4: Feishu with the emulator's rate limit on (5 QPS per app, cloud-apis.md §1.8)
// and the backend's default pacing: the rate parts actually go at, against what is allowed:
// the documented ceiling of 5 requests/s × 4 MiB blocks = 20 MiB/s, or, when the relay itself
// is slower than that ("when latency allows"), the rate the same upload reaches with every
// limit off, measured just before in the same repetition. Feishu takes one part at a time.
import type { Page } from 'playwright-core';
import type { BenchContext } from './bench-context.js';
import { buildFigure, unmeasured, type FigureRun, type FigureSpec } from './bench-figure.js';
import { benchTarget, openBenchPage, uploadProblem, uploadThroughElement } from './bench-page-driver.js';
import type { BenchFile } from './bench-files.js';
import type { BenchFigure } from './bench-result.js';
import { median } from './bench-stats.js';

const MIB = 2 ** 20;
/** Feishu upload_part: 5 QPS (cloud-apis.md §1.8). */
export const FEISHU_DOCUMENTED_QPS = 5;
/** Feishu block size: 4 MiB (cloud-apis.md §1.4). */
export const FEISHU_BLOCK_BYTES = 4 * MIB;
/** 24 blocks: about 5 s at the ceiling, long enough that the bucket's initial burst hardly counts. */
const FILE_BYTES = 24 * FEISHU_BLOCK_BYTES;
const CEILING_MIBS = (FEISHU_DOCUMENTED_QPS * FEISHU_BLOCK_BYTES) / MIB;

const SPEC: FigureSpec = {
  id: 'feishu.rate',
  item: 4,
  title: 'Feishu, emulator rate limit on: part rate × block',
  unit: 'MiB/s',
  baseline: `what is allowed: the documented ceiling (${FEISHU_DOCUMENTED_QPS} QPS × 4 MiB = ${CEILING_MIBS} MiB/s), or the same upload with every limit off when that is slower`,
  ratioLabel: 'achieved / allowed',
  goal: '≥ 0.95×',
  judge: ({ ratio }) => ratio !== null && ratio >= 0.95,
};

/** Blocks per second between the first and the last of `times` (no fencepost), as MiB/s. */
function blockRate(times: readonly number[]): number | null {
  const first = times[0];
  const last = times[times.length - 1];
  return first !== undefined && last !== undefined && last > first ? ((times.length - 1) * FEISHU_BLOCK_BYTES) / MIB / ((last - first) / 1000) : null;
}

/** When each upload_part arrived at the emulator (its clock, ms), in order: the provider's view of the rate. */
async function partArrivals(emulatorUrl: string): Promise<number[]> {
  const response = await fetch(`${emulatorUrl}/__emulator/log?route=${encodeURIComponent('feishu.*.upload_part')}`);
  if (!response.ok) throw new Error(`emulator log: HTTP ${response.status}`);
  const { entries } = (await response.json()) as { entries: { at: number; status: number }[] };
  return entries.filter((e) => e.status === 200).map((e) => e.at).sort((a, b) => a - b);
}

/**
 * The part rate of one upload as the provider sees it (upload_part arrivals logged by the
 * emulator, since the backend's pacing queue may hold a part the browser has started), plus
 * the rate of the browser's own part starts.
 */
async function partRate(page: Page, endpoint: string, emulatorUrl: string, file: BenchFile): Promise<{ rate: number | null; clientRate: number | null; problem: string | null; retries: number | null; gaps: number[] }> {
  await fetch(`${emulatorUrl}/__emulator/log`, { method: 'DELETE' });
  const outcome = await uploadThroughElement(page, { endpoint, provider: 'feishu', target: benchTarget('feishu') }, file);
  const problem = uploadProblem(outcome, file);
  const arrivals = await partArrivals(emulatorUrl);
  const rate = problem === null ? blockRate(arrivals) : null;
  const clientRate = problem === null ? blockRate(outcome.partStarts) : null;
  const gaps = arrivals.slice(1).map((t, i) => t - (arrivals[i] ?? t));
  return { rate, clientRate, problem, retries: outcome.counters?.retries ?? null, gaps };
}

/**
 * Item 4: the achieved Feishu part rate against 5 QPS × 4 MiB (or the relay's own speed).
 *
 * @example
 * const figures = await measureFeishuRate(ctx);
 */
export async function measureFeishuRate(ctx: BenchContext): Promise<BenchFigure[]> {
  if (!ctx.providers.includes('feishu')) return [unmeasured(SPEC, 'no browser client for feishu in this build')];
  const file = await ctx.files.get('feishu-96m.bin', FILE_BYTES);
  const stack = await ctx.sharedStack();
  const page = await openBenchPage((url) => ctx.chrome.open(url), stack);
  const runs: FigureRun[] = [];
  const notes: string[] = [];
  /** min/median/max ms between upload_part arrivals with the limit on, per repetition. */
  const gapSummaries: string[] = [];
  try {
    for (let rep = 0; rep < ctx.reps; rep++) {
      await stack.setFeishuRateLimit(false);
      const free = await partRate(page, `${stack.backendUrl}/`, stack.emulatorUrl, file);
      await stack.setFeishuRateLimit(true);
      const limited = await partRate(page, `${stack.pacedBackendUrl}/`, stack.emulatorUrl, file);
      for (const [what, r] of [['unlimited', free], ['limited', limited]] as const) if (r.problem !== null) notes.push(`rep ${rep + 1} ${what}: ${r.problem}`);
      const allowed = free.rate === null ? null : Math.min(CEILING_MIBS, free.rate);
      const sorted = [...limited.gaps].sort((a, b) => a - b);
      gapSummaries.push(`${Math.round(sorted[0] ?? 0)}/${Math.round(median(sorted) ?? 0)}/${Math.round(sorted[sorted.length - 1] ?? 0)}`);
      runs.push({ value: limited.rate, baseline: allowed, extra: { unlimitedMiBs: free.rate, clientStartMiBs: limited.clientRate, retries: limited.retries, medianGapMs: median(sorted) } });
      ctx.log(`  feishu rate rep ${rep + 1}: ${limited.rate?.toFixed(2) ?? '—'} MiB/s limited at the emulator (${limited.clientRate?.toFixed(2) ?? '—'} from the browser's part starts); ${free.rate?.toFixed(2) ?? '—'} MiB/s unlimited; ceiling ${CEILING_MIBS}`);
    }
  } finally {
    await stack.setFeishuRateLimit(false).catch(() => undefined);
    await page.close();
  }
  const free = runs.map((r) => r.extra?.['unlimitedMiBs']).filter((v): v is number => typeof v === 'number');
  const retries = runs.map((r) => r.extra?.['retries']).filter((v): v is number => typeof v === 'number');
  const clientRates = runs.map((r) => r.extra?.['clientStartMiBs']).filter((v): v is number => typeof v === 'number');
  const limitedBy = free.length > 0 && Math.max(...free) < CEILING_MIBS ? `the relay itself (${free.map((v) => v.toFixed(1)).join(', ')} MiB/s with every limit off) is below the ceiling: latency does not allow 20 MiB/s here` : 'the ceiling';
  return [buildFigure(SPEC, runs, [
    `${FILE_BYTES / FEISHU_BLOCK_BYTES} parts per upload; allowed = ${limitedBy}; rate = upload_part arrivals at the emulator; ms between arrivals (min/median/max): ${gapSummaries.join(', ')} (the pace is ${1000 / FEISHU_DOCUMENTED_QPS} ms + the backend's margin); from the browser's part starts instead: ${clientRates.map((v) => v.toFixed(2)).join(', ') || '—'} MiB/s; rate-limited answers retried: ${retries.join(', ') || '—'}`,
    ...notes,
  ].join('; '))];
}
