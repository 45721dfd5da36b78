// Drives a framework demo page (demo/react.html, demo/vue.html): picks files through the
// element, changes the app's state through its own form, and reads the app's own DOM
// (the list the app renders from the element's events), so tests read as behaviour.
import type { Browser, Page } from 'playwright-core';
import { pickFiles } from './demo-page.js';

/** A row of the app's list, as the app rendered it. */
export interface FrameworkAppRow {
  /** The file name, as the row's text shows it. */
  name: string;
  /** `data-status`: the upload status the app last heard of. */
  status: string;
  /** `data-stored`: file token / id / key the app got from `upload-success`, or ''. */
  stored: string;
  /** The row's whole text. */
  text: string;
}

/** What the element itself holds, read through its public properties. */
export interface FrameworkElementState {
  /** The same element (node identity) the page had when `rememberElement()` was called. */
  same: boolean;
  lang: string | null;
  chunkSize: number | undefined;
  uploads: { name: string; status: string }[];
  /** Rows the element renders in its shadow root. */
  shadowRows: number;
}

/**
 * One framework demo page in a fresh browser context.
 *
 * @example
 * const app = await FrameworkPage.open(browser, `${stack.pageUrl}demo/react.html`);
 * await app.pick(file.path);
 * const row = await app.waitForRow(name, 'done');
 */
export class FrameworkPage {
  readonly page: Page;
  /** `alert`/`confirm`/`prompt` dialogs the page opened (an injected onerror handler would). */
  readonly dialogs: string[] = [];

  private constructor(page: Page) {
    this.page = page;
    page.on('dialog', (dialog) => {
      this.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  }

  /** Open `url` and wait until the app rendered the element (defined) and its empty list. */
  static async open(browser: Browser, url: string): Promise<FrameworkPage> {
    const app = new FrameworkPage(await browser.newPage());
    await app.page.goto(url);
    await app.page.waitForFunction(() => customElements.get('cloud-chunk-uploader') !== undefined && document.querySelector('#app cloud-chunk-uploader') !== null, undefined, {
      timeout: 60_000,
    });
    await app.page.locator('#app-empty').waitFor({ timeout: 60_000 });
    return app;
  }

  /** Pick files through the element's own file input. */
  async pick(paths: string | string[]): Promise<void> {
    await pickFiles(this.page, paths);
  }

  /** Change app state through the app's own form controls (the app re-renders). */
  async setLang(lang: 'en' | 'zh-CN'): Promise<void> {
    await this.page.selectOption('#lang', lang);
  }

  /** Part size in bytes, or undefined for the provider's default. */
  async setChunkSize(bytes: number | undefined): Promise<void> {
    await this.page.selectOption('#chunk-size', String(bytes ?? ''));
  }

  /** The app's own list, in its order. */
  async rows(): Promise<FrameworkAppRow[]> {
    return this.page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>('#app-uploads .app-upload'), (li) => ({
        name: li.querySelector('.app-upload-name')?.textContent ?? '',
        status: li.dataset['status'] ?? '',
        stored: li.dataset['stored'] ?? '',
        text: li.textContent ?? '',
      })),
    );
  }

  /** Wait until the app shows a row for `name` whose status is one of `statuses`; returns that row. */
  async waitForRow(name: string, statuses: string | readonly string[], timeoutMs = 120_000): Promise<FrameworkAppRow> {
    const wanted = typeof statuses === 'string' ? [statuses] : [...statuses];
    try {
      await this.page.waitForFunction(
        ([n, s]) =>
          Array.from(document.querySelectorAll<HTMLElement>('#app-uploads .app-upload')).some(
            (li) => li.querySelector('.app-upload-name')?.textContent === n && s.includes(li.dataset['status'] ?? ''),
          ),
        [name, wanted] as const,
        { timeout: timeoutMs, polling: 50 },
      );
    } catch (error) {
      // Say where the app stood, so a timeout is diagnosable from the log alone.
      throw new Error(`the app never showed ${JSON.stringify(name)} as ${wanted.join(' | ')}; its rows: ${JSON.stringify(await this.rows())}`, { cause: error });
    }
    const row = (await this.rows()).find((r) => r.name === name && wanted.includes(r.status));
    if (row === undefined) throw new Error(`row for ${JSON.stringify(name)} vanished`);
    return row;
  }

  /** Note the element node now on the page, for `element().same` after re-renders. */
  async rememberElement(): Promise<void> {
    await this.page.evaluate(() => {
      (window as unknown as { e2eUploader?: Element | null }).e2eUploader = document.querySelector('cloud-chunk-uploader');
    });
  }

  /** The element's own state, through its public properties and its shadow root. */
  async element(): Promise<FrameworkElementState> {
    return this.page.evaluate(() => {
      const el = document.querySelector('cloud-chunk-uploader');
      if (el === null) throw new Error('no <cloud-chunk-uploader> on the page');
      return {
        same: (window as unknown as { e2eUploader?: Element | null }).e2eUploader === el,
        lang: el.getAttribute('lang'),
        chunkSize: el.chunkSize,
        uploads: el.uploads.map((u) => ({ name: u.name, status: u.status })),
        shadowRows: el.shadowRoot?.querySelectorAll('[part~="file-row"]').length ?? 0,
      };
    });
  }

  /** Elements of `selector` in the page's light DOM and in the element's shadow root. */
  async count(selector: string): Promise<number> {
    return this.page.evaluate(
      (s) => document.querySelectorAll(s).length + (document.querySelector('cloud-chunk-uploader')?.shadowRoot?.querySelectorAll(s).length ?? 0),
      selector,
    );
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}
