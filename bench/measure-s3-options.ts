// "Make it fast" experiment, not in the default run (`npm run bench -- --only=s3-options`):
// what the S3 path gains from each knob the product already has, 256 MiB through the element
// against a raw presigned PutObject of the same file to the same emulator, same repetition:
// the backend's per-part checksum (`S3ServerConfig.partChecksum`: md5 default, crc32, none)
// and the element's `chunk-size` (the backend's 8 MiB default vs 16 MiB).
import type { BenchContext } from './bench-context.js';
import { buildFigure, unmeasured, type FigureRun, type FigureSpec } from './bench-figure.js';
import { benchTarget, openBenchPage, pickIntoBenchInput, presignPut, rawSend, uploadProblem, uploadThroughElement } from './bench-page-driver.js';
import type { BenchFigure } from './bench-result.js';
import { mibPerSec } from './bench-stats.js';
import { THROUGHPUT_FILE_BYTES, throughputFileName } from './measure-throughput.js';

const MIB = 2 ** 20;

interface S3Variant {
  id: string;
  title: string;
  checksum: 'md5' | 'crc32' | 'none';
  chunkSize?: number;
}

const VARIANTS: readonly S3Variant[] = [
  { id: 's3-options.md5', title: 'S3, MD5 per 8 MiB part (defaults)', checksum: 'md5' },
  { id: 's3-options.crc32', title: 'S3, CRC-32 per 8 MiB part (backend partChecksum: crc32)', checksum: 'crc32' },
  { id: 's3-options.none', title: 'S3, no part checksum (backend partChecksum: none)', checksum: 'none' },
  { id: 's3-options.md5-16m', title: 'S3, MD5 per 16 MiB part (element chunk-size 16 MiB)', checksum: 'md5', chunkSize: 16 * MIB },
];

function spec(v: S3Variant): FigureSpec {
  return {
    id: v.id,
    item: 0,
    title: `256 MiB: ${v.title}`,
    unit: 'MiB/s',
    baseline: 'one raw XHR PUT (presigned PutObject) of the file to the same emulator, just before',
    ratioLabel: 'ours / raw',
    goal: '',
  };
}

/**
 * The S3 knob experiment: end-to-end MiB/s per variant and the ratio to a raw PutObject.
 *
 * @example
 * const figures = await measureS3Options(ctx);
 */
export async function measureS3Options(ctx: BenchContext): Promise<BenchFigure[]> {
  if (!ctx.providers.includes('s3')) return VARIANTS.map((v) => unmeasured(spec(v), 'no browser client for s3 in this build'));
  const runs = new Map<string, FigureRun[]>();
  const notes: string[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const file = await ctx.files.get(throughputFileName(rep), THROUGHPUT_FILE_BYTES);
    for (const v of VARIANTS) {
      const stack = await ctx.freshStack({ s3PartChecksum: v.checksum });
      const page = await openBenchPage((url) => ctx.chrome.open(url), stack);
      try {
        await pickIntoBenchInput(page, file);
        const raw = await rawSend(page, await presignPut(stack, `raw/${rep}.bin`));
        const outcome = await uploadThroughElement(page, { endpoint: `${stack.backendUrl}/`, provider: 's3', target: benchTarget('s3'), ...(v.chunkSize !== undefined && { chunkSize: v.chunkSize }) }, file);
        const why = uploadProblem(outcome, file);
        if (why !== null) notes.push(`${v.id} rep ${rep + 1}: ${why}`);
        const value = why === null ? mibPerSec(file.size, outcome.doneAt - outcome.pickedAt) : null;
        const partsPhase = outcome.firstByteAt !== null && outcome.partsDoneAt !== null ? mibPerSec(file.size, outcome.partsDoneAt - outcome.firstByteAt) : null;
        runs.set(v.id, [...(runs.get(v.id) ?? []), { value, baseline: mibPerSec(file.size, raw.ms), extra: { partsPhaseMiBs: partsPhase, firstByteMs: outcome.firstByteAt === null ? null : outcome.firstByteAt - outcome.pickedAt } }]);
        ctx.log(`  ${v.id} rep ${rep + 1}: ${value?.toFixed(0) ?? '—'} MiB/s (parts ${partsPhase?.toFixed(0) ?? '—'}), PutObject ${mibPerSec(file.size, raw.ms)?.toFixed(0) ?? '—'} MiB/s`);
      } finally {
        await page.close();
        await stack.stop();
      }
    }
  }
  return VARIANTS.map((v) => {
    const phases = (runs.get(v.id) ?? []).map((r) => r.extra?.['partsPhaseMiBs']).filter((x): x is number => typeof x === 'number');
    const phase = phases.length > 0 ? `parts phase ${phases.map((x) => Math.round(x)).join(', ')} MiB/s` : '';
    return buildFigure(spec(v), runs.get(v.id) ?? [], [phase, ...notes.filter((n) => n.startsWith(v.id))].filter((n) => n !== '').join('; '));
  });
}
