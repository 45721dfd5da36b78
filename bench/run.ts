// `npm run bench` (issue 7): every browser benchmark, each beside its baseline, in headless
// Chromium against the local emulators. Writes bench/results/latest.json and latest.md and
// prints the table. It never fails on a number; it exits non-zero only when it cannot run.
//
//   npm run bench                         all figures, 3 repetitions
//   npm run bench -- --only=hash,bundle   some measurements (names below; s3-options only runs when named)
//   npm run bench -- --reps=5             more repetitions (fewer than 3 only to try the harness)
//   npm run bench -- --budget-min=10      time budget: later measurements are skipped once it runs out
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isProviderName, type ProviderName } from '../src/core/index.js';
import { launchBenchBrowser, type BenchBrowser } from './bench-browser.js';
import type { BenchContext } from './bench-context.js';
import { unmeasured } from './bench-figure.js';
import { createBenchFiles, type BenchFiles } from './bench-files.js';
import type { BenchFigure, BenchReport } from './bench-result.js';
import { startBenchStack, type BenchStack } from './bench-stack.js';
import { buildBenchPages } from './build-pages.js';
import { measureBundle } from './measure-bundle.js';
import { measureFeishuRate } from './measure-feishu-rate.js';
import { measureHashing } from './measure-hashing.js';
import { measureMainThread } from './measure-main-thread.js';
import { measureMemory } from './measure-memory.js';
import { measureSendDesign } from './measure-send-design.js';
import { measureSender } from './measure-sender.js';
import { measureResume } from './measure-resume.js';
import { measureS3Options } from './measure-s3-options.js';
import { measureThroughput } from './measure-throughput.js';
import { measureUppy } from './measure-uppy.js';
import { resultsTable } from './results-table.js';

/** The floor: a median of at least 3. */
const MIN_REPETITIONS = 3;
/** The ceiling for the whole run on a 2-core machine. */
const DEFAULT_BUDGET_MIN = 10;
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

interface Measurement {
  name: string;
  /** Issue 7 item(s), for the row written when it cannot run. */
  item: number;
  title: string;
  /** Rough wall time on this machine (s); skipped when less than this is left. */
  estimateSec: number;
  /** Experiments run only when named in --only. */
  optIn?: boolean;
  run: (ctx: BenchContext) => Promise<BenchFigure[]>;
}

/** In the order they run: cheap and independent first, the multi-GiB ones after. */
const MEASUREMENTS: readonly Measurement[] = [
  { name: 'bundle', item: 9, title: 'bundle sizes', estimateSec: 10, run: measureBundle },
  { name: 'hash', item: 1, title: 'hashing vs reading, 512 MiB', estimateSec: 80, run: measureHashing },
  { name: 'throughput', item: 2, title: 'end-to-end throughput, 256 MiB', estimateSec: 100, run: measureThroughput },
  { name: 'uppy', item: 3, title: 'S3 with 50 ms latency vs Uppy 6', estimateSec: 60, run: measureUppy },
  { name: 'feishu-rate', item: 4, title: 'Feishu rate vs 5 QPS × 4 MiB', estimateSec: 25, run: measureFeishuRate },
  { name: 'main-thread', item: 5, title: 'long tasks during 1 GiB', estimateSec: 60, run: measureMainThread },
  { name: 'memory', item: 6, title: 'heap 256 MiB vs 2 GiB, and first byte', estimateSec: 90, run: measureMemory },
  { name: 'resume', item: 7, title: 'resume after a reload at 50 %', estimateSec: 50, run: measureResume },
  { name: 'design', item: 0, title: 'send designs: two reads, read once, worker sends', estimateSec: 25, run: measureSendDesign },
  { name: 'sender', item: 0, title: 'body worker vs XHR in the page, through the element', estimateSec: 45, run: measureSender },
  { name: 's3-options', item: 0, title: 'S3 knobs: part checksum and part size', estimateSec: 120, run: measureS3Options, optIn: true },
];

function arg(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const t0 = Date.now();
  const loadAvgStart = loadavg();
  // Fewer than 3 only for trying the harness out; the table says how many were run.
  const reps = Math.max(1, Math.floor(Number(arg('reps') ?? MIN_REPETITIONS)) || MIN_REPETITIONS);
  const budgetMs = (Number(arg('budget-min') ?? DEFAULT_BUDGET_MIN) || DEFAULT_BUDGET_MIN) * 60_000;
  const only = arg('only')?.split(',').map((s) => s.trim());
  const selected = MEASUREMENTS.filter((m) => (only === undefined ? m.optIn !== true : only.includes(m.name)));
  const unknown = only?.filter((name) => !MEASUREMENTS.some((m) => m.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown measurement(s) ${unknown.join(', ')}; known: ${MEASUREMENTS.map((m) => m.name).join(', ')}`);

  log(`bench: building pages (vite build), ${reps} repetitions, budget ${budgetMs / 60_000} min`);
  const { outDir: pageDir } = await buildBenchPages('measure');
  let files: BenchFiles | undefined;
  let chrome: BenchBrowser | undefined;
  let shared: Promise<BenchStack> | undefined;
  const figures: BenchFigure[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> => (cleaning ??= (async () => {
    await chrome?.close().catch(() => undefined);
    await shared?.then((s) => s.stop()).catch(() => undefined);
    await files?.remove().catch(() => undefined);
    await rm(pageDir, { recursive: true, force: true });
  })());
  // Ctrl-C must not leave gigabytes of inputs in the temp dir.
  process.once('SIGINT', () => {
    log('bench: interrupted; removing the inputs');
    void cleanUp().finally(() => process.exit(130));
  });
  try {
    files = await createBenchFiles();
    chrome = await launchBenchBrowser();
    const sharedStack = (): Promise<BenchStack> => (shared ??= startBenchStack(pageDir));
    const probe = await chrome.open(`${(await sharedStack()).pageUrl}/index.html`);
    const providers = (await probe.evaluate(() => window.ccuBench.providers())).filter(isProviderName);
    await probe.close();
    const primary: ProviderName = (['s3', 'pds', 'feishu'] as const).find((p) => providers.includes(p)) ?? 'feishu';
    log(`bench: Chromium ${chrome.version}; providers with a browser client: ${providers.join(', ')}; primary: ${primary}`);
    const ctx: BenchContext = {
      reps,
      files,
      pageDir,
      chrome,
      sharedStack,
      freshStack: (options) => startBenchStack(pageDir, options),
      providers,
      primary,
      log,
      remainingMs: () => budgetMs - (Date.now() - t0),
    };
    for (const m of selected) {
      const fallback = { id: `${m.name}.not-run`, item: m.item, title: m.title, unit: '', baseline: '—', goal: '' };
      if (ctx.remainingMs() < m.estimateSec * 1000) {
        figures.push(unmeasured(fallback, `the run's ${budgetMs / 60_000} min budget had ${Math.round(ctx.remainingMs() / 1000)} s left, this takes ~${m.estimateSec} s`));
        log(`bench: ${m.name} skipped (time budget)`);
        continue;
      }
      const started = Date.now();
      log(`bench: ${m.name} (${m.title})`);
      try {
        figures.push(...(await m.run(ctx)));
      } catch (error) {
        log(`bench: ${m.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        figures.push(unmeasured(fallback, `the measurement failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`));
      }
      log(`bench: ${m.name} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    await cleanUp();
  }

  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    durationSec: (Date.now() - t0) / 1000,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      totalMemGiB: Math.round(totalmem() / 2 ** 30),
      loadAvgStart,
      loadAvgEnd: loadavg(),
      node: process.version,
      chromium: chrome?.version ?? 'unknown',
    },
    repetitions: reps,
    figures: [...figures].sort((a, b) => (a.item === 0 ? 99 : a.item) - (b.item === 0 ? 99 : b.item)),
  };
  const table = resultsTable(report);
  await mkdir(RESULTS_DIR, { recursive: true });
  // Written beside and renamed, so a reader never sees half a file (*.tmp is git-ignored).
  for (const [name, body] of [['latest.json', `${JSON.stringify(report, null, 2)}\n`], ['latest.md', table]] as const) {
    await writeFile(`${RESULTS_DIR}${name}.tmp`, body);
    await rename(`${RESULTS_DIR}${name}.tmp`, `${RESULTS_DIR}${name}`);
  }
  process.stdout.write(`\n${table}`);
  log(`bench: wrote bench/results/latest.json and latest.md in ${report.durationSec.toFixed(0)} s`);
}

main().catch((error: unknown) => {
  log(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
