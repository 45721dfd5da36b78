// <cloud-chunk-uploader> with the real engine, provider client and hash pool. When the
// test runner serves a backend + emulator (GET /__test-env), files really upload;
// otherwise the element points at an endpoint nobody listens on.
import { sendKeys } from '@web/test-runner-commands';
import '../../src/element/cloud-chunk-uploader.js';
import type { UploadSnapshot } from '../../src/core/upload-snapshot.js';
import { ElementHarness, NetworkSpy } from '../support/element-harness.js';
import { assert, strictEqual as equal } from '../support/browser-assert.js';
import { specPattern } from '../../src/engine/testing/spec-pattern.js';

/** Port 9 (discard) on loopback: nothing listens, so connections are refused at once. */
const UNREACHABLE = 'http://127.0.0.1:9/';
/** The emulator's default folder (docs/emulator.md) when the test env names none. */
const DEFAULT_TARGET = 'fldemulatorroot';

interface Backend {
  endpoint: string;
  target: string;
  emulatorUrl: string;
}

/** The backend the runner started for us, if any. */
async function findBackend(): Promise<Backend | undefined> {
  try {
    const response = await fetch('/__test-env');
    if (!response.ok) return undefined;
    const env = (await response.json()) as { backendUrl?: string; emulatorUrl?: string; target?: string; folderToken?: string };
    if (typeof env.backendUrl !== 'string' || typeof env.emulatorUrl !== 'string') return undefined;
    return {
      endpoint: env.backendUrl.endsWith('/') ? env.backendUrl : `${env.backendUrl}/`,
      target: env.target ?? env.folderToken ?? DEFAULT_TARGET,
      emulatorUrl: env.emulatorUrl,
    };
  } catch {
    return undefined;
  }
}

/** Deterministic bytes (the spec's T[i] = (7i + 3) mod 256), so stored content can be compared. */
function file(name: string, size: number, type = 'application/octet-stream'): File {
  return new File([specPattern(size)], name, { type });
}

function nextEvent<K extends keyof HTMLElementEventMap>(target: EventTarget, type: K, timeoutMs = 20_000): Promise<HTMLElementEventMap[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${String(timeoutMs)} ms`)), timeoutMs);
    target.addEventListener(type, (event) => {
      clearTimeout(timer);
      resolve(event as HTMLElementEventMap[K]);
    }, { once: true });
  });
}

const HOSTILE_NAMES = [
  '<img src=x onerror=alert(1)>.txt',
  '../../etc/passwd',
  '🎉 party 🦄 émoji 文件.bin',
];
/** 300 characters: Feishu takes at most 250 (specs/cloud-apis.md §1.3), so it must fail clearly. */
const TOO_LONG_NAME = `${'long-name-'.repeat(29)}012345.dat`;

describe('<cloud-chunk-uploader>', () => {
  let backend: Backend | undefined;
  let harness: ElementHarness | undefined;
  let spy: NetworkSpy;

  before(async () => {
    backend = await findBackend();
  });

  beforeEach(() => {
    spy = new NetworkSpy().install();
  });

  afterEach(() => {
    spy.uninstall();
    // Removing the element does not cancel (by design), so cancel to keep tests apart.
    harness?.element.cancel();
    harness?.remove();
    harness = undefined;
  });

  async function create(attributes: Record<string, string | boolean> = {}): Promise<ElementHarness> {
    harness = await ElementHarness.create({ endpoint: backend?.endpoint ?? UNREACHABLE, target: backend?.target ?? DEFAULT_TARGET, ...attributes });
    return harness;
  }

  it('renders a focusable drop zone and a real file input in its shadow root', async () => {
    const h = await create({ multiple: true, accept: '.png,image/*' });
    equal(h.dropZone.getAttribute('role'), 'button', 'drop zone role');
    equal(h.dropZone.tabIndex, 0, 'drop zone tabindex');
    h.dropZone.focus();
    equal(h.root.activeElement, h.dropZone, 'focused element');
    equal(h.input.type, 'file', 'input type');
    equal(h.input.multiple, true, 'multiple forwarded');
    equal(h.input.accept, '.png,image/*', 'accept forwarded');
    h.element.multiple = false;
    h.element.removeAttribute('accept');
    await h.element.updateComplete;
    equal(h.input.multiple, false, 'multiple follows the property');
    equal(h.input.hasAttribute('accept'), false, 'accept removed');
  });

  it('opens the file picker when Enter or Space is pressed on the focused drop zone', async () => {
    const h = await create();
    let clicks = 0;
    // Count the click on the input and keep the real picker closed.
    h.input.addEventListener('click', (event) => {
      clicks += 1;
      event.preventDefault();
    });
    h.dropZone.focus();
    await sendKeys({ press: 'Enter' });
    equal(clicks, 1, 'clicks after Enter');
    // ' ' is the Space key's value in every driver (WebDriver BiDi knows no "Space" name).
    await sendKeys({ press: ' ' });
    equal(clicks, 2, 'clicks after Space');
    await sendKeys({ press: 'a' });
    equal(clicks, 2, 'other keys do not open the picker');
  });

  it('refuses a file above max-file-size before any request and names the limit', async () => {
    const h = await create({ 'max-file-size': '1048576' });
    await h.choose([file('big.bin', 1024 * 1024 + 1)]);
    const row = await h.waitForStatus('big.bin', 'failed');
    equal(row.errorText, 'File is larger than 1 MB', 'error text');
    equal(row.button('retry'), undefined, 'no retry for a refusal');
    equal(spy.to(h.element.endpoint).length, 0, 'requests to the backend');
  });

  it('refuses a file whose type is not in accept, and an empty file, without a request', async () => {
    const h = await create({ accept: '.png,image/*', multiple: true });
    await h.choose([file('notes.txt', 10, 'text/plain'), file('empty.png', 0, 'image/png')]);
    equal((await h.waitForStatus('notes.txt', 'failed')).errorText, 'This file type is not accepted', 'type refusal');
    equal((await h.waitForStatus('empty.png', 'failed')).errorText, 'Empty files cannot be uploaded', 'empty refusal');
    equal(spy.to(h.element.endpoint).length, 0, 'requests to the backend');
  });

  it('renders hostile and unusual file names as text and uploads them', async () => {
    const h = await create({ multiple: true });
    await h.choose([...HOSTILE_NAMES, TOO_LONG_NAME].map((name) => file(name, 1000 + name.length)));
    equal(TOO_LONG_NAME.length, 300, 'long name length');
    for (const name of [...HOSTILE_NAMES, TOO_LONG_NAME]) {
      const row = h.row(name);
      equal(row.name, name, 'rendered name');
      equal(row.nameElement.children.length, 0, `no markup inside the name of ${name}`);
    }
    equal(h.root.querySelectorAll('img').length, 0, '<img> elements in the shadow root');
    if (backend === undefined) return;
    for (const name of HOSTILE_NAMES) {
      const row = await h.waitForStatus(name, 'done', 'failed');
      equal(row.errorText, undefined, `error of ${name}`);
      equal(row.status, 'done', `status of ${name}`);
      assert(h.upload(name)?.result?.fileToken, `file token of ${name}`);
    }
    const long = await h.waitForStatus(TOO_LONG_NAME, 'done', 'failed');
    equal(long.errorText, 'This file name is not allowed', 'a name the provider refuses gets a clear error');
  });

  it('shows a clear per-file error when the backend is unreachable, for every file', async () => {
    const h = await create({ endpoint: UNREACHABLE, multiple: true });
    await h.choose([file('one.bin', 2000), file('two.bin', 3000)]);
    // While the engine retries, the row counts down; once it gives up, it says why.
    const retrying = /^Connection lost — retrying in \d+ s$/;
    await h.waitFor('a retry countdown or the final error', () => h.rows.every((r) => retrying.test(r.errorText ?? '') || r.status === 'failed'));
    for (const name of ['one.bin', 'two.bin']) {
      const row = await h.waitForStatus(name, 'failed');
      equal(row.errorText, 'Cannot reach the upload server', `error of ${name}`);
      assert(row.button('retry') !== undefined, `retry button of ${name}`);
    }
    assert(spy.to(UNREACHABLE).length >= 2, 'the element did try the backend');
  });

  it('keeps uploading the other files when one file fails', async function () {
    if (backend === undefined) this.skip();
    const h = await create({ multiple: true, 'max-file-size': String(64 * 1024) });
    await h.choose([file('too-big.bin', 64 * 1024 + 1), file('fine-1.bin', 5000), file('fine-2.bin', 7000)]);
    equal((await h.waitForStatus('too-big.bin', 'failed')).errorText, 'File is larger than 64 KB', 'refusal');
    equal((await h.waitForStatus('fine-1.bin', 'done', 'failed')).status, 'done', 'fine-1');
    equal((await h.waitForStatus('fine-2.bin', 'done', 'failed')).status, 'done', 'fine-2');
  });

  it('dispatches bubbling, composed events with frozen details that cross shadow roots', async () => {
    // Put the element inside another shadow root: only composed events reach the document.
    const host = document.createElement('div');
    document.body.append(host);
    const shadow = host.attachShadow({ mode: 'open' });
    const element = document.createElement('cloud-chunk-uploader');
    element.endpoint = backend?.endpoint ?? UNREACHABLE;
    element.maxFileSize = 10;
    shadow.append(element);
    harness = new ElementHarness(element);
    try {
      const added = nextEvent(document, 'upload-added');
      const failed = nextEvent(document, 'upload-error');
      element.addFiles([file('eleven.bin', 11)]);
      const addedEvent = await added;
      const errorEvent = await failed;
      for (const event of [addedEvent, errorEvent]) {
        assert(event.bubbles && event.composed, `${event.type} bubbles and is composed`);
        equal(event.target, host, `${event.type} is retargeted to the outer host`);
        assert(Object.isFrozen(event.detail) && Object.isFrozen(event.detail.upload), `${event.type} detail is frozen`);
        assert(Object.isFrozen(event.detail.upload.counters) && Object.isFrozen(event.detail.upload.history), `${event.type} nested data is frozen`);
        let threw = false;
        try {
          (event.detail.upload as { status: string }).status = 'done';
        } catch {
          threw = true;
        }
        assert(threw, 'writing to a frozen snapshot throws in a module');
      }
      equal(addedEvent.detail.upload.name, 'eleven.bin', 'added name');
      equal(errorEvent.detail.upload.error?.code, 'file-too-large', 'error code');
    } finally {
      host.remove();
    }
  });

  it('gives a listener the file token of a stored file on upload-success', async function () {
    if (backend === undefined) this.skip();
    const h = await create();
    const success = nextEvent(h.element, 'upload-success');
    const done = nextEvent(h.element, 'queue-complete');
    await h.choose([file('report.pdf', 300_000, 'application/pdf')]);
    const event = await success;
    assert(typeof event.detail.upload.result?.fileToken === 'string' && event.detail.upload.result.fileToken.length > 0, 'file token');
    equal(event.detail.upload.result.size, 300_000, 'stored size');
    const complete = await done;
    equal(complete.detail.uploads.length, 1, 'queue-complete lists the upload');
    // The stored bytes are the bytes we sent.
    if (event.detail.upload.result.downloadUrl !== undefined) {
      const stored = new Uint8Array(await (await fetch(event.detail.upload.result.downloadUrl)).arrayBuffer());
      const sent = new Uint8Array(await file('report.pdf', 300_000).arrayBuffer());
      equal(stored.length, sent.length, 'downloaded length');
      assert(stored.every((b, i) => b === sent[i]), 'downloaded bytes equal the original');
    }
  });

  it('exposes progress bars with roles, names and values, per file and in total', async () => {
    const h = await create({ 'manual-start': true, multiple: true });
    await h.choose([file('a.bin', 4000), file('b.bin', 6000)]);
    const total = h.totalProgressBar;
    assert(total !== undefined, 'total progress bar');
    for (const bar of [total, ...h.rows.map((r) => r.progressBar)]) {
      equal(bar.getAttribute('role'), 'progressbar', 'role');
      equal(bar.getAttribute('aria-valuemin'), '0', 'min');
      equal(bar.getAttribute('aria-valuemax'), '100', 'max');
      equal(bar.getAttribute('aria-valuenow'), '0', 'value before start');
      assert((bar.getAttribute('aria-label') ?? '').length > 0, 'label');
    }
    equal(h.row('a.bin').progressBar.getAttribute('aria-label'), 'Upload progress of a.bin', 'row label');
    if (backend === undefined) return;
    h.element.start();
    await h.waitForStatus('a.bin', 'done');
    await h.waitForStatus('b.bin', 'done');
    equal(h.row('a.bin').progress, 100, 'row value when done');
    equal(Number(total.getAttribute('aria-valuenow')), 100, 'total value when done');
  });

  it('waits for start() with manual-start, offering a Start button, and then sends', async () => {
    const h = await create({ 'manual-start': true });
    await h.choose([file('later.bin', 5000)]);
    equal(h.row('later.bin').status, 'queued', 'status before start');
    await new Promise((resolve) => setTimeout(resolve, 200));
    equal(spy.to(h.element.endpoint).length, 0, 'requests before start');
    const start = h.startButton;
    assert(start !== undefined, 'start button');
    start.click();
    await h.waitFor('a request to the backend', () => spy.to(h.element.endpoint).length > 0);
    await h.waitFor('the start button to go away', () => h.startButton === undefined);
  });

  it('sends the target and provider current when each file was added', async () => {
    const h = await create({ 'manual-start': true, target: 'fldFirst' });
    await h.choose([file('first.bin', 100)]);
    h.element.target = backend?.target ?? 'fldSecond';
    // No await: a file added right after the change must already use it.
    h.element.addFiles([file('second.bin', 100)]);
    h.element.start();
    await h.waitFor('two session requests', () => spy.to(h.element.endpoint).filter((r) => r.body?.includes('"fileName"')).length >= 2);
    const bodies = spy
      .to(h.element.endpoint)
      .filter((r) => r.body?.includes('"fileName"'))
      .map((r) => JSON.parse(r.body ?? '{}') as { fileName: string; target: string; provider: string });
    equal(bodies.find((b) => b.fileName === 'first.bin')?.target, 'fldFirst', 'first target');
    equal(bodies.find((b) => b.fileName === 'second.bin')?.target, backend?.target ?? 'fldSecond', 'second target');
    assert(bodies.every((b) => b.provider === 'feishu'), 'provider in every request');
  });

  it('hands concurrency and chunk-size to the engine, and applies a later concurrency change', async () => {
    const h = await create({ endpoint: UNREACHABLE, multiple: true, concurrency: '1', 'chunk-size': '65536' });
    await h.choose([file('c1.bin', 100), file('c2.bin', 100)]);
    const active = (status: string): boolean => status === 'preparing' || status === 'uploading';
    await h.waitFor('one active upload', () => h.rows.some((r) => active(r.status)));
    // The unreachable backend keeps the first file retrying for seconds; the second must wait.
    await new Promise((resolve) => setTimeout(resolve, 300));
    equal(h.rows.map((r) => (active(r.status) ? 'active' : r.status)).join(','), 'active,queued', 'one file at a time');
    h.element.concurrency = 2;
    await h.waitFor('the second file to start', () => h.row('c2.bin').status !== 'queued');
    const session = spy.to(UNREACHABLE).find((r) => r.body?.includes('"fileName"'));
    equal((JSON.parse(session?.body ?? '{}') as { partSize?: number }).partSize, 65536, 'chunk-size is the preferred part size');
  });

  it('adds files dropped on the drop zone or pasted into it', async () => {
    const h = await create({ 'manual-start': true, multiple: true });
    await h.drop([file('dropped.bin', 10), file('dropped-2.bin', 10)]);
    await h.paste([file('pasted.bin', 10)]);
    equal(h.rows.map((r) => r.name).join(','), 'dropped.bin,dropped-2.bin,pasted.bin', 'rows');
    // Without `multiple`, a drop adds one file, like the picker would.
    h.element.multiple = false;
    await h.drop([file('one.bin', 10), file('two.bin', 10)]);
    equal(h.rows.length, 4, 'rows after a single-file drop');
  });

  it('announces completions and errors in a polite live region', async () => {
    const h = await create({ 'max-file-size': '100' });
    equal(h.liveRegion.getAttribute('aria-live'), 'polite', 'politeness');
    await h.choose([file('huge.bin', 101)]);
    await h.waitFor('an announcement', () => (h.liveRegion.textContent ?? '').includes('huge.bin'));
    equal(h.liveRegion.textContent?.trim(), 'huge.bin failed: File is larger than 100 B', 'announcement');
    if (backend === undefined) return;
    h.element.removeAttribute('max-file-size');
    await h.element.updateComplete;
    await h.choose([file('small.bin', 100)]);
    await h.waitFor('the success announcement', () => h.liveRegion.textContent?.trim() === 'small.bin uploaded');
  });

  it('speaks Chinese with lang="zh-CN" and follows the document language without one', async () => {
    const h = await create({ lang: 'zh-CN', 'max-file-size': '1048576' });
    equal(h.dropZone.textContent?.trim(), '拖放文件到此处、粘贴，或点击选择', 'drop zone');
    await h.choose([file('大文件.bin', 1024 * 1024 + 1)]);
    const row = await h.waitForStatus('大文件.bin', 'failed');
    equal(row.errorText, '文件大于 1 MB', 'error');
    equal(row.stateText, '失败', 'state');
    equal(row.progressBar.getAttribute('aria-label'), '大文件.bin 的上传进度', 'progress label');
    h.element.lang = 'en';
    await h.element.updateComplete;
    equal(row.errorText, 'File is larger than 1 MB', 'switching lang re-renders');
    const before = document.documentElement.lang;
    try {
      h.element.removeAttribute('lang');
      document.documentElement.lang = 'zh-CN';
      await h.waitFor('the document language', () => h.row('大文件.bin').stateText === '失败');
    } finally {
      document.documentElement.lang = before;
    }
  });

  it('keeps uploading after it is removed from the page', async () => {
    const h = await create();
    const events: string[] = [];
    for (const type of ['upload-cancelled', 'upload-paused', 'upload-success', 'upload-error'] as const) {
      h.element.addEventListener(type, () => events.push(type));
    }
    await h.choose([file('keep-going.bin', backend === undefined ? 1000 : 200_000)]);
    h.remove();
    if (backend !== undefined) {
      await h.waitFor('the upload to finish while detached', () => events.includes('upload-success') || events.includes('upload-error'));
      equal(events.join(','), 'upload-success', 'events while detached');
      return;
    }
    // No backend: the engine keeps trying (it is not cancelled or paused) until it gives up.
    await h.waitFor('the upload to end while detached', () => h.element.uploads.every((u: UploadSnapshot) => u.status === 'failed'), 60_000);
    equal(events.join(','), 'upload-error', 'events while detached');
    assert(spy.to(UNREACHABLE).length >= 1, 'requests made after removal');
  });

  it('ellipsizes a 300-character name without widening the element', async () => {
    const h = await create({ 'manual-start': true });
    h.element.style.width = '320px';
    const name = `${'x'.repeat(296)}.bin`;
    await h.choose([file(name, 10)]);
    const row = h.row(name);
    const hostWidth = h.element.getBoundingClientRect().width;
    assert(row.element.getBoundingClientRect().width <= hostWidth + 0.5, 'row fits inside the element');
    assert(row.nameElement.scrollWidth > row.nameElement.clientWidth, 'name is clipped');
    equal(getComputedStyle(row.nameElement).textOverflow, 'ellipsis', 'text-overflow');
    equal(row.nameElement.title, name, 'full name in the title');
  });

  it('shows only the buttons that apply, each a real button named after its file', async () => {
    const h = await create({ 'manual-start': true, endpoint: UNREACHABLE });
    await h.choose([file('paused.bin', 10)]);
    let row = h.row('paused.bin');
    equal(row.buttons.map((b) => b.dataset['action']).join(','), 'cancel', 'queued: cancel only');
    equal(row.button('cancel')?.getAttribute('aria-label'), 'Cancel paused.bin', 'cancel label');
    h.element.start();
    row = await h.waitForStatus('paused.bin', 'paused', 'preparing', 'uploading', 'failed');
    if (row.status === 'preparing' || row.status === 'uploading') {
      equal(row.buttons.map((b) => b.dataset['action']).join(','), 'pause,cancel', 'running: pause and cancel');
      row.button('pause')?.click();
      row = await h.waitForStatus('paused.bin', 'paused');
    }
    if (row.status === 'paused') {
      equal(row.buttons.map((b) => b.dataset['action']).join(','), 'resume,cancel', 'paused: resume and cancel');
      equal(row.button('resume')?.getAttribute('aria-label'), 'Resume paused.bin', 'resume label');
      row.button('cancel')?.click();
      row = await h.waitForStatus('paused.bin', 'cancelled');
      equal(row.buttons.length, 0, 'cancelled: no buttons');
    }
  });

  it('passes an accessibility check: roles and names of every control', async () => {
    const h = await create({ multiple: true, 'max-file-size': '5', 'manual-start': true });
    await h.choose([file('x.bin', 10), file('y.bin', 3)]);
    await h.waitForStatus('x.bin', 'failed');
    const name = (el: Element): string => (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
    // Drop zone: a keyboard-reachable button whose name is its visible text.
    equal(h.dropZone.getAttribute('role'), 'button', 'drop zone role');
    assert(name(h.dropZone).length > 0, 'drop zone name');
    // The hidden input is out of the tab order and of the accessibility tree.
    equal(h.input.tabIndex, -1, 'input tabindex');
    equal(h.input.getAttribute('aria-hidden'), 'true', 'input hidden from assistive tech');
    // Every button is a real <button type=button> with a name that starts with its visible text.
    const buttons = [...h.root.querySelectorAll('button')];
    assert(buttons.length > 0, 'there are buttons');
    for (const button of buttons) {
      equal(button.type, 'button', 'button type');
      assert(name(button).startsWith(button.textContent?.trim() ?? '\u0000'), `label of ${name(button)} contains its visible text`);
    }
    // No fake buttons: clickable things other than the drop zone are <button>s.
    equal(h.root.querySelectorAll('[role="button"]').length, 1, 'only the drop zone uses role=button');
    // Every progress bar is named; the list is a list with a name; there is one live region.
    for (const bar of h.root.querySelectorAll('[role="progressbar"]')) assert(name(bar).length > 0 && bar.hasAttribute('aria-label'), 'progress bar name');
    const list = h.root.querySelector('ul[part~="file-list"]');
    assert(list !== null && name(list).length > 0 && list.children.length === 2, 'named list with a row per file');
    equal(h.root.querySelectorAll('[aria-live]').length, 1, 'live regions');
    // Focus moves from the drop zone straight to the row buttons.
    h.dropZone.focus();
    await sendKeys({ press: 'Tab' });
    const focused = h.root.activeElement;
    assert(focused instanceof HTMLButtonElement, `Tab from the drop zone reaches a button, not ${String(focused?.tagName)}`);
  });
});
