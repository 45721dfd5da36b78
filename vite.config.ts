// Vite: the demo page's dev server (`npm start`, or `npx vite` beside `npm run emulator`
// and `npm run server`) and `vite build`. The page learns where the backend and the
// emulator are from /demo-config.json, which the plugin below serves.
import { join } from 'node:path';
import { defineConfig, type Plugin, type UserConfig } from 'vite';
import {
  DEFAULT_DEMO_CONFIG,
  DEFAULT_DEMO_PORT,
  DEFAULT_EMULATOR_PORT,
  DEFAULT_SERVER_PORT,
  DEMO_CONFIG_PATH,
  EMULATOR_PROXY_PREFIX,
  type DemoConfig,
} from './demo/demo-config.js';

/** What the dev server needs beyond the page's config. */
export interface DemoServerOptions {
  /** Port of the page; 0 = any free port. */
  port: number;
  host: string;
  /** The page's configuration, served as JSON. */
  demo: DemoConfig;
  /** Hot reload on source edits (DEMO_HMR=off turns it off, e.g. for e2e runs, where a reload would lose the page mid-upload). */
  hmr: boolean;
}

/**
 * Serve the page's configuration as JSON (dev server and `vite preview`). Read per request:
 * `npm start` fills in the backend URL after the page's port is bound.
 */
function demoConfigPlugin(demo: DemoConfig): Plugin {
  const serve = (req: { url?: string }, res: { setHeader(n: string, v: string): void; end(b: string): void }, next: () => void): void => {
    if (req.url?.split('?')[0] !== DEMO_CONFIG_PATH) {
      next();
      return;
    }
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.end(JSON.stringify(demo));
  };
  return {
    name: 'ccu-demo-config',
    configureServer(server) {
      server.middlewares.use(serve);
    },
    configurePreviewServer(server) {
      server.middlewares.use(serve);
    },
  };
}

/** Demo options from the environment `npm start` documents (PORT, SERVER_PORT, EMULATOR_PORT...). */
export function demoServerOptionsFromEnv(env: NodeJS.ProcessEnv): DemoServerOptions {
  const host = '127.0.0.1';
  const serverPort = Number(env['SERVER_PORT'] ?? DEFAULT_SERVER_PORT);
  const emulatorPort = Number(env['EMULATOR_PORT'] ?? DEFAULT_EMULATOR_PORT);
  const emulatorUrl = `http://${host}:${String(emulatorPort)}`;
  const target = env['EMULATOR_FEISHU_PARENTS']?.split(',')[0]?.trim();
  return {
    port: Number(env['PORT'] ?? DEFAULT_DEMO_PORT),
    host,
    hmr: env['DEMO_HMR'] !== 'off',
    demo: {
      ...DEFAULT_DEMO_CONFIG,
      endpoint: `http://${host}:${String(serverPort)}/`,
      emulatorUrl,
      target: target !== undefined && target !== '' ? target : DEFAULT_DEMO_CONFIG.target,
      faultsUrl: `${EMULATOR_PROXY_PREFIX}/faults`,
    },
  };
}

/**
 * The whole Vite config for given ports and URLs; `npm start` calls this with the ports it
 * bound, the default export with the environment's.
 */
export function createDemoViteConfig(options: DemoServerOptions): UserConfig {
  return {
    root: import.meta.dirname,
    // No .env loading or public dir magic: everything the page needs comes from the plugin.
    envDir: false,
    publicDir: false,
    plugins: [demoConfigPlugin(options.demo)],
    server: {
      host: options.host,
      port: options.port,
      strictPort: true,
      hmr: options.hmr,
      ...(options.hmr ? {} : { watch: null }),
      // The fault controls talk to the emulator's admin routes through the page's own origin.
      proxy: { [EMULATOR_PROXY_PREFIX]: { target: options.demo.emulatorUrl, changeOrigin: true } },
    },
    preview: { host: options.host, port: options.port, strictPort: true },
    // Pre-bundle every dependency up front, including the hash worker's, so Vite never
    // discovers one mid-upload and reloads the page.
    // React and Vue are the framework demo pages' (demo/react.html, demo/vue.html).
    optimizeDeps: {
      include: ['lit', 'lit/directives/class-map.js', 'lit/directives/repeat.js', 'lit/directives/style-map.js', 'comlink', 'hash-wasm', 'react', 'react-dom/client', 'vue'],
    },
    // Vue's bundler build reads these compile-time flags (what @vitejs/plugin-vue would define);
    // the Vue demo page uses the Composition API only.
    define: { __VUE_OPTIONS_API__: 'false', __VUE_PROD_DEVTOOLS__: 'false', __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false' },
    worker: { format: 'es' },
    build: {
      target: 'es2022',
      outDir: 'dist',
      sourcemap: true,
      // Every page, not only index.html (Vite's default input).
      rolldownOptions: {
        input: {
          main: join(import.meta.dirname, 'index.html'),
          react: join(import.meta.dirname, 'demo/react.html'),
          vue: join(import.meta.dirname, 'demo/vue.html'),
        },
      },
    },
  };
}

// Vite loads its config file through a default export; the one default export we keep.
export default defineConfig(() => createDemoViteConfig(demoServerOptionsFromEnv(process.env)));
