// Issue 7 item 2: end-to-end upload of 256 MiB through the element, per provider, against a
// single raw XHR PUT of the same file from the same page in the same repetition:
// - to the bench sink (node:http on the same machine, body streamed to disk like the emulator
//   stores it): the loopback + disk ceiling every provider is compared with;
// - for S3 also to the emulator's own PutObject (presigned), i.e. the very server the parts go to.
// Emulator rate limits are off and the backend's Feishu pacing is off (the unpaced backend).
import type { Page } from 'playwright-core';
import type { ProviderName } from '../src/core/index.js';
import type { BenchContext } from './bench-context.js';
import { buildFigure, unmeasured, type FigureRun, type FigureSpec } from './bench-figure.js';
import { benchTarget, openBenchPage, pickIntoBenchInput, presignPut, rawSend, uploadProblem, uploadThroughElement } from './bench-page-driver.js';
import type { BenchFigure } from './bench-result.js';
import { mibPerSec } from './bench-stats.js';

const MIB = 2 ** 20;
/** The file size for this figure. */
export const THROUGHPUT_FILE_BYTES = 256 * MIB;
/** Providers measured, in this order within a repetition. */
const PROVIDERS: readonly ProviderName[] = ['feishu', 'pds', 'cos-legacy', 's3'];

function spec(provider: ProviderName): FigureSpec {
  return {
    id: `throughput.${provider}`,
    item: 2,
    title: `256 MiB through the element → ${provider}`,
    unit: 'MiB/s',
    baseline: 'one raw XHR PUT of the file to the bench sink, same page, just before',
    ratioLabel: 'ours / raw',
    goal: '≥ 0.9×',
    judge: ({ ratio }) => ratio !== null && ratio >= 0.9,
  };
}

const S3_DIRECT_SPEC: FigureSpec = {
  id: 'throughput.s3-vs-putobject',
  item: 2,
  title: '256 MiB through the element → s3, vs the same S3 server',
  unit: 'MiB/s',
  baseline: 'one raw XHR PUT (presigned PutObject) of the file to the S3 emulator itself',
  ratioLabel: 'ours / raw',
  goal: '≥ 0.9×',
  judge: ({ ratio }) => ratio !== null && ratio >= 0.9,
};

/** The 256 MiB inputs, one per repetition: rapid upload (PDS, COS) never finds an earlier copy. */
export function throughputFileName(rep: number): string {
  return `upload-256m-${rep}.bin`;
}

async function oneRep(ctx: BenchContext, rep: number, runs: Map<string, FigureRun[]>, problems: Map<string, string[]>): Promise<void> {
  const file = await ctx.files.get(throughputFileName(rep), THROUGHPUT_FILE_BYTES);
  const stack = await ctx.freshStack();
  let page: Page | undefined;
  const push = (id: string, run: FigureRun): void => {
    runs.set(id, [...(runs.get(id) ?? []), run]);
  };
  const problem = (id: string, why: string): void => {
    problems.set(id, [...(problems.get(id) ?? []), `rep ${rep + 1}: ${why}`]);
  };
  try {
    page = await openBenchPage((url) => ctx.chrome.open(url), stack);
    await pickIntoBenchInput(page, file);
    for (const provider of PROVIDERS) {
      if (!ctx.providers.includes(provider)) continue;
      const id = spec(provider).id;
      try {
        const raw = await rawSend(page, `${stack.sinkUrl}/raw-${provider}`);
        let direct: number | null = null;
        if (provider === 's3') direct = mibPerSec(file.size, (await rawSend(page, await presignPut(stack, `raw/${rep}.bin`))).ms);
        const outcome = await uploadThroughElement(page, { endpoint: `${stack.backendUrl}/`, provider, target: benchTarget(provider) }, file);
        const why = uploadProblem(outcome, file);
        if (why !== null) problem(id, why);
        const ours = why === null ? mibPerSec(file.size, outcome.doneAt - outcome.pickedAt) : null;
        const extra = {
          partsPhaseMiBs: outcome.firstByteAt !== null && outcome.partsDoneAt !== null ? mibPerSec(file.size, outcome.partsDoneAt - outcome.firstByteAt) : null,
          pickToFirstByteMs: outcome.firstByteAt === null ? null : outcome.firstByteAt - outcome.pickedAt,
          completeMs: outcome.partsDoneAt === null ? null : outcome.doneAt - outcome.partsDoneAt,
          partRequests: outcome.partRequests,
          controlRequests: outcome.controlRequests,
          retries: outcome.counters?.retries ?? null,
        };
        push(id, { value: ours, baseline: mibPerSec(file.size, raw.ms), extra });
        if (provider === 's3') push(S3_DIRECT_SPEC.id, { value: ours, baseline: direct });
        ctx.log(`  throughput ${provider} rep ${rep + 1}: ours ${ours?.toFixed(0) ?? '—'} MiB/s, raw ${mibPerSec(file.size, raw.ms)?.toFixed(0) ?? '—'} MiB/s`);
      } catch (error) {
        problem(id, String(error));
      }
    }
  } finally {
    await page?.close();
    await stack.stop();
  }
}

/**
 * Item 2: end-to-end MiB/s per provider and the ratio to a raw XHR PUT of the same file.
 *
 * @example
 * const figures = await measureThroughput(ctx);
 */
export async function measureThroughput(ctx: BenchContext): Promise<BenchFigure[]> {
  const runs = new Map<string, FigureRun[]>();
  const problems = new Map<string, string[]>();
  for (let rep = 0; rep < ctx.reps; rep++) await oneRep(ctx, rep, runs, problems);
  const figures = PROVIDERS.map((provider) => {
    const s = spec(provider);
    if (!ctx.providers.includes(provider)) return unmeasured(s, `no browser client for ${provider} in this build`);
    const notes = problems.get(s.id) ?? [];
    const extras = (runs.get(s.id) ?? []).map((r) => r.extra);
    const phase = extras.map((e) => e?.['partsPhaseMiBs']).filter((v): v is number => typeof v === 'number');
    const complete = extras.map((e) => e?.['completeMs']).filter((v): v is number => typeof v === 'number');
    const detail = phase.length > 0
      ? `parts phase alone ${Math.round(Math.min(...phase))}–${Math.round(Math.max(...phase))} MiB/s; complete took ${Math.round(Math.min(...complete))}–${Math.round(Math.max(...complete))} ms`
      : '';
    return buildFigure(s, runs.get(s.id) ?? [], [detail, ...notes].filter((n) => n !== '').join('; '));
  });
  figures.push(ctx.providers.includes('s3')
    ? buildFigure(S3_DIRECT_SPEC, runs.get(S3_DIRECT_SPEC.id) ?? [], (problems.get('throughput.s3') ?? []).join('; '))
    : unmeasured(S3_DIRECT_SPEC, 'no browser client for s3 in this build'));
  return figures;
}
