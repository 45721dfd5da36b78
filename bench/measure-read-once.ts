// "Make it fast" (issue 7): is reading each byte once cheaper than reading it twice? Two
// designs send the same file to the bench sink with MD5 per 4 MiB part (S3's default checksum)
// and 3 parts in flight, in the same page and repetition:
// - A (ours today): the hash pool reads each part to hash it; the main thread's XHR sends
//   `file.slice()`, which the browser reads again from disk itself;
// - B: a worker reads each part once into memory, hashes it and sends those bytes (XHR in the worker).
// A raw single PUT of the file is measured too, for scale.
import type { BenchContext } from './bench-context.js';
import { buildFigure, type FigureRun, type FigureSpec } from './bench-figure.js';
import { openBenchPage, pickIntoBenchInput, rawSend } from './bench-page-driver.js';
import type { BenchFigure } from './bench-result.js';
import { mibPerSec } from './bench-stats.js';

const MIB = 2 ** 20;
/** Small on purpose: design B is slow in this Chromium (an in-memory body crosses to the network process in small pieces). */
export const READ_ONCE_FILE_BYTES = 16 * MIB;
const PART_BYTES = 4 * MIB;
const IN_FLIGHT = 3;
const WORKERS = 2;

const SPEC: FigureSpec = {
  id: 'design.read-once',
  item: 0,
  title: 'send design B: a worker reads a part once, hashes (MD5) and sends the same bytes',
  unit: 'MiB/s',
  baseline: 'design A (ours): hash pool reads to hash, main-thread XHR sends file.slice()',
  ratioLabel: 'B / A',
  goal: '',
};

const RAW_SPEC: FigureSpec = {
  id: 'design.two-read',
  item: 0,
  title: 'send design A (ours): hash pool MD5 + main-thread XHR of file.slice(), 3 in flight',
  unit: 'MiB/s',
  baseline: 'one raw XHR PUT of the file (no hashing, no parts)',
  ratioLabel: 'A / raw',
  goal: '',
};

/**
 * The send-design experiment: MiB/s of design B and of design A, and their ratio.
 *
 * @example
 * const figures = await measureReadOnce(ctx);
 */
export async function measureReadOnce(ctx: BenchContext): Promise<BenchFigure[]> {
  const file = await ctx.files.get('design-16m.bin', READ_ONCE_FILE_BYTES);
  const stack = await ctx.sharedStack();
  const page = await openBenchPage((url) => ctx.chrome.open(url), stack);
  const runs = { once: [] as FigureRun[], two: [] as FigureRun[] };
  try {
    await pickIntoBenchInput(page, file);
    for (let rep = 0; rep < ctx.reps; rep++) {
      const raw = mibPerSec(file.size, (await rawSend(page, `${stack.sinkUrl}/design-raw`)).ms);
      const a = await page.evaluate(([url, part, n]) => window.ccuBench.twoReadUpload(url, part, n), [stack.sinkUrl, PART_BYTES, IN_FLIGHT] as const);
      const b = await page.evaluate(([url, part, n, w]) => window.ccuBench.readOnceUpload(url, part, n, w), [stack.sinkUrl, PART_BYTES, IN_FLIGHT, WORKERS] as const);
      const aMiBs = a.bytes === file.size ? mibPerSec(a.bytes, a.ms) : null;
      const bMiBs = b.bytes === file.size ? mibPerSec(b.bytes, b.ms) : null;
      runs.two.push({ value: aMiBs, baseline: raw });
      runs.once.push({ value: bMiBs, baseline: aMiBs });
      ctx.log(`  design rep ${rep + 1}: A ${aMiBs?.toFixed(0) ?? '—'} MiB/s, B ${bMiBs?.toFixed(1) ?? '—'} MiB/s, raw ${raw?.toFixed(0) ?? '—'} MiB/s`);
    }
  } finally {
    await page.close();
  }
  return [
    buildFigure(RAW_SPEC, runs.two, `${READ_ONCE_FILE_BYTES / MIB} MiB file, ${PART_BYTES / MIB} MiB parts`),
    buildFigure(SPEC, runs.once, `${READ_ONCE_FILE_BYTES / MIB} MiB file; ${WORKERS} workers, ${IN_FLIGHT} parts in flight`),
  ];
}
