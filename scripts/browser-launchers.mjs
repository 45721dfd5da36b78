// Browser launchers for web-test-runner: Chromium through Playwright (Debian's or
// Playwright's own), Firefox ESR through Puppeteer (WebDriver BiDi), and WebKitGTK through
// WebKitWebDriver under a private Xvfb display. Which ones run: BROWSERS=chromium,firefox,webkit
// (default: every one installed on this machine). See docs/testing.md.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { puppeteerLauncher } from '@web/test-runner-puppeteer';
import { webdriverLauncher } from '@web/test-runner-webdriver';
import { chromiumLaunchOptions } from './chromium-path.mjs';

const FIREFOX = ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find((p) => existsSync(p));
const WEBKIT_DRIVER = ['/usr/bin/WebKitWebDriver'].find((p) => existsSync(p));
const MINIBROWSER = ['/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser'].find((p) => existsSync(p));
const XVFB = ['/usr/bin/Xvfb'].find((p) => existsSync(p));

/** Browsers this machine can run, in the order tests run them. */
export function availableBrowsers() {
  return ['chromium', ...(FIREFOX ? ['firefox'] : []), ...(WEBKIT_DRIVER && MINIBROWSER && XVFB ? ['webkit'] : [])];
}

/** The requested browsers (BROWSERS env), else all available. Unknown or missing ones fail loudly. */
export function requestedBrowsers(env = process.env) {
  const wanted = (env.BROWSERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (wanted.length === 0) return availableBrowsers();
  const available = availableBrowsers();
  for (const name of wanted) if (!available.includes(name)) throw new Error(`BROWSERS asks for ${name}, which is not installed here`);
  return wanted;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const children = [];
process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));

async function waitForPort(port, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`WebKitWebDriver did not answer on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Start a private Xvfb display and WebKitWebDriver; they die with this process. */
async function startWebKitDriver() {
  const display = `:${90 + (process.pid % 800)}`;
  children.push(spawn(XVFB, [display, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: 'ignore' }));
  const port = await freePort();
  children.push(spawn(WEBKIT_DRIVER, [`--port=${port}`], { stdio: 'ignore', env: { ...process.env, DISPLAY: display } }));
  await waitForPort(port);
  return port;
}

/** web-test-runner launchers for the requested browsers. */
export async function browserLaunchers(env = process.env) {
  const launchers = [];
  for (const name of requestedBrowsers(env)) {
    if (name === 'chromium') launchers.push(playwrightLauncher({ product: 'chromium', launchOptions: chromiumLaunchOptions() }));
    if (name === 'firefox') {
      launchers.push(puppeteerLauncher({ launchOptions: { browser: 'firefox', executablePath: FIREFOX, headless: true } }));
    }
    if (name === 'webkit') {
      const port = await startWebKitDriver();
      launchers.push(webdriverLauncher({
        automationProtocol: 'webdriver',
        hostname: '127.0.0.1',
        port,
        path: '/',
        logLevel: 'error',
        capabilities: {
          browserName: 'MiniBrowser',
          'wdio:enforceWebDriverClassic': true,
          'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
        },
      }));
    }
  }
  return launchers;
}
