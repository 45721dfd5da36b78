// Issue 7 item 5: the main thread during a 1 GiB upload through the element (the primary
// provider), pick to success, seen by a PerformanceObserver for `longtask` in the page (and
// `long-animation-frame` for attribution), against the same page sending a 256 MiB file with one raw XHR PUT (a page that does nothing but upload; its main
// thread is idle whatever the size, so the smaller file keeps the run inside its time budget).
import { MainThreadClock } from './bench-browser.js';
import type { BenchContext } from './bench-context.js';
import { buildFigure, unmeasured, type FigureRun, type FigureSpec } from './bench-figure.js';
import { THROUGHPUT_FILE_BYTES, throughputFileName } from './measure-throughput.js';
import { benchTarget, openBenchPage, pickIntoBenchInput, rawSend, uploadProblem, uploadThroughElement } from './bench-page-driver.js';
import type { BenchFigure } from './bench-result.js';
import { median } from './bench-stats.js';

/** The file size for this figure. */
export const MAIN_THREAD_FILE_BYTES = 2 ** 30;
/** A long task is ≥ 50 ms (Long Tasks API); the goal is to have none. */
export const LONG_TASK_MS = 50;

/**
 * Item 5: the longest main-thread task and the total long-task time while 1 GiB uploads.
 *
 * @example
 * const figures = await measureMainThread(ctx);
 */
export async function measureMainThread(ctx: BenchContext): Promise<BenchFigure[]> {
  const provider = ctx.primary;
  const longest: FigureSpec = {
    id: 'main-thread.longest-task',
    item: 5,
    title: `1 GiB through the element → ${provider}: longest main-thread task`,
    unit: 'ms',
    baseline: 'longest task while the same page sends 256 MiB with one raw XHR PUT',
    ratioLabel: 'ours / 50 ms',
    goal: `no task ≥ ${LONG_TASK_MS} ms`,
    judge: ({ value }) => value < LONG_TASK_MS,
  };
  const total: FigureSpec = {
    id: 'main-thread.long-task-total',
    item: 5,
    title: `1 GiB through the element → ${provider}: total long-task time`,
    unit: 'ms',
    baseline: 'total long-task time during the raw XHR PUT',
    ratioLabel: 'share of upload time',
    goal: '',
  };
  const file = await ctx.files.get('main-thread-1g.bin', MAIN_THREAD_FILE_BYTES);
  const runs = { longest: [] as FigureRun[], total: [] as FigureRun[] };
  /** Main-thread task time (CDP TaskDuration, wall) per GiB sent: ours, raw; ours' script and CPU time. */
  const busyPerGiB: { ours: number; raw: number; script: number; cpu: number }[] = [];
  /** Script time inside long animation frames, by invoker and function (LoAF attribution). */
  const culprits = new Map<string, number>();
  const notes: string[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const stack = await ctx.freshStack();
    const page = await openBenchPage((url) => ctx.chrome.open(url), stack);
    try {
      if (!(await page.evaluate(() => window.ccuBench.longTasksSupported()))) {
        return [unmeasured(longest, 'this Chromium reports no long tasks'), unmeasured(total, 'this Chromium reports no long tasks')];
      }
      await pickIntoBenchInput(page, await ctx.files.get(throughputFileName(rep), THROUGHPUT_FILE_BYTES));
      await page.evaluate(() => window.ccuBench.resetLongTasks());
      const rawClock = await MainThreadClock.start(page);
      const raw = await rawSend(page, `${stack.sinkUrl}/main-thread`);
      const rawBusy = await rawClock.read();
      const rawTasks = await page.evaluate(() => window.ccuBench.longTasks());
      await page.evaluate(() => window.ccuBench.resetLongTasks());
      const clock = await MainThreadClock.start(page);
      // To the end: the success render and the stored record's removal run on the main thread too.
      const outcome = await uploadThroughElement(page, { endpoint: `${stack.backendUrl}/`, provider, target: benchTarget(provider) }, file);
      const busy = await clock.read();
      const ours = await page.evaluate(() => window.ccuBench.longTasks());
      busyPerGiB.push({ ours: busy.taskMs / (file.size / 2 ** 30), raw: rawBusy.taskMs / (THROUGHPUT_FILE_BYTES / 2 ** 30), script: busy.scriptMs / (file.size / 2 ** 30), cpu: busy.cpuMs / (file.size / 2 ** 30) });
      for (const frame of await page.evaluate(() => window.ccuBench.longFrames())) {
        for (const script of frame.scripts) {
          const name = `${script.invoker || '?'} → ${script.sourceFunctionName || '(anonymous)'}`;
          culprits.set(name, (culprits.get(name) ?? 0) + script.duration);
        }
      }
      const why = uploadProblem(outcome, file);
      if (why !== null) notes.push(`rep ${rep + 1}: ${why}`);
      const ok = why === null;
      const duration = outcome.doneAt - outcome.pickedAt;
      runs.longest.push({ value: ok ? ours.longestMs : null, baseline: rawTasks.longestMs, ratio: ok ? ours.longestMs / LONG_TASK_MS : null, extra: { count: ours.count, rawCount: rawTasks.count } });
      runs.total.push({ value: ok ? ours.totalMs : null, baseline: rawTasks.totalMs, ratio: ok && duration > 0 ? ours.totalMs / duration : null, extra: { uploadMs: duration, rawMs: raw.ms } });
      ctx.log(`  main thread rep ${rep + 1}: ${ours.count} long tasks, longest ${ours.longestMs.toFixed(0)} ms (raw: ${rawTasks.count}, ${rawTasks.longestMs.toFixed(0)} ms)`);
    } finally {
      await page.close();
      await stack.stop();
    }
  }
  const counts = runs.longest.map((r) => r.extra?.['count']);
  const top = [...culprits.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([name, ms]) => `${name} ${Math.round(ms)} ms`);
  return [
    buildFigure(longest, runs.longest, [
      `long tasks per upload: ${counts.join(', ')}`,
      top.length > 0 ? `script time in long frames, all reps (LoAF): ${top.join(', ')}` : '',
      `main thread per GiB: tasks ${Math.round(median(busyPerGiB.map((b) => b.ours)) ?? 0)} ms wall, of which CPU ${Math.round(median(busyPerGiB.map((b) => b.cpu)) ?? 0)} ms and script ${Math.round(median(busyPerGiB.map((b) => b.script)) ?? 0)} ms (raw XHR: ${Math.round(median(busyPerGiB.map((b) => b.raw)) ?? 0)} ms of tasks)`,
      ...notes,
    ].filter((n) => n !== '').join('; ')),
    buildFigure(total, runs.total, notes.join('; ')),
  ];
}
