import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/** Source of the bench pages. */
export const BENCH_PAGE_ROOT = fileURLToPath(new URL('./page/', import.meta.url));

/** Which pages one build holds: `measure` = the pages the browser drives; `bundle` = ship-size probes. */
export type BenchPageSet = 'measure' | 'bundle';

const INPUTS: Record<BenchPageSet, Record<string, string>> = {
  measure: { index: 'index.html', uppy: 'uppy.html' },
  bundle: { element: 'bundle.html', uppy: 'uppy-bundle.html' },
};

/**
 * Build bench pages with Vite exactly as an app would (`vite build`: minified, ES workers in
 * their own chunks, hash-wasm's wasm inlined in the worker), into a fresh temp dir.
 *
 * @returns the output dir (pages at its root, chunks under `assets/`).
 * @example
 * const pageDir = await buildBenchPages('measure');
 */
export async function buildBenchPages(set: BenchPageSet): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), `ccu-bench-${set}-`));
  const input = Object.fromEntries(Object.entries(INPUTS[set]).map(([name, file]) => [name, join(BENCH_PAGE_ROOT, file)]));
  await build({
    configFile: false,
    root: BENCH_PAGE_ROOT,
    envDir: false,
    publicDir: false,
    logLevel: 'error',
    worker: { format: 'es' },
    build: {
      target: 'es2022',
      outDir,
      emptyOutDir: false,
      sourcemap: false,
      // Nothing inlined but the wasm Vite always inlines: each chunk is measured as shipped.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      rollupOptions: { input },
    },
  });
  return outDir;
}
