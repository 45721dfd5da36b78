// What the demo page needs to know about the servers around it. `npm start` picks the
// ports, vite.config.ts serves this as JSON, demo/main.ts reads it. Types and plain
// data only, so both the browser and Node import it.
import type { ProviderName } from '../src/core/provider-name.js';

/** Where the page fetches its configuration (served by the Vite plugin in vite.config.ts). */
export const DEMO_CONFIG_PATH = '/demo-config.json';

/** Same-origin prefix Vite proxies to the emulator, so the admin routes need no CORS. */
export const EMULATOR_PROXY_PREFIX = '/__emulator';

/** Default ports of `npm run emulator` and `npm run server` (the brief of issue 3). */
export const DEFAULT_EMULATOR_PORT = 8787;
export const DEFAULT_SERVER_PORT = 8788;
/** Default port of the demo page (Vite's own default). */
export const DEFAULT_DEMO_PORT = 5173;

/** The demo page's view of the stack. */
export interface DemoConfig {
  /** The element's `endpoint`: base URL of the token-vending backend's protocol routes. */
  endpoint: string;
  /** Base URL of the emulator (shown on the page). */
  emulatorUrl: string;
  /** Initial `provider`. */
  provider: ProviderName;
  /** Initial `target`: a folder the emulator knows. */
  target: string;
  /** The emulator's fault admin route, as the page reaches it (GET/PUT JSON). */
  faultsUrl: string;
  /** Route glob of the part uploads in the emulator's fault config. */
  partRoute: string;
  /**
   * Sensible `target` per provider, put in the target field when the provider selector
   * changes (a Feishu folder token is no S3 key prefix). Providers not listed keep the field.
   */
  targets?: Partial<Record<ProviderName, string>>;
  /** Route glob of the part uploads per provider, for the fault form; others use `partRoute`. */
  partRoutes?: Partial<Record<ProviderName, string>>;
  /**
   * Download URL of a stored file in the emulator, `{fileToken}` replaced; used only when
   * the upload result carries no `downloadUrl` of its own. Empty = no link.
   */
  emulatorDownloadTemplate: string;
}

/** Folder token the emulator knows when EMULATOR_FEISHU_PARENTS is not set (docs/emulator.md defaults). */
export const DEFAULT_DEMO_FOLDER = 'fldemulatorroot';

/** Key prefix S3 uploads go under in the demo (any prefix works: S3 has no folders to create). */
export const DEFAULT_DEMO_S3_PREFIX = 'demo-uploads';

/** PDS folder (`parent_file_id`) the demo uploads into: the drive's root, which always exists. */
export const DEFAULT_DEMO_PDS_FOLDER = 'root';

/** COS legacy directory the demo uploads into (any path works: COS legacy creates no folders for slices). */
export const DEFAULT_DEMO_COS_DIR = '/demo-uploads';

/** What the page assumes when no dev server tells it otherwise (`npm run emulator` + `npm run server`). */
export const DEFAULT_DEMO_CONFIG: DemoConfig = {
  endpoint: `http://127.0.0.1:${String(DEFAULT_SERVER_PORT)}/`,
  emulatorUrl: `http://127.0.0.1:${String(DEFAULT_EMULATOR_PORT)}`,
  provider: 'feishu',
  target: DEFAULT_DEMO_FOLDER,
  faultsUrl: `http://127.0.0.1:${String(DEFAULT_EMULATOR_PORT)}/__emulator/faults`,
  partRoute: 'feishu.*.upload_part',
  targets: { s3: DEFAULT_DEMO_S3_PREFIX, pds: DEFAULT_DEMO_PDS_FOLDER, 'cos-legacy': DEFAULT_DEMO_COS_DIR },
  partRoutes: { s3: 's3.UploadPart', pds: 'pds.oss.put_part', 'cos-legacy': 'cos-legacy.upload_slice_data' },
  emulatorDownloadTemplate: '',
};
