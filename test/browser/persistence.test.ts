// Resume after a page goes away, in the browser: a page (an iframe, closed mid-upload the way a
// tab is) uploads part of a file through the real element, engine, hash pool, IndexedDB and
// backend → Feishu emulator; a new page shows the upload and finishes it. Stored bytes are
// downloaded and compared. File System Access handles are used where the browser has them;
// elsewhere the tests prove the fallback (choosing the file again).
import '../../src/element/cloud-chunk-uploader.js';
import type { CloudChunkUploader } from '../../src/element/cloud-chunk-uploader.js';
import type { UploadSnapshot } from '../../src/core/upload-snapshot.js';
import type { PersistentFileHandle } from '../../src/engine/index.js';
import { ElementHarness } from '../support/element-harness.js';
import { assert, equal } from '../support/browser-assert.js';
import { randomBytes, sha1Hex, storedBytes, testEnv as runnerEnv } from '../support/test-env.js';
import type { TestEnv } from '../support/test-env.js';

/** The runner's servers, the backend URL ending in `/` (the element joins paths onto it). */
async function testEnv(): Promise<TestEnv> {
  const env = await runnerEnv();
  return { ...env, backendUrl: env.backendUrl.endsWith('/') ? env.backendUrl : `${env.backendUrl}/` };
}

let fileCounter = 0;

/** Random bytes under a name of this run's own (so records of other runs never match). */
function randomFile(size: number): File {
  fileCounter += 1;
  return new File([randomBytes(size)], `resume-${String(Date.now())}-${String(fileCounter)}.bin`, { type: 'application/octet-stream', lastModified: Date.now() - fileCounter });
}

async function storedSha1(env: TestEnv, fileToken: string): Promise<string> {
  return sha1Hex(await storedBytes(env, fileToken));
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A second page of this origin (an iframe), with its own element, engine, workers and IndexedDB connection. */
interface Tab {
  element: CloudChunkUploader;
  /** Close it the way a tab closes: scripts, workers and requests stop mid-flight. */
  close(): void;
}

async function openTab(env: TestEnv, attributes: Record<string, string> = {}): Promise<Tab> {
  const frame = document.createElement('iframe');
  frame.srcdoc = `<!doctype html><html lang="en"><body><script type="module">import '/src/element/cloud-chunk-uploader.ts';</script></body></html>`;
  document.body.append(frame);
  const view = await until('the tab to define the element', () => {
    const win = frame.contentWindow as (Window & typeof globalThis) | null;
    return win?.customElements.get('cloud-chunk-uploader') !== undefined ? win : undefined;
  });
  const element = view.document.createElement('cloud-chunk-uploader');
  for (const [name, value] of Object.entries({ endpoint: env.backendUrl, target: env.target, ...attributes })) element.setAttribute(name, value);
  view.document.body.append(element);
  await element.updateComplete;
  return { element, close: () => frame.remove() };
}

function upload(element: CloudChunkUploader, name: string): UploadSnapshot | undefined {
  return element.uploads.find((u) => u.name === name);
}

/** Let the tab upload until `parts` parts are acknowledged, then close it mid-upload. */
async function closeMidUpload(tab: Tab, name: string, parts: number): Promise<UploadSnapshot> {
  const seen = await until(`${String(parts)} acknowledged parts`, () => {
    const u = upload(tab.element, name);
    return u !== undefined && u.partsDone >= parts ? u : undefined;
  });
  tab.close();
  assert(seen.status !== 'done', 'the page closed before the upload finished');
  return seen;
}

describe('resume after the page goes away', () => {
  let env: TestEnv;
  let harness: ElementHarness | undefined;

  before(async () => {
    env = await testEnv();
    // The tests count restored uploads, and IndexedDB is shared by every test file of this
    // origin: start from an origin with none stored.
    const clean = await ElementHarness.create({ endpoint: env.backendUrl, target: env.target });
    await clean.element.clearStoredUploads();
    clean.remove();
  });

  afterEach(async () => {
    harness?.element.cancel();
    await harness?.element.clearStoredUploads();
    harness?.remove();
    harness = undefined;
  });

  async function newPage(attributes: Record<string, string | boolean> = {}): Promise<ElementHarness> {
    harness = await ElementHarness.create({ endpoint: env.backendUrl, target: env.target, ...attributes });
    return harness;
  }

  it('shows the unfinished upload after a reload and finishes it when the same file is chosen again, without re-sending acknowledged parts', async () => {
    const file = randomFile(24 * env.blockSize + 777);
    const tab = await openTab(env);
    tab.element.addFiles([file]);
    const before = await closeMidUpload(tab, file.name, 4);

    const h = await newPage();
    const row = await until('the restored row', () => h.rows.find((r) => r.name === file.name));
    await h.waitFor('the restored upload to wait for its file', () => upload(h.element, file.name)?.waitingFor === 'file');
    const restored = upload(h.element, file.name);
    equal(restored?.id, before.id, 'same upload');
    equal(restored?.status, 'paused', 'status');
    // The record of the very last acknowledgement may die with the page (its write was still
    // in flight; WebKit drops it): at most that one is lost.
    assert((restored?.partsDone ?? 0) >= before.partsDone - 1, `acknowledged parts kept (${String(restored?.partsDone)} of ${String(before.partsDone)})`);
    assert(row.progress > 0, `the row shows its progress (${String(row.progress)} %)`);
    equal(h.root.querySelector('[part~="resume-notice"]')?.textContent?.trim(), '1 upload can continue — choose or drop the same file again', 'notice');
    equal(h.row(file.name).element.querySelector('[part~="file-notice"]')?.textContent?.trim(), 'Choose or drop this file again to continue', 'row notice');

    const partsBefore = restored?.partsDone ?? 0;
    await h.choose([file]);
    equal(h.element.uploads.length, 1, 'the chosen file continues the restored upload');
    const done = await h.waitForStatus(file.name, 'done', 'failed').then(() => upload(h.element, file.name));
    equal(done?.status, 'done', `status (${JSON.stringify(done?.error)})`);
    assert(done?.result?.fileToken !== undefined, 'file token');
    equal(await storedSha1(env, done.result.fileToken), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored file');
    // Feishu keeps one part in flight: that one goes again, plus at most the one whose
    // acknowledgement was still being written when the page closed.
    assert(done.counters.bytesResent <= 2 * env.blockSize, `re-sent ${String(done.counters.bytesResent)} bytes`);
    equal(done.counters.bytesRehashed, 0, 'bytes re-hashed');
    assert(done.counters.bytesSent - done.counters.bytesResent === file.size, 'every byte went out once, besides re-sends');
    assert(partsBefore >= 3, 'it resumed from where the closed page stopped');
    assert(done.history.some((e) => /first part request \d+ ms after the file came back/.test(e.note ?? '')), 'latency noted');
    equal(h.root.querySelector('[part~="resume-notice"]'), null, 'no notice once nothing waits');
  });

  it('without a stored file handle, Resume on a restored upload opens the file picker (the fallback where File System Access is missing)', async () => {
    const file = randomFile(16 * env.blockSize);
    const tab = await openTab(env);
    // A drop: Chromium may offer a handle for it, other browsers cannot; a synthetic drop has none.
    const transfer = new DataTransfer();
    transfer.items.add(file);
    const zone = tab.element.shadowRoot?.querySelector('[part~="drop-zone"]');
    assert(zone !== undefined && zone !== null, 'drop zone');
    zone.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, composed: true, dataTransfer: transfer }));
    await closeMidUpload(tab, file.name, 2);

    const h = await newPage();
    await h.waitFor('the restored upload', () => upload(h.element, file.name)?.waitingFor !== undefined);
    equal(upload(h.element, file.name)?.waitingFor, 'file', 'waits for the file');
    let pickerOpened = 0;
    h.input.addEventListener('click', (event) => {
      pickerOpened += 1;
      event.preventDefault();
    });
    h.row(file.name).button('resume')?.click();
    equal(pickerOpened, 1, 'Resume opened the picker');
    await h.choose([file]);
    await h.waitForStatus(file.name, 'done');
    equal(await storedSha1(env, upload(h.element, file.name)?.result?.fileToken ?? ''), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored file');
  });

  it('with a stored file handle, resumes after a reload with at most one permission request and no re-pick (where the browser can store handles)', async () => {
    const storage = navigator.storage as Partial<StorageManager> | undefined;
    const hasOriginPrivateFiles = typeof storage?.getDirectory === 'function';
    const bytes = randomBytes(16 * env.blockSize);
    const name = `handle-${String(Date.now())}.bin`;
    let handle: PersistentFileHandle | undefined;
    if (hasOriginPrivateFiles) {
      try {
        const root = await navigator.storage.getDirectory();
        const fileHandle = await root.getFileHandle(name, { create: true });
        const writable = await fileHandle.createWritable();
        await writable.write(bytes);
        await writable.close();
        handle = fileHandle;
      } catch {
        handle = undefined; // origin-private files cannot be written here: test the fallback only
      }
    }
    const storable = handle !== undefined && (() => {
      try {
        structuredClone(handle);
        return true;
      } catch {
        return false;
      }
    })();
    // Where the File System Access API exists (Chromium), handles must be kept; elsewhere either way is fine.
    if ('showOpenFilePicker' in globalThis) assert(storable, 'this browser has File System Access, so the handle path is taken');
    const file = handle === undefined ? new File([bytes], name, { lastModified: Date.now() }) : await handle.getFile();

    const tab = await openTab(env);
    if (handle !== undefined) await tab.element.addFileHandles([handle]);
    else tab.element.addFiles([file]);
    await closeMidUpload(tab, name, 2);

    // Count permission requests on the handles this page reads back from IndexedDB.
    const proto = (globalThis as { FileSystemHandle?: { prototype: { requestPermission?: (d: unknown) => Promise<string> } } }).FileSystemHandle?.prototype;
    const original = proto?.requestPermission;
    let requests = 0;
    if (proto !== undefined && original !== undefined) {
      proto.requestPermission = function requestPermission(this: unknown, descriptor: unknown): Promise<string> {
        requests += 1;
        return original.call(this, descriptor);
      };
    }
    try {
      const h = await newPage();
      await h.waitFor('the restored upload', () => upload(h.element, name)?.waitingFor !== undefined);
      if (storable) {
        equal(upload(h.element, name)?.waitingFor, 'permission', 'waits for permission, not for a re-pick');
        equal(h.row(name).element.querySelector('[part~="file-notice"]')?.textContent?.trim(), 'Press Resume to continue (the browser may ask to read the file)', 'row notice');
        h.row(name).button('resume')?.click();
      } else {
        // This browser cannot keep handles in IndexedDB (or has no File System Access): re-pick.
        equal(upload(h.element, name)?.waitingFor, 'file', 'falls back to choosing the file again');
        await h.choose([file]);
      }
      await h.waitForStatus(name, 'done');
      const done = upload(h.element, name);
      equal(await storedSha1(env, done?.result?.fileToken ?? ''), await sha1Hex(bytes.buffer), 'SHA-1 of the stored file');
      assert(requests <= 1, `at most one permission request (${String(requests)})`);
      equal(done?.counters.bytesRehashed, 0, 'bytes re-hashed');
    } finally {
      if (proto !== undefined && original !== undefined) proto.requestPermission = original;
      if (hasOriginPrivateFiles) await navigator.storage.getDirectory().then((root) => root.removeEntry(name)).catch(() => undefined);
    }
  });

  it('says resume after a reload is unavailable when IndexedDB is missing, and still uploads', async () => {
    const own = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB');
    Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true, writable: true });
    try {
      const h = await newPage();
      const file = randomFile(2 * env.blockSize + 5);
      await h.choose([file]);
      await h.waitForStatus(file.name, 'done');
      await h.waitFor('the storage notice', () => h.root.querySelector('[part~="storage-notice"]') !== null);
      equal(h.root.querySelector('[part~="storage-notice"]')?.textContent?.trim(), 'Browser storage is unavailable or full: uploads cannot continue after a reload', 'notice');
      equal(await storedSha1(env, upload(h.element, file.name)?.result?.fileToken ?? ''), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored file');
    } finally {
      if (own !== undefined) Object.defineProperty(globalThis, 'indexedDB', own);
      else delete (globalThis as { indexedDB?: unknown }).indexedDB;
    }
  });

  it('clearStoredUploads() forgets the uploads waiting for their files', async () => {
    const file = randomFile(16 * env.blockSize);
    const tab = await openTab(env);
    tab.element.addFiles([file]);
    await closeMidUpload(tab, file.name, 2);
    const h = await newPage();
    await h.waitFor('the restored upload', () => upload(h.element, file.name) !== undefined);
    await h.element.clearStoredUploads();
    equal(h.rows.length, 0, 'rows');
    equal(h.root.querySelector('[part~="resume-notice"]'), null, 'notice');
    h.remove();
    harness = undefined;
    const again = await newPage();
    await new Promise((resolve) => setTimeout(resolve, 300));
    equal(again.rows.length, 0, 'nothing restored after another reload');
  });
});
