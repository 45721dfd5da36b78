// The main-thread module graph of src/hashing must not reach hash-wasm; only the worker
// may import it (it is started by URL, which is not an import).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Static and dynamic import specifiers, plus `export … from`. */
const IMPORT = /(?:^|[^\w.])(?:import|export)\s*(?:[^'"`;]*?\sfrom\s*)?\(?\s*['"]([^'"]+)['"]/g;

async function importGraph(entry: string): Promise<{ files: Set<string>; bare: Set<string> }> {
  const files = new Set<string>();
  const bare = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = await readFile(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1]!;
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else bare.add(specifier);
    }
  }
  return { files, bare };
}

void test('the main-thread graph of src/hashing/index.ts never imports hash-wasm', async () => {
  const { files, bare } = await importGraph(resolve(SRC, 'hashing/index.ts'));
  assert.ok(files.has(resolve(SRC, 'hashing/hash-pool.ts')), 'the walk reaches the pool');
  assert.ok(!files.has(resolve(SRC, 'hashing/hash.worker.ts')), 'the worker is not imported, only started by URL');
  assert.ok(bare.has('comlink'), 'the walk sees bare imports');
  assert.deepEqual([...bare].filter((name) => name.startsWith('hash-wasm')), []);
});

void test('the worker graph does import hash-wasm, so the check above can fail', async () => {
  const { bare } = await importGraph(resolve(SRC, 'hashing/hash.worker.ts'));
  assert.ok(bare.has('hash-wasm'));
});
