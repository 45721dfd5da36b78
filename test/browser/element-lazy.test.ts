// Issue 7 item 9: the element loads the hash pool, the record store and the provider client on
// first use. This suite imports nothing but the element, so the page's resource timing shows
// which of their modules the page has fetched.
import '../../src/element/cloud-chunk-uploader.js';
import { ElementHarness } from '../support/element-harness.js';
import { assert } from '../support/browser-assert.js';

/** Port 9 (discard) on loopback: nothing listens, so connections are refused at once. */
const UNREACHABLE = 'http://127.0.0.1:9/';

/** Modules that must wait for an upload (each path part as the dev server serves it). */
const LAZY = ['/src/hashing/hash-pool.ts', '/src/providers/feishu.ts', '/src/providers/s3.ts', '/src/providers/session-api.ts', '/src/persistence/idb-record-store.ts'];

function fetched(path: string): boolean {
  return performance.getEntriesByType('resource').some((entry) => new URL(entry.name).pathname.endsWith(path));
}

describe('<cloud-chunk-uploader> loading on first use', () => {
  it('fetches no hashing, provider or store module on page load, and the upload\'s own on the first upload', async () => {
    // Nothing from earlier pages in this origin, so the element has nothing to restore.
    await new Promise<void>((resolve) => {
      const request = indexedDB.deleteDatabase('cloud-chunk-uploader');
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
    const h = await ElementHarness.create({ endpoint: UNREACHABLE, provider: 'feishu', 'manual-start': true });
    try {
      // Let the restore on connect run to its end.
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const path of LAZY) assert(!fetched(path), `${path} is not fetched on page load`);
      h.element.addFiles([new File([new Uint8Array(100)], 'a.bin')]);
      h.element.start();
      await h.waitFor('the Feishu client and the hash pool to load', () => fetched('/src/providers/feishu.ts') && fetched('/src/hashing/hash-pool.ts'));
      assert(!fetched('/src/providers/s3.ts'), 'the S3 client is not fetched for a Feishu upload');
    } finally {
      h.element.cancel();
      h.remove();
    }
  });
});
