// hash-wasm must load only inside the hash workers: the window neither fetches it nor
// compiles any WebAssembly while the pool hashes (src/hashing/index.ts).
// test/node/hashing-import-graph.test.ts checks the same on the source import graph.
import { assert } from '../support/browser-assert.js';

const WASM_ENTRY_POINTS = ['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming', 'validate', 'Module', 'Instance'] as const;

const resourceUrls = (): string[] => performance.getEntriesByType('resource').map((entry) => entry.name);

describe('hashing: main-thread isolation', () => {
  it('never fetches hash-wasm or compiles WebAssembly in the window while hashing', async () => {
    performance.setResourceTimingBufferSize(10_000);
    const wasm = WebAssembly as unknown as Record<string, unknown>;
    const originals = new Map<string, unknown>();
    const calls: string[] = [];
    for (const name of WASM_ENTRY_POINTS) {
      const original = wasm[name];
      originals.set(name, original);
      // A Proxy keeps both calls and constructions (new WebAssembly.Module) observable.
      wasm[name] = new Proxy(original as object, {
        apply: (target, self, args: unknown[]) => {
          calls.push(name);
          return Reflect.apply(target as (...a: unknown[]) => unknown, self, args);
        },
        construct: (target, args: unknown[]) => {
          calls.push(name);
          return Reflect.construct(target as new (...a: unknown[]) => object, args);
        },
      });
    }
    try {
      const { HashPool } = await import('../../src/hashing/index.js');
      const pool = new HashPool({ size: 2 });
      const bytes = new TextEncoder().encode('Wikipedia'.repeat(1000));
      const handle = pool.open(new Blob([bytes]));
      // No worker exists yet (the pool is lazy), so every fetch so far is the window's.
      // Chromium also lists a dedicated worker's own fetches here, hence this point.
      const windowUrls = resourceUrls();
      assert(windowUrls.some((url) => url.includes('/src/hashing/hash-pool')), `resource timing sees the pool module: ${windowUrls.join(', ')}`);
      const leaked = windowUrls.filter((url) => /hash-wasm/i.test(url));
      assert(leaked.length === 0, `the window fetched ${leaked.join(', ')}`);
      assert(pool.workerCount === 0, 'no worker before the first request');

      const answers = await Promise.all([
        handle.partChecksum('adler32', 0, bytes.length),
        handle.partChecksum('md5', 0, bytes.length),
        handle.partChecksum('crc32', 0, bytes.length),
        handle.sha1Digest(),
      ]);
      assert(answers.every((answer) => answer.length > 0), 'the workers answered');
      handle.close();
      pool.dispose();
    } finally {
      for (const [name, original] of originals) wasm[name] = original;
    }
    assert(calls.length === 0, `the window used WebAssembly: ${calls.join(', ')}`);
  });
});
