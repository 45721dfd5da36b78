// Browser suites: real Chromium (and Firefox ESR / WebKitGTK when BROWSERS asks for them),
// real Workers and IndexedDB. TypeScript is compiled by esbuild on the fly.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { chromiumLaunchOptions } from './scripts/chromium-path.mjs';
import { testBackendPlugin } from './test/support/wtr-backend-plugin.mjs';

export default {
  files: 'test/browser/**/*.test.ts',
  nodeResolve: true,
  concurrency: 1,
  concurrentBrowsers: 1,
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' }), testBackendPlugin()],
  browsers: [playwrightLauncher({ product: 'chromium', launchOptions: chromiumLaunchOptions() })],
  testFramework: { config: { timeout: 30000 } },
  testsFinishTimeout: 300000,
};
