// "Make it fast" (issue 7): the send design. Each sends the same file to the bench sink with
// MD5 per 4 MiB part (S3's default checksum) and 3 parts in flight, in the same page and
// repetition, with the page's main-thread CPU time (CDP ThreadTime) for each:
// - A (ours today): the hash pool reads each part to hash it; the main thread's XHR sends
//   `file.slice()`, which the browser reads again from disk itself;
// - B: a worker reads each part once into memory, hashes it and sends those bytes (its own XHR):
//   each byte leaves the disk once;
// - C: A moved into the worker: it hashes, then sends `file.slice()` with its own XHR, so the
//   main thread does nothing per part.
// - D (adopted in the product): A with the product's WorkerBodySender, a small worker of its own
//   that only sends `file.slice()`, beside the hash pool that only hashes. Against C it says
//   whether sending needs to live in the hash workers.
// A raw single PUT of the file gives the scale.
import { MainThreadClock } from './bench-browser.js';
import type { BenchContext } from './bench-context.js';
import { buildFigure, type FigureRun, type FigureSpec } from './bench-figure.js';
import { openBenchPage, pickIntoBenchInput, rawSend } from './bench-page-driver.js';
import type { BenchFigure } from './bench-result.js';
import { median, mibPerSec } from './bench-stats.js';
import type { Timed } from './page/bench-page-api.js';

const MIB = 2 ** 20;
/** Small on purpose: design B is slow in this Chromium (an in-memory body crosses to the network process in small pieces). */
export const SEND_DESIGN_FILE_BYTES = 16 * MIB;
const PART_BYTES = 4 * MIB;
const IN_FLIGHT = 3;
const WORKERS = 2;

const A_SPEC: FigureSpec = {
  id: 'design.two-read',
  item: 0,
  title: 'send design A (ours): hash pool MD5 + main-thread XHR of file.slice(), 3 in flight',
  unit: 'MiB/s',
  baseline: 'one raw XHR PUT of the file (no hashing, no parts)',
  ratioLabel: 'A / raw',
  goal: '',
};
const B_SPEC: FigureSpec = {
  id: 'design.read-once',
  item: 0,
  title: 'send design B: a worker reads a part once, hashes (MD5) and sends the same bytes',
  unit: 'MiB/s',
  baseline: 'design A, same repetition',
  ratioLabel: 'B / A',
  goal: '',
};
const C_SPEC: FigureSpec = {
  id: 'design.worker-slice',
  item: 0,
  title: 'send design C: A moved into a worker (hash, then XHR of file.slice() there)',
  unit: 'MiB/s',
  baseline: 'design A, same repetition',
  ratioLabel: 'C / A',
  goal: '',
};

const D_SPEC: FigureSpec = {
  id: 'design.body-worker',
  item: 0,
  title: 'send design D (the product now): hash pool MD5 + WorkerBodySender, its own worker sending file.slice()',
  unit: 'MiB/s',
  baseline: 'design C, same repetition',
  ratioLabel: 'D / C',
  goal: '',
};

/**
 * The send-design experiment: MiB/s of designs A, B, C and D, and the main thread's CPU time.
 *
 * @example
 * const figures = await measureSendDesign(ctx);
 */
export async function measureSendDesign(ctx: BenchContext): Promise<BenchFigure[]> {
  const file = await ctx.files.get('design-16m.bin', SEND_DESIGN_FILE_BYTES);
  const stack = await ctx.sharedStack();
  const page = await openBenchPage((url) => ctx.chrome.open(url), stack);
  const runs = { a: [] as FigureRun[], b: [] as FigureRun[], c: [] as FigureRun[], d: [] as FigureRun[] };
  const busy = { a: [] as number[], b: [] as number[], c: [] as number[], d: [] as number[] };
  const dOverA: number[] = [];
  const timed = async (key: keyof typeof busy, run: () => Promise<Timed>): Promise<number | null> => {
    const clock = await MainThreadClock.start(page);
    const result = await run();
    busy[key].push((await clock.read()).cpuMs);
    return result.bytes === file.size ? mibPerSec(result.bytes, result.ms) : null;
  };
  try {
    await pickIntoBenchInput(page, file);
    for (let rep = 0; rep < ctx.reps; rep++) {
      const raw = mibPerSec(file.size, (await rawSend(page, `${stack.sinkUrl}/design-raw`)).ms);
      const a = await timed('a', () => page.evaluate(([url, part, n]) => window.ccuBench.twoReadUpload(url, part, n), [stack.sinkUrl, PART_BYTES, IN_FLIGHT] as const));
      const b = await timed('b', () => page.evaluate(([url, part, n, w]) => window.ccuBench.workerUpload(url, part, n, w, 'bytes'), [stack.sinkUrl, PART_BYTES, IN_FLIGHT, WORKERS] as const));
      const c = await timed('c', () => page.evaluate(([url, part, n, w]) => window.ccuBench.workerUpload(url, part, n, w, 'slice'), [stack.sinkUrl, PART_BYTES, IN_FLIGHT, WORKERS] as const));
      const d = await timed('d', () => page.evaluate(([url, part, n]) => window.ccuBench.twoReadUpload(url, part, n, 'body-worker'), [stack.sinkUrl, PART_BYTES, IN_FLIGHT] as const));
      runs.a.push({ value: a, baseline: raw });
      runs.d.push({ value: d, baseline: c });
      if (a !== null && d !== null) dOverA.push(d / a);
      runs.b.push({ value: b, baseline: a });
      runs.c.push({ value: c, baseline: a });
      ctx.log(`  design rep ${rep + 1}: A ${a?.toFixed(0) ?? '—'}, B ${b?.toFixed(1) ?? '—'}, C ${c?.toFixed(0) ?? '—'}, D ${d?.toFixed(0) ?? '—'} MiB/s; raw ${raw?.toFixed(0) ?? '—'} MiB/s`);
    }
  } finally {
    await page.close();
  }
  const ms = (values: number[]): string => `${Math.round(median(values) ?? 0)} ms`;
  const shape = `${SEND_DESIGN_FILE_BYTES / MIB} MiB file, ${PART_BYTES / MIB} MiB parts, ${IN_FLIGHT} in flight`;
  return [
    buildFigure(A_SPEC, runs.a, `${shape}; main-thread CPU ${ms(busy.a)}`),
    buildFigure(B_SPEC, runs.b, `${shape}, ${WORKERS} workers; main-thread CPU ${ms(busy.b)} (A: ${ms(busy.a)})`),
    buildFigure(C_SPEC, runs.c, `${shape}, ${WORKERS} workers; main-thread CPU ${ms(busy.c)} (A: ${ms(busy.a)})`),
    buildFigure(D_SPEC, runs.d, `${shape}, hash pool + 1 sending worker; main-thread CPU ${ms(busy.d)} (A: ${ms(busy.a)}, C: ${ms(busy.c)}); D / A ${median(dOverA)?.toFixed(2) ?? '—'}`),
  ];
}
