// Which Chromium the tests drive: Debian's when installed (CI installs it with apt),
// otherwise Playwright's own download (a contributor's laptop after `npx playwright install chromium`).
import { existsSync } from 'node:fs';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Absolute path of a system Chromium, or undefined to let Playwright pick its own. */
export function chromiumPath() {
  return CANDIDATES.find((p) => p && existsSync(p));
}

/** Launch options shared by web-test-runner, e2e tests and benchmarks. */
export function chromiumLaunchOptions(extra = {}) {
  return {
    executablePath: chromiumPath(),
    headless: true,
    // --no-sandbox: CI runs as root; the rest keep Chromium off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync'],
    ...extra,
  };
}
