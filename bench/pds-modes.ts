// PDS upload modes through the demo page, in one run: a file dropped on <cloud-chunk-uploader>
// in headless Chromium goes to the PDS emulator (1) in parallel parts with SHA-1 contexts,
// (2) in serial mode (the emulator refuses parallel uploads, so the backend falls back), and
// (3) again by rapid upload (the content of run 1, so no part is sent).
//
//   node --import tsx bench/pds-modes.ts [sizeMiB=96] [runs=3] [partLatencyMs=0]
//
// partLatencyMs > 0 makes storage hold every part PUT that long before handling it (the
// emulator's latency fault), a stand-in for a real network's round trip: on loopback with
// two cores the CPU, not the network, bounds both modes, so this is where parallel shows.
//
// The stack is `npm start` itself (emulator + backend + Vite) on free ports. Each upload gets
// a fresh page; its time is the engine's own, from `queued` to `done` in the upload's history
// (page clock). Every stored file is downloaded and checked by SHA-1 (not timed), and each
// mode is checked for what it claims: ≥ 2 part PUTs at once in parallel mode, never more
// than 1 in serial mode, none for rapid upload. Parts are the backend's default 10 MiB;
// the element's default concurrency (3). MiB/s = 2^20 bytes per second.
import { launchChromium } from '../test/e2e/support/browser.js';
import { startDemoStack, type DemoStack } from '../test/e2e/support/demo-stack.js';
import { dropFile, waitForUpload } from '../test/e2e/support/demo-page.js';
import { makeRandomFile, type TestFile } from '../test/e2e/support/files.js';
import { choosePds, downloadPdsFile, maxOpenPartPuts, pdsStackEnv, setFaults, setPdsSettings, watchPartPuts } from '../test/e2e/support/pds.js';
import type { Browser } from 'playwright-core';
import { median, mibPerSec, round } from './bench-stats.js';

const MIB = 1024 * 1024;
type Mode = 'parallel' | 'serial' | 'rapid';

interface Sample {
  mode: Mode;
  run: number;
  ms: number;
  /** Time in each status on the way (ms): preparing (hashing, create), uploading, completing. */
  phases: Record<string, number>;
  /** Most part PUTs open at once, and all part PUTs sent. */
  maxOpen: number;
  puts: number;
}

/** Upload `file` through a fresh demo page with PDS chosen; checks the stored bytes. */
async function upload(stack: DemoStack, browser: Browser, file: TestFile, mode: Mode, run: number): Promise<Sample> {
  const page = await browser.newPage();
  try {
    await watchPartPuts(page);
    await page.goto(stack.pageUrl);
    await choosePds(page);
    await dropFile(page, file.path);
    const done = await waitForUpload(page, "u.status === 'done' || u.status === 'failed'", 120_000);
    if (done.status !== 'done') throw new Error(`${mode} upload failed: ${JSON.stringify(done.error)}`);
    if ((done.result?.rapid === true) !== (mode === 'rapid')) throw new Error(`${mode} upload: rapid is ${String(done.result?.rapid)}`);
    const queued = done.history.find((h) => h.status === 'queued')?.at;
    const finished = done.history.findLast((h) => h.status === 'done')?.at;
    if (queued === undefined || finished === undefined) throw new Error('history lacks queued/done');
    const phases: Record<string, number> = {};
    done.history.forEach((entry, i) => {
      const next = done.history[i + 1];
      if (next !== undefined) phases[entry.status] = (phases[entry.status] ?? 0) + next.at - entry.at;
    });
    const { max, total } = await maxOpenPartPuts(page);
    const stored = await downloadPdsFile(stack.emulatorUrl, done.result?.fileId ?? '');
    if (stored.sha1 !== file.sha1 || stored.size !== file.size) throw new Error(`${mode}: the stored file differs from the original`);
    if (mode === 'parallel' && max < 2) throw new Error('parallel mode never had two parts in flight');
    if (mode === 'serial' && max !== 1) throw new Error(`serial mode had ${max} parts in flight`);
    if (mode === 'rapid' && total !== 0) throw new Error(`rapid upload sent ${total} part PUTs`);
    return { mode, run, ms: finished - queued, phases, maxOpen: max, puts: total };
  } finally {
    await page.close();
  }
}

async function main(sizeMiB: number, runs: number, partLatencyMs: number): Promise<void> {
  const size = Math.round(sizeMiB * MIB);
  const [stack, browser] = await Promise.all([startDemoStack(pdsStackEnv()), launchChromium()]);
  const samples: Sample[] = [];
  try {
    if (partLatencyMs > 0) await setFaults(stack.emulatorUrl, { routes: { 'pds.oss.put_part': { latencyMs: partLatencyMs } } });
    for (let run = 1; run <= runs; run += 1) {
      // Fresh random content per run and mode, so nothing but the rapid upload finds a match.
      const [parallelFile, serialFile] = await Promise.all([
        makeRandomFile(size, `pds-bench-parallel-${run}.bin`),
        makeRandomFile(size, `pds-bench-serial-${run}.bin`),
      ]);
      try {
        samples.push(await upload(stack, browser, parallelFile, 'parallel', run));
        await setPdsSettings(stack.emulatorUrl, { parallelUpload: false });
        try {
          samples.push(await upload(stack, browser, serialFile, 'serial', run));
        } finally {
          await setPdsSettings(stack.emulatorUrl, { parallelUpload: true });
        }
        samples.push(await upload(stack, browser, parallelFile, 'rapid', run));
      } finally {
        await Promise.all([parallelFile.remove(), serialFile.remove()]);
      }
    }
  } finally {
    await browser.close();
    await stack.stop();
  }

  const rows = (['parallel', 'serial', 'rapid'] as const).map((mode) => {
    const mine = samples.filter((s) => s.mode === mode);
    const ms = median(mine.map((s) => s.ms));
    return {
      mode,
      'median s': round(ms === null ? null : ms / 1000, 2),
      'MiB/s': mode === 'rapid' || ms === null ? '—' : round(mibPerSec(size, ms), 1),
      'runs (s)': mine.map((s) => (s.ms / 1000).toFixed(2)).join(' / '),
      'preparing / uploading / completing (median s)': (['preparing', 'uploading', 'completing'] as const)
        .map((phase) => (median(mine.map((s) => s.phases[phase] ?? 0)) ?? 0) / 1000)
        .map((v) => v.toFixed(2)).join(' / '),
      'max parts in flight': Math.max(...mine.map((s) => s.maxOpen)),
      'part PUTs': mine.map((s) => s.puts).join(' / '),
    };
  });
  const latency = partLatencyMs > 0 ? `, storage holds each part PUT ${partLatencyMs} ms` : '';
  console.log(`pds-modes: ${sizeMiB} MiB through the demo page in headless Chromium → backend → PDS emulator (10 MiB parts, concurrency 3${latency}), ${runs} run(s), MiB/s = 2^20 B/s`);
  console.table(rows);
  console.log(JSON.stringify({ bench: 'pds-modes', node: process.version, sizeMiB, runs, partLatencyMs, samples }));
}

const [sizeArg, runsArg, latencyArg] = process.argv.slice(2).map(Number);
await main(
  sizeArg !== undefined && sizeArg > 0 ? sizeArg : 96,
  runsArg !== undefined && runsArg >= 1 ? Math.floor(runsArg) : 3,
  latencyArg !== undefined && latencyArg > 0 ? latencyArg : 0,
);
