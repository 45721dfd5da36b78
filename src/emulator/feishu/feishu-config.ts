import { positiveInt } from '../infra/positive-int.js';

/** Feishu platform block size: "平台固定以 4MB 的大小对文件进行分片" (cloud-apis.md §1.3). */
export const FEISHU_BLOCK_SIZE = 4 * 1024 * 1024;
/** Tenant token lifetime: 2 h (cloud-apis.md §1.10). */
export const FEISHU_TOKEN_TTL_SEC = 7200;
/** A new tenant token is issued only when the current one has less than 30 min left (§1.10). */
export const FEISHU_TOKEN_REISSUE_WINDOW_SEC = 1800;
/** upload_id / progress lifetime: 24 h (§1.3, §1.12). */
export const FEISHU_UPLOAD_ID_TTL_MS = 24 * 60 * 60 * 1000;
/** Upload endpoints: 5 QPS per app (§1.8). */
export const FEISHU_UPLOAD_QPS = 5;
/** Upload endpoints: 10 000 calls per day per app (§1.8). */
export const FEISHU_UPLOAD_PER_DAY = 10_000;
/** `upload_all` size ceiling: 20 MB = 20971520 bytes (§1.6). */
export const FEISHU_UPLOAD_ALL_MAX_BYTES = 20_971_520;
/** `file_name` at most 250 characters (§1.3). */
export const FEISHU_FILE_NAME_MAX = 250;
/** At most 1500 children in one folder → 1062507 (§1.12). */
export const FEISHU_FOLDER_CHILD_LIMIT = 1500;

/** Rate limiting of the upload endpoints. */
export interface FeishuRateLimitConfig {
  /** Per app and endpoint; default {@link FEISHU_UPLOAD_QPS}. */
  qps: number;
  /** Per app and endpoint per day; default {@link FEISHU_UPLOAD_PER_DAY}. */
  perDay: number;
  /** Default true; tests turn it off to go fast. */
  enabled: boolean;
  /**
   * `drive` (default): `1061045` with HTTP 200, as drive documents (§1.8, §1.9).
   * `gateway`: HTTP 429 `99991400` with `x-ogw-ratelimit-limit` / `x-ogw-ratelimit-reset`.
   */
  mode: 'drive' | 'gateway';
}

/** Everything the Feishu/Lark flavour can be configured with. */
export interface FeishuEmulatorConfig {
  /** The one app the emulator knows; default `cli_emulator`. */
  appId: string;
  /** Its secret; default `emulator-secret`. */
  appSecret: string;
  /**
   * Folder and document tokens that exist (parent_node values accepted by both APIs);
   * default `['fldemulatorroot', 'doxemulatordoc']`.
   */
  parents: string[];
  /** Server-dictated `block_size` (bytes); default {@link FEISHU_BLOCK_SIZE}. */
  blockSize: number;
  rateLimit: FeishuRateLimitConfig;
  /** Tenant token lifetime (s); default {@link FEISHU_TOKEN_TTL_SEC}. */
  tokenTtlSec: number;
  /** Reissue window (s); default {@link FEISHU_TOKEN_REISSUE_WINDOW_SEC}. */
  tokenReissueWindowSec: number;
  /** upload_id lifetime (ms); default {@link FEISHU_UPLOAD_ID_TTL_MS}. */
  uploadIdTtlMs: number;
  /** Send CORS headers on `/open-apis` routes; default false (§1.11: none observed). */
  cors: boolean;
  /** Largest file prepare accepts before `1061043`; default 20 GiB (real value depends on edition, §1.12). */
  maxFileSize: number;
  /** Children per folder before `1062507`; default {@link FEISHU_FOLDER_CHILD_LIMIT}. */
  folderChildLimit: number;
}

/** Partial config with a partial rate limit, as {@link EmulatorOptions.feishu} accepts. */
export type FeishuEmulatorOptions = Partial<Omit<FeishuEmulatorConfig, 'rateLimit'>> & { rateLimit?: Partial<FeishuRateLimitConfig> };

const DEFAULTS: FeishuEmulatorConfig = {
  appId: 'cli_emulator',
  appSecret: 'emulator-secret',
  parents: ['fldemulatorroot', 'doxemulatordoc'],
  blockSize: FEISHU_BLOCK_SIZE,
  rateLimit: { qps: FEISHU_UPLOAD_QPS, perDay: FEISHU_UPLOAD_PER_DAY, enabled: true, mode: 'drive' },
  tokenTtlSec: FEISHU_TOKEN_TTL_SEC,
  tokenReissueWindowSec: FEISHU_TOKEN_REISSUE_WINDOW_SEC,
  uploadIdTtlMs: FEISHU_UPLOAD_ID_TTL_MS,
  cors: false,
  maxFileSize: 20 * 1024 ** 3,
  folderChildLimit: FEISHU_FOLDER_CHILD_LIMIT,
};
/** Documented defaults (docs/emulator.md). */
export const FEISHU_DEFAULTS: Readonly<FeishuEmulatorConfig> = Object.freeze(DEFAULTS);

/** Fills defaults and checks values. Throws RangeError on nonsense. */
export function resolveFeishuConfig(options: FeishuEmulatorOptions = {}): FeishuEmulatorConfig {
  const rateLimit = { ...FEISHU_DEFAULTS.rateLimit, ...options.rateLimit };
  const config: FeishuEmulatorConfig = {
    ...FEISHU_DEFAULTS,
    ...options,
    parents: [...(options.parents ?? FEISHU_DEFAULTS.parents)],
    rateLimit,
  };
  positiveInt('feishu.blockSize', config.blockSize);
  positiveInt('feishu.tokenTtlSec', config.tokenTtlSec);
  positiveInt('feishu.uploadIdTtlMs', config.uploadIdTtlMs);
  positiveInt('feishu.maxFileSize', config.maxFileSize);
  positiveInt('feishu.folderChildLimit', config.folderChildLimit);
  if (!Number.isSafeInteger(config.tokenReissueWindowSec) || config.tokenReissueWindowSec < 0) throw new RangeError('feishu.tokenReissueWindowSec must be an integer >= 0');
  if (!(rateLimit.qps > 0)) throw new RangeError('feishu.rateLimit.qps must be > 0');
  positiveInt('feishu.rateLimit.perDay', rateLimit.perDay);
  if (rateLimit.mode !== 'drive' && rateLimit.mode !== 'gateway') throw new RangeError('feishu.rateLimit.mode must be "drive" or "gateway"');
  if (!config.appId || !config.appSecret) throw new RangeError('feishu.appId and feishu.appSecret must be non-empty');
  return config;
}
