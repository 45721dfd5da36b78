import { positiveInt } from '../infra/positive-int.js';

/** Presigned part URLs live 15 min by default on PDS (cloud-apis.md §2.5, §2.10). */
export const PDS_URL_TTL_SEC = 15 * 60;
/** Uploaded parts are kept 10 days, then cleaned (seed 003; cloud-apis.md §2.10). */
export const PDS_UPLOAD_TTL_MS = 10 * 24 * 60 * 60 * 1000;
/** At most 10 000 parts per file (cloud-apis.md §2.4, §2.10). */
export const PDS_MAX_PARTS = 10_000;
/** OSS takes parts of at least 100 KB, the last one exempt (cloud-apis.md §2.5, §2.10, §7 "OSS 100 KB"). */
export const PDS_MIN_PART_SIZE = 100 * 1024;
/** Model maximum `part_size` 5368709120 (cloud-apis.md §2.5, §2.10). */
export const PDS_MAX_PART_SIZE = 5_368_709_120;
/** `name` is 1..1024 bytes of UTF-8 (cloud-apis.md §2.4, §2.10). */
export const PDS_NAME_MAX_BYTES = 1024;
/** access_token lifetime "一般有效期2小时" (cloud-apis.md §2.2, §2.10). */
export const PDS_TOKEN_TTL_SEC = 7200;
/** `pre_hash` covers the first 1024 bytes (cloud-apis.md §2.9 item 2). */
export const PDS_PRE_HASH_BYTES = 1024;

/** Rate limiting of the API routes; numeric PDS limits are unconfirmed (cloud-apis.md §2.10), so it is off by default. */
export interface PdsRateLimitConfig {
  /** Requests per second per token and route; default 10. */
  qps: number;
  /** Default false. */
  enabled: boolean;
}

/** A JWT app the `/v2/oauth/token` route accepts (cloud-apis.md §2.2, §7). */
export interface PdsJwtAppConfig {
  /** The app's client_id (JWT `iss`). */
  clientId: string;
  /** PEM (SPKI) RSA public key that verifies the app's RS256 assertions. */
  publicKey: string;
}

/** Everything the PDS flavour can be configured with (docs/emulator.md). */
export interface PdsEmulatorConfig {
  /** `domain_id` in answers and the JWT `aud`; default `emulator` (env PDS_DOMAIN_ID). */
  domainId: string;
  /** The one drive that exists; default `1` (env PDS_DRIVE_ID). */
  driveId: string;
  /** A bearer token that is always valid (never expires); default `pds-emulator-access-token` (env PDS_ACCESS_TOKEN). */
  accessToken: string;
  /** Folder ids that exist as `parent_file_id`; default `['root']`. */
  parents: string[];
  /** Presigned URL lifetime (s); default {@link PDS_URL_TTL_SEC}. */
  urlTtlSec: number;
  /** How long an unfinished upload keeps its parts (ms); default {@link PDS_UPLOAD_TTL_MS}. */
  uploadTtlMs: number;
  /** Smallest non-last part accepted at complete; default {@link PDS_MIN_PART_SIZE}. */
  minPartSize: number;
  /** Largest part accepted; default {@link PDS_MAX_PART_SIZE}. */
  maxPartSize: number;
  /** Whether `parallel_upload: true` is accepted; false → `InvalidParameterNotSupported.ParallelUpload`. Default true. */
  parallelUpload: boolean;
  /** CORS headers on the `/v2` API (cloud-apis.md §7: "PDS API on"); default true. */
  cors: boolean;
  /** `Access-Control-Expose-Headers: ETag` on the storage routes (§7: toggleable); default true. */
  exposeEtag: boolean;
  rateLimit: PdsRateLimitConfig;
  /** access_token lifetime for tokens from `/v2/oauth/token` (s); default {@link PDS_TOKEN_TTL_SEC}. */
  tokenTtlSec: number;
  /** JWT app for `/v2/oauth/token`; none by default (the route then refuses every grant). */
  jwtApp?: PdsJwtAppConfig;
  /** Key id and secret that sign the emulator's OSS-style URLs (never leave the emulator). */
  ossAccessKeyId: string;
  ossSecret: string;
  /** Origin put into part and download URLs; default: the Host of the request that asked for them. */
  publicUrl?: string;
}

/** Partial config with a partial rate limit, as {@link EmulatorOptions.pds} accepts. */
export type PdsEmulatorOptions = Partial<Omit<PdsEmulatorConfig, 'rateLimit'>> & { rateLimit?: Partial<PdsRateLimitConfig> };

const DEFAULTS: PdsEmulatorConfig = {
  domainId: 'emulator',
  driveId: '1',
  accessToken: 'pds-emulator-access-token',
  parents: ['root'],
  urlTtlSec: PDS_URL_TTL_SEC,
  uploadTtlMs: PDS_UPLOAD_TTL_MS,
  minPartSize: PDS_MIN_PART_SIZE,
  maxPartSize: PDS_MAX_PART_SIZE,
  parallelUpload: true,
  cors: true,
  exposeEtag: true,
  rateLimit: { qps: 10, enabled: false },
  tokenTtlSec: PDS_TOKEN_TTL_SEC,
  ossAccessKeyId: 'EMULATORPDSOSSKEY',
  ossSecret: 'emulator-pds-oss-secret',
};
/** Documented defaults (docs/emulator.md). */
export const PDS_DEFAULTS: Readonly<PdsEmulatorConfig> = Object.freeze(DEFAULTS);

/** Fills defaults and checks values. Throws RangeError on nonsense. */
export function resolvePdsConfig(options: PdsEmulatorOptions = {}): PdsEmulatorConfig {
  const config: PdsEmulatorConfig = {
    ...PDS_DEFAULTS,
    ...options,
    parents: [...new Set(['root', ...(options.parents ?? [])])],
    rateLimit: { ...PDS_DEFAULTS.rateLimit, ...options.rateLimit },
  };
  positiveInt('pds.urlTtlSec', config.urlTtlSec);
  positiveInt('pds.uploadTtlMs', config.uploadTtlMs);
  positiveInt('pds.minPartSize', config.minPartSize);
  positiveInt('pds.maxPartSize', config.maxPartSize);
  positiveInt('pds.tokenTtlSec', config.tokenTtlSec);
  if (!(config.rateLimit.qps > 0)) throw new RangeError('pds.rateLimit.qps must be > 0');
  if (!/^\d{1,20}$/.test(config.driveId)) throw new RangeError('pds.driveId must be digits (cloud-apis.md §2.4)');
  if (!/^[A-Za-z0-9-]{1,64}$/.test(config.domainId)) throw new RangeError('pds.domainId must be 1..64 letters, digits or dashes');
  if (!config.accessToken) throw new RangeError('pds.accessToken must be non-empty');
  for (const parent of config.parents) if (!/^[a-z0-9]{1,50}$/.test(parent)) throw new RangeError(`pds.parents: "${parent}" is not a valid file id ([a-z0-9]{1,50})`);
  if (config.jwtApp && (!config.jwtApp.clientId || !config.jwtApp.publicKey)) throw new RangeError('pds.jwtApp needs clientId and publicKey');
  return config;
}
