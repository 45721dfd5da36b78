import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Rollup } from 'vite';

/** Source of the bench pages. */
export const BENCH_PAGE_ROOT = fileURLToPath(new URL('./page/', import.meta.url));

/** Which pages one build holds: `measure` = the pages the browser drives; `bundle` = ship-size probes. */
export type BenchPageSet = 'measure' | 'bundle';

const INPUTS: Record<BenchPageSet, Record<string, string>> = {
  measure: { index: 'index.html', uppy: 'uppy.html' },
  bundle: { element: 'bundle.html', uppy: 'uppy-bundle.html' },
};

/** A finished build: where it was written (if it was) and what Rollup emitted. */
export interface BenchPagesBuild {
  outDir: string;
  output: (Rollup.OutputChunk | Rollup.OutputAsset)[];
}

/**
 * Build bench pages with Vite exactly as an app would (`vite build`: minified, ES workers in
 * their own chunks, hash-wasm's wasm inlined in the worker), into a fresh temp dir, or only
 * in memory when `write` is false (the bundle-size probe).
 *
 * @example
 * const { outDir } = await buildBenchPages('measure');
 */
export async function buildBenchPages(set: BenchPageSet, write = true): Promise<BenchPagesBuild> {
  const outDir = write ? await mkdtemp(join(tmpdir(), `ccu-bench-${set}-`)) : join(tmpdir(), `ccu-bench-${set}-unwritten`);
  const input = Object.fromEntries(Object.entries(INPUTS[set]).map(([name, file]) => [name, join(BENCH_PAGE_ROOT, file)]));
  const result = await build({
    configFile: false,
    root: BENCH_PAGE_ROOT,
    envDir: false,
    publicDir: false,
    logLevel: 'error',
    worker: { format: 'es' },
    build: {
      write,
      target: 'es2022',
      // The measured pages keep their names so long-frame attribution is readable; the bundle
      // probe is minified like an app's build (minifying changes sizes, not speeds).
      minify: set === 'bundle',
      outDir,
      emptyOutDir: false,
      sourcemap: false,
      // Nothing inlined but the wasm Vite always inlines: each chunk is measured as shipped.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      rollupOptions: { input },
    },
  });
  const outputs = Array.isArray(result) ? result : [result];
  const output = outputs.flatMap((o) => ('output' in o ? o.output : []));
  return { outDir, output };
}
