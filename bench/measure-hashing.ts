// Issue 7 item 1: hashing a 512 MiB disk file (picked through a file input) in the product's
// hash pool, against reading the same slices in the same worker shape with no hashing, in the
// same repetition. Parallel part checksums (Adler-32, MD5, CRC-32) run on the pool's workers;
// the SHA-1 kinds (streaming whole-file SHA-1 with its state saved per part, PDS sha1-ctx, COS
// datasha) are one sequential SHA-1 on one worker, so their baseline reads with one worker.
import type { Page } from 'playwright-core';
import type { BenchContext } from './bench-context.js';
import { buildFigure, type FigureRun, type FigureSpec } from './bench-figure.js';
import { openBenchPage, pickIntoBenchInput } from './bench-page-driver.js';
import type { BenchFigure } from './bench-result.js';
import { mibPerSec } from './bench-stats.js';
import type { HashVariant } from './page/bench-page-api.js';

const MIB = 2 ** 20;
/** The size: past headless Chromium's ~450 MiB in-memory Blob cap, so it must be a disk file. */
export const HASHING_FILE_BYTES = 512 * MIB;

interface HashCase {
  id: string;
  title: string;
  variant: HashVariant;
  /** The read-only pass it is compared with (shared by cases of the same shape, to fit the time budget). */
  baseline: HashVariant & { kind: 'read-only' };
}

/** Parallel part checksums: the pool's 2 workers reading 4 or 8 MiB parts. */
const PARALLEL_4M = { kind: 'read-only', partSize: 4 * MIB, workers: 2 } as const;
const PARALLEL_8M = { kind: 'read-only', partSize: 8 * MIB, workers: 2 } as const;
/** The sequential SHA-1 kinds: one worker reading in order (1, 4 or 10 MiB parts read alike, ±3 %). */
const SEQUENTIAL = { kind: 'read-only', partSize: 4 * MIB, workers: 1 } as const;

/** Part sizes are each provider's default (specs/cloud-apis.md; backend defaults). */
const CASES: readonly HashCase[] = [
  { id: 'hash.adler32', title: 'Adler-32 per 4 MiB part (Feishu)', variant: { kind: 'part', checksum: 'adler32', partSize: 4 * MIB }, baseline: PARALLEL_4M },
  { id: 'hash.md5', title: 'MD5 per 8 MiB part (S3 default, Content-MD5)', variant: { kind: 'part', checksum: 'md5', partSize: 8 * MIB }, baseline: PARALLEL_8M },
  { id: 'hash.crc32', title: 'CRC-32 per 8 MiB part (S3 crc32 mode)', variant: { kind: 'part', checksum: 'crc32', partSize: 8 * MIB }, baseline: PARALLEL_8M },
  { id: 'hash.sha1-stream', title: 'SHA-1 streaming, state saved per 4 MiB part', variant: { kind: 'sha1-stream', partSize: 4 * MIB }, baseline: SEQUENTIAL },
  { id: 'hash.sha1-ctx', title: 'PDS sha1-ctx per 10 MiB part (sequential SHA-1)', variant: { kind: 'part', checksum: 'sha1-ctx', partSize: 10 * MIB }, baseline: SEQUENTIAL },
  { id: 'hash.cos-datasha', title: 'COS datasha per 1 MiB slice (sequential SHA-1)', variant: { kind: 'part', checksum: 'cos-datasha', partSize: MIB }, baseline: SEQUENTIAL },
];

function spec(c: HashCase): FigureSpec {
  return {
    id: c.id,
    item: 1,
    title: `512 MiB file: ${c.title}`,
    unit: 'MiB/s',
    baseline: c.baseline.workers === 1
      ? 'read the file in order, no hashing (1 worker, 4 MiB parts), just before'
      : `read the same ${c.baseline.partSize / MIB} MiB parts, no hashing (2 workers), just before`,
    ratioLabel: 'hashing / reading',
    goal: '',
  };
}

async function timed(page: Page, variant: HashVariant): Promise<number | null> {
  const result = await page.evaluate((v) => window.ccuBench.hash(v), variant);
  // sha1-ctx is the state *before* each part, so the last part's bytes are never needed.
  const needed = variant.kind === 'part' && variant.checksum === 'sha1-ctx'
    ? Math.floor((HASHING_FILE_BYTES - 1) / variant.partSize) * variant.partSize
    : HASHING_FILE_BYTES;
  if (result.bytes < needed) throw new Error(`hashed ${result.bytes} of ${needed} bytes`);
  return mibPerSec(result.bytes, result.ms);
}

/**
 * Item 1: MiB/s of each checksum the providers need, and the ratio to plain reading.
 *
 * @example
 * const figures = await measureHashing(ctx);
 */
export async function measureHashing(ctx: BenchContext): Promise<BenchFigure[]> {
  const file = await ctx.files.get('hash-512m.bin', HASHING_FILE_BYTES);
  const stack = await ctx.sharedStack();
  const page = await openBenchPage((url) => ctx.chrome.open(url), stack);
  const runs = new Map<string, FigureRun[]>();
  const notes: string[] = [];
  try {
    await pickIntoBenchInput(page, file);
    for (let rep = 0; rep < ctx.reps; rep++) {
      let last: { shape: HashCase['baseline']; mibs: number | null } | undefined;
      for (const c of CASES) {
        try {
          // The baseline pass right before the first case of its shape (cases are ordered by shape).
          if (last?.shape !== c.baseline) last = { shape: c.baseline, mibs: await timed(page, c.baseline) };
          const baseline = last.mibs;
          const value = await timed(page, c.variant);
          runs.set(c.id, [...(runs.get(c.id) ?? []), { value, baseline }]);
          ctx.log(`  hash ${c.id} rep ${rep + 1}: ${value?.toFixed(0) ?? '—'} MiB/s vs read ${baseline?.toFixed(0) ?? '—'} MiB/s`);
        } catch (error) {
          notes.push(`${c.id} rep ${rep + 1}: ${String(error)}`);
        }
      }
    }
  } finally {
    await page.close();
  }
  return CASES.map((c) => buildFigure(spec(c), runs.get(c.id) ?? [], notes.filter((n) => n.startsWith(c.id)).join('; ')));
}
