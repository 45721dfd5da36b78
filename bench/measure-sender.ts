// "Make it fast" (issue 7): what sending part bodies from the element's body worker (design C,
// WorkerBodySender, the product's default) changes against XHR in the page (its fallback), both
// through the real element in the same page and repetition, alternating which goes first:
// 256 MiB to the primary provider, the parts phase's MiB/s and the page's main-thread CPU time
// (CDP ThreadTime) per GiB over the whole upload, pick to success.
import { MainThreadClock } from './bench-browser.js';
import type { BenchContext } from './bench-context.js';
import { buildFigure, type FigureRun, type FigureSpec } from './bench-figure.js';
import { benchTarget, openBenchPage, uploadProblem, uploadThroughElement } from './bench-page-driver.js';
import type { BenchFigure } from './bench-result.js';
import { mibPerSec } from './bench-stats.js';
import { THROUGHPUT_FILE_BYTES, throughputFileName } from './measure-throughput.js';
import type { MountOptions } from './page/bench-page-api.js';

const GIB = 2 ** 30;

type Path = NonNullable<MountOptions['bodySender']>;

/**
 * The sender experiment: parts-phase MiB/s and main-thread CPU per GiB, worker sender vs page XHR.
 *
 * @example
 * const figures = await measureSender(ctx);
 */
export async function measureSender(ctx: BenchContext): Promise<BenchFigure[]> {
  const provider = ctx.primary;
  const speedSpec: FigureSpec = {
    id: 'sender.parts-phase',
    item: 0,
    title: `send from the body worker (product) vs XHR in the page: 256 MiB → ${provider}, parts phase`,
    unit: 'MiB/s',
    baseline: 'the same upload with the sender\'s main-thread fallback, same page and repetition',
    ratioLabel: 'worker / page',
    goal: '',
  };
  const cpuSpec: FigureSpec = {
    id: 'sender.main-thread-cpu',
    item: 0,
    title: `send from the body worker (product) vs XHR in the page: 256 MiB → ${provider}, main-thread CPU per GiB`,
    unit: 'ms',
    baseline: 'the same upload with the sender\'s main-thread fallback, same page and repetition',
    ratioLabel: 'worker / page',
    goal: '',
  };
  const runs = { speed: [] as FigureRun[], cpu: [] as FigureRun[] };
  const notes: string[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const file = await ctx.files.get(throughputFileName(rep), THROUGHPUT_FILE_BYTES);
    const stack = await ctx.freshStack();
    const page = await openBenchPage((url) => ctx.chrome.open(url), stack);
    const measured = new Map<Path, { speed: number | null; cpuPerGiB: number | null; viaWorker: number }>();
    try {
      // Alternating which goes first, so neither always meets a warmer disk cache or a busier emulator.
      const order: Path[] = rep % 2 === 0 ? ['main-thread', 'worker'] : ['worker', 'main-thread'];
      for (const path of order) {
        const clock = await MainThreadClock.start(page);
        const outcome = await uploadThroughElement(page, { endpoint: `${stack.backendUrl}/`, provider, target: benchTarget(provider), bodySender: path }, file);
        const busy = await clock.read();
        const viaWorker = (await page.evaluate(() => window.ccuBench.net())).filter((e) => e.via === 'worker' && e.bytes > 0).length;
        const why = uploadProblem(outcome, file);
        if (why !== null) notes.push(`rep ${rep + 1} ${path}: ${why}`);
        const ok = why === null && outcome.firstByteAt !== null && outcome.partsDoneAt !== null;
        measured.set(path, {
          speed: ok ? mibPerSec(file.size, outcome.partsDoneAt! - outcome.firstByteAt!) : null,
          cpuPerGiB: ok ? busy.cpuMs / (file.size / GIB) : null,
          viaWorker,
        });
      }
    } finally {
      await page.close();
      await stack.stop();
    }
    const worker = measured.get('worker');
    const main = measured.get('main-thread');
    runs.speed.push({ value: worker?.speed ?? null, baseline: main?.speed ?? null, extra: { viaWorker: worker?.viaWorker ?? null, viaWorkerInBaseline: main?.viaWorker ?? null } });
    runs.cpu.push({ value: worker?.cpuPerGiB ?? null, baseline: main?.cpuPerGiB ?? null });
    ctx.log(`  sender rep ${rep + 1}: worker ${worker?.speed?.toFixed(0) ?? '—'} MiB/s, ${worker?.cpuPerGiB?.toFixed(0) ?? '—'} ms CPU/GiB (${worker?.viaWorker ?? 0} parts via the worker); page ${main?.speed?.toFixed(0) ?? '—'} MiB/s, ${main?.cpuPerGiB?.toFixed(0) ?? '—'} ms CPU/GiB (${main?.viaWorker ?? 0} via the worker)`);
  }
  return [buildFigure(speedSpec, runs.speed, notes.join('; ')), buildFigure(cpuSpec, runs.cpu, notes.join('; '))];
}
