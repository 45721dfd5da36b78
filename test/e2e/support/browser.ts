// Chromium for e2e tests: Debian's where installed, else Playwright's own.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumLaunchOptions } from '../../../scripts/chromium-path.mjs';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch(chromiumLaunchOptions());
}

/** A persistent profile (user data dir), so a "browser restart" keeps IndexedDB. */
export async function launchPersistent(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, chromiumLaunchOptions());
}

/** Wait until `predicate` (run in the page) returns a truthy value; returns it. */
export async function waitInPage<T>(page: Page, predicate: () => T, timeoutMs = 120_000, pollMs = 100): Promise<T> {
  const handle = await page.waitForFunction(predicate, undefined, { timeout: timeoutMs, polling: pollMs });
  return handle.jsonValue();
}
