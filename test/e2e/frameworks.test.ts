// The README's promise "works inside React and Vue apps", end to end: the React 19 and Vue 3
// demo pages bind the element's properties to app state and render their own file list from
// the element's events; the stored bytes must match, and app re-renders must not reset the
// element's uploads.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { startDemoStack, type DemoStack } from './support/demo-stack.js';
import { setFaults } from '../support/emulator-admin.js';
import { downloadFeishuFile, makeRandomFile, type TestFile } from './support/files.js';
import { FrameworkPage } from './support/framework-page.js';

const MiB = 1024 * 1024;

/** Slow parts (Feishu's 4 MiB blocks: 2 of them) so the app's state can change mid-upload. */
const PART_LATENCY_MS = 1500;

const FRAMEWORKS = [
  { name: 'React', path: 'demo/react.html' },
  { name: 'Vue', path: 'demo/vue.html' },
] as const;

describe('the element inside React and Vue apps (demo pages → backend → Feishu emulator)', () => {
  let stack: DemoStack;
  let browser: Browser;
  let file: TestFile;
  let hostile: TestFile;
  const hostileName = '<img src=x onerror=alert(1)>.txt';

  before(async () => {
    [stack, browser, file, hostile] = await Promise.all([
      startDemoStack(),
      launchChromium(),
      makeRandomFile(6 * MiB, 'framework 6MiB ✓.bin'),
      makeRandomFile(2048, hostileName),
    ]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await file?.remove();
    await hostile?.remove();
  });

  for (const framework of FRAMEWORKS) {
    test(`${framework.name}: the app lists a picked 6 MiB file as stored, the bytes match, and re-renders keep the element's upload`, async () => {
      const app = await FrameworkPage.open(browser, `${stack.pageUrl}${framework.path}`);
      const name = 'framework 6MiB ✓.bin';
      await setFaults(stack.emulatorUrl, { routes: { 'feishu.*.upload_part': { latencyMs: PART_LATENCY_MS } } });
      try {
        await app.rememberElement();
        await app.pick(file.path);

        // Mid-upload: the app re-renders with new state; the element takes the new properties
        // and goes on with the same upload.
        await app.waitForRow(name, 'uploading');
        await app.setLang('zh-CN');
        await app.setChunkSize(8 * MiB);
        await app.page.waitForFunction(() => document.querySelector('cloud-chunk-uploader')?.getAttribute('lang') === 'zh-CN');
        const during = await app.element();
        assert.equal(during.same, true, 'the app kept the same element node');
        assert.equal(during.lang, 'zh-CN', 'lang came from app state');
        assert.equal(during.chunkSize, 8 * MiB, 'chunkSize came from app state');
        assert.deepEqual(during.uploads.map((u) => u.name), [name]);
        assert.notEqual(during.uploads[0]?.status, 'done', 'the state changed while the file was still uploading');

        const row = await app.waitForRow(name, ['done', 'failed']);
        assert.equal(row.status, 'done', `upload failed: ${row.text}`);
        assert.ok(row.stored !== '', 'the app got the file token from upload-success');
        assert.ok(row.text.includes(`stored as ${row.stored}`), row.text);
        const stored = await downloadFeishuFile(stack.emulatorUrl, stack.appId, stack.appSecret, row.stored);
        assert.equal(stored.size, file.size);
        assert.equal(stored.sha1, file.sha1);

        // After: more state changes, more renders; the element still holds its finished upload.
        await app.setLang('en');
        await app.setChunkSize(undefined);
        await app.page.waitForFunction(() => document.querySelector('cloud-chunk-uploader')?.getAttribute('lang') === 'en');
        const afterwards = await app.element();
        assert.equal(afterwards.same, true, 'still the same element node');
        // Unbinding a number property: React sets undefined, Vue sets 0 (runtime-dom patchDOMProp
        // turns null/undefined into 0 when the property holds a number); the element reads any
        // non-positive size as "provider default".
        assert.ok(afterwards.chunkSize === undefined || afterwards.chunkSize === 0, `chunkSize is ${String(afterwards.chunkSize)}`);
        assert.deepEqual(afterwards.uploads, [{ name, status: 'done' }]);
        assert.equal(afterwards.shadowRows, 1, 'the element still shows its row');
        assert.deepEqual((await app.rows()).map((r) => [r.name, r.status, r.stored]), [[name, 'done', row.stored]]);
      } finally {
        await setFaults(stack.emulatorUrl, {});
        await app.close();
      }
    });

    test(`${framework.name}: a hostile file name is shown by the app as text, never as markup`, async () => {
      const app = await FrameworkPage.open(browser, `${stack.pageUrl}${framework.path}`);
      try {
        await app.pick(hostile.path);
        const row = await app.waitForRow(hostileName, ['done', 'failed']);
        assert.equal(row.name, hostileName, 'the name is the row text, character for character');
        assert.equal(row.status, 'done', `upload failed: ${row.text}`);
        assert.equal(await app.count('img'), 0, 'no <img> was injected');
        assert.deepEqual(app.dialogs, [], 'no script ran');
        const stored = await downloadFeishuFile(stack.emulatorUrl, stack.appId, stack.appSecret, row.stored);
        assert.equal(stored.sha1, hostile.sha1);
      } finally {
        await app.close();
      }
    });
  }
});
