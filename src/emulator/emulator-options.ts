import type { FeishuEmulatorOptions } from './feishu/feishu-config.js';
import type { FeishuEmulator } from './feishu/feishu-emulator.js';
import type { CosLegacyEmulatorOptions } from './cos-legacy/cos-legacy-config.js';
import type { CosLegacyEmulator } from './cos-legacy/cos-legacy-emulator.js';
import type { FaultConfig, FaultController } from './infra/fault-controller.js';
import type { PdsEmulatorOptions } from './pds/pds-config.js';
import type { PdsEmulator } from './pds/pds-emulator.js';
import type { S3EmulatorOptions } from './s3/s3-config.js';
import type { S3Emulator } from './s3/s3-emulator.js';
import type { RequestLog } from './infra/request-log.js';

/** Default listening port of `npm run emulator` (env `EMULATOR_PORT`). */
export const EMULATOR_DEFAULT_PORT = 8787;
/** Default bind address; the emulator is for local tests only. */
export const EMULATOR_DEFAULT_HOST = '127.0.0.1';

/** How to start an emulator (docs/emulator.md). */
export interface EmulatorOptions {
  /** Default {@link EMULATOR_DEFAULT_HOST}. */
  host?: string;
  /** Default {@link EMULATOR_DEFAULT_PORT}; 0 = a random free port. */
  port?: number;
  /** Created on start; blobs and metadata live here, never a whole file in memory. */
  dataDir: string;
  /**
   * Feishu/Lark settings (see `FeishuEmulatorConfig`): appId, appSecret, parents, blockSize
   * (default 4 MiB), rateLimit `{ qps: 5, perDay: 10000, enabled: true, mode: 'drive' }`,
   * tokenTtlSec 7200, uploadIdTtlMs 24 h, cors false, …
   */
  feishu?: FeishuEmulatorOptions;
  /**
   * Aliyun PDS settings (see `PdsEmulatorConfig`): domainId `emulator`, driveId `1`,
   * accessToken `pds-emulator-access-token`, parents `['root']`, urlTtlSec 900,
   * uploadTtlMs 10 days, minPartSize 100 KiB, parallelUpload true, exposeEtag true, jwtApp, …
   */
  pds?: PdsEmulatorOptions;
  /**
   * Tencent COS legacy (files/v2) settings (see `CosLegacyEmulatorConfig`): appId, bucket,
   * secretId, secretKey, sliceSizes (512K/1M/2M/3M), forceSliceSize, sessionTtlMs 24 h,
   * cors `{ enabled: true, origins: ['*'], exposeEtag: true }`, rateLimit (off), …
   */
  cosLegacy?: CosLegacyEmulatorOptions;
  /**
   * S3-compatible settings (see `S3EmulatorConfig`), served on a second listener (path-style
   * `{s3Url}/{bucket}/{key}`): port 9000 (0 when `port` is 0; a free port when 9000 is taken and
   * no port was asked for — read `s3Url`), region `us-east-1`, buckets
   * `['ccu-uploads']`, accessKeyId `EMULATORS3ACCESSKEY1`, secretAccessKey
   * `emulator-s3-secret-key`, minPartSize 5 MiB, maxParts 10000, cors
   * `{ enabled: true, allowedOrigins: ['*'], exposeEtag: true }`, temporaryCredentials [], …
   */
  s3?: S3EmulatorOptions;
  /** Injected faults; off by default. */
  faults?: FaultConfig;
  /** Base clock in ms since the epoch; default `Date.now`. */
  now?: () => number;
}

/** A started emulator. */
export interface RunningEmulator {
  /** e.g. `http://127.0.0.1:43123` */
  url: string;
  port: number;
  /** Stops the server (cutting open connections) and flushes state. */
  close(): Promise<void>;
  /** Fault config at run time. */
  faults: FaultController;
  /** Requests handled so far: `{ at, method, path, route, status, code?, bytesIn, fault?, host? }`. */
  log: RequestLog;
  /** Emulator time; `advance(ms)` moves it forward (token and upload-id expiry). */
  clock: { now(): number; advance(ms: number): void };
  /** The Feishu/Lark flavour: live config, `expireUploads()`, `setRateLimit()`, `files()`, `tenantToken()`. */
  feishu: FeishuEmulator;
  /** The Aliyun PDS flavour: live config, `expireUrls()`, `expireUploads()`, `updateSettings()`, `files()`, `issueToken()`. */
  pds: PdsEmulator;
  /** The COS legacy flavour: live config, `files()`, `sessions()`, `expireSessions()`, `setCors()`, `setRateLimit()`. */
  cosLegacy: CosLegacyEmulator;
  /** The S3 listener, e.g. `http://127.0.0.1:9000` (path-style: `${s3Url}/${bucket}/${key}`). */
  s3Url: string;
  /** The S3 flavour: live config, `setCors()`, `expirePresignedUrls()`, `expireUploads()`, `objects()`, `readObject()`. */
  s3: S3Emulator;
}

