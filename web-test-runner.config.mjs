// Browser suites: real Chromium, Firefox ESR and WebKitGTK (whichever are installed, or
// BROWSERS=chromium,firefox,webkit), real Workers and IndexedDB. TypeScript is compiled by
// esbuild on the fly. The backend plugin starts the emulator + backend the suites upload to.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { browserLaunchers } from './scripts/browser-launchers.mjs';
import { testBackendPlugin } from './test/support/wtr-backend-plugin.mjs';

export default {
  files: 'test/browser/**/*.test.ts',
  nodeResolve: true,
  concurrency: 1,
  concurrentBrowsers: 1,
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' }), testBackendPlugin()],
  browsers: await browserLaunchers(),
  testFramework: { config: { timeout: 30000 } },
  browserStartTimeout: 60000,
  testsStartTimeout: 60000,
  testsFinishTimeout: 600000,
};
