// Issue 7 item 9: what an app ships for the element, built by `vite build` as an app builds it
// (bench/page/bundle.html imports the package's browser entry): min+gzip of the main-thread JS
// a page loads, against headless Uppy 6 (@uppy/core + @uppy/aws-s3) built the same way in the
// same build, and of the hash worker chunk. The element loads its provider client, hash pool and
// record store on first use, so two rows: what page load fetches (the goal), and page load plus
// everything the first upload to S3 fetches, so no byte hides in a lazy chunk. Sizes do not
// vary between runs: one build, no repetitions.
import { gzipSync } from 'node:zlib';
import type { BenchContext } from './bench-context.js';
import { buildBenchPages } from './build-pages.js';
import { buildFigure, type FigureSpec } from './bench-figure.js';
import type { BenchFigure } from './bench-result.js';

const KB = 1000;
/** Goal: the element's main-thread JS ≤ 20 KB min+gz (issue 7 item 9). */
export const MAIN_THREAD_GOAL_BYTES = 20 * KB;

function gz(code: string | Uint8Array): number {
  return gzipSync(typeof code === 'string' ? Buffer.from(code) : code, { level: 9 }).length;
}

/** Which part of the code base a module belongs to, for the size breakdown. */
function owner(id: string): string {
  const nodeModule = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(id);
  if (nodeModule?.[1] !== undefined) return nodeModule[1];
  const src = /\/src\/([^/]+)\//.exec(id);
  return src?.[1] !== undefined ? `src/${src[1]}` : id.split('/').slice(-2).join('/');
}

/**
 * Item 9: min+gz KB of the element's main-thread JS and of its worker, and the ratio to Uppy's.
 *
 * @example
 * const figures = await measureBundle(ctx);
 */
export async function measureBundle(ctx: BenchContext): Promise<BenchFigure[]> {
  const { output } = await buildBenchPages('bundle', false);
  const chunks = output.filter((o) => o.type === 'chunk');
  const byFile = new Map(chunks.map((c) => [c.fileName, c]));
  // The entry and what it imports; `follow` says which dynamic imports count as loaded too.
  const closure = (entry: string, follow: (chunk: string) => boolean): string[] => {
    const seen = new Set<string>();
    const visit = (name: string): void => {
      const chunk = byFile.get(name);
      if (chunk === undefined || seen.has(name)) return;
      seen.add(name);
      for (const next of chunk.imports) visit(next);
      for (const next of chunk.dynamicImports) if (follow(next)) visit(next);
    };
    visit(entry);
    return [...seen];
  };
  // Page load: static imports only (the page's restore on connect loads nothing when nothing is
  // stored; test/browser/element-lazy.test.ts checks that). First S3 upload: every lazy chunk
  // but the other providers' clients (the hash pool, the record store, idb, the S3 client and
  // whatever the element loads to send bodies), counted whether or not this upload needs it.
  const otherProvider = /\/src\/providers\/(feishu|pds|cos-legacy)\.ts$/;
  const pageLoad = (): boolean => false;
  const firstS3Upload = (name: string): boolean => !otherProvider.test(byFile.get(name)?.facadeModuleId ?? '');
  const entryOf = (html: string): string | undefined => chunks.find((c) => c.isEntry && c.facadeModuleId?.endsWith(`/${html}`) === true)?.fileName;
  const measure = (html: string, follow: (chunk: string) => boolean = firstS3Upload): { gz: number; min: number; breakdown: Map<string, number> } | null => {
    const entry = entryOf(html);
    if (entry === undefined) return null;
    const breakdown = new Map<string, number>();
    let min = 0;
    let size = 0;
    for (const name of closure(entry, follow)) {
      const chunk = byFile.get(name);
      if (chunk === undefined) continue;
      min += Buffer.byteLength(chunk.code);
      size += gz(chunk.code);
      for (const [id, info] of Object.entries(chunk.modules)) breakdown.set(owner(id), (breakdown.get(owner(id)) ?? 0) + info.renderedLength);
    }
    return { gz: size, min, breakdown };
  };
  const ours = measure('bundle.html', pageLoad);
  const oursS3 = measure('bundle.html', firstS3Upload);
  // Uppy loads everything up front; following its dynamic imports too keeps the baseline whole.
  const uppy = measure('uppy-bundle.html');
  const worker = output.find((o) => o.type === 'asset' && /(^|\/)hash\.worker-[^/]*\.js$/.test(o.fileName));
  const workerGz = worker?.type === 'asset' ? gz(worker.source) : null;
  const top = (m: typeof ours): string => m === null ? '' : [...m.breakdown.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6)
    .map(([name, bytes]) => `${name} ${(bytes / KB).toFixed(1)}`).join(', ');
  const kb = (m: typeof ours): string => (m === null ? '—' : (m.gz / KB).toFixed(1));
  ctx.log(`  bundle: page load ${kb(ours)} KB gz, + first S3 upload ${kb(oursS3)} KB gz, worker ${workerGz === null ? '—' : (workerGz / KB).toFixed(1)} KB gz, Uppy ${kb(uppy)} KB gz`);
  const main: FigureSpec = {
    id: 'bundle.main-thread', item: 9, title: 'main-thread JS of the element at page load (vite build, min+gz)', unit: 'KB',
    baseline: 'headless Uppy 6 core + @uppy/aws-s3, same build', ratioLabel: 'ours / Uppy', goal: '≤ 20 KB',
    judge: ({ value }) => value * KB <= MAIN_THREAD_GOAL_BYTES,
  };
  const withS3: FigureSpec = {
    id: 'bundle.first-s3-upload', item: 9, title: 'main-thread JS after the first upload to S3: page load + lazy chunks (min+gz)', unit: 'KB',
    baseline: 'headless Uppy 6 core + @uppy/aws-s3, same build', ratioLabel: 'ours / Uppy', goal: '',
  };
  const workerSpec: FigureSpec = {
    id: 'bundle.worker', item: 9, title: 'hash worker chunk (comlink + hash-wasm, wasm inlined; min+gz)', unit: 'KB',
    baseline: 'the element\'s main-thread JS', ratioLabel: 'worker / main', goal: '',
  };
  const mainKb = ours === null ? null : ours.gz / KB;
  return [
    buildFigure(main, [{ value: mainKb, baseline: uppy === null ? null : uppy.gz / KB, extra: { minKB: ours === null ? null : ours.min / KB } }],
      `minified ${ours === null ? '—' : (ours.min / KB).toFixed(1)} KB; largest parts before gzip (KB): ${top(ours)}`),
    buildFigure(withS3, [{ value: oursS3 === null ? null : oursS3.gz / KB, baseline: uppy === null ? null : uppy.gz / KB, extra: { minKB: oursS3 === null ? null : oursS3.min / KB } }],
      `each chunk gzipped alone, as served; minified ${oursS3 === null ? '—' : (oursS3.min / KB).toFixed(1)} KB; largest parts before gzip (KB): ${top(oursS3)}`),
    buildFigure(workerSpec, [{ value: workerGz === null ? null : workerGz / KB, baseline: mainKb }], 'loaded by the first hash job, not at page load'),
  ];
}
