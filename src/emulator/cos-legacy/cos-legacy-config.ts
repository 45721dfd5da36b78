import type { RateLimit } from '../infra/rate-limiter.js';
import { positiveInt } from '../infra/positive-int.js';

/** Valid `slice_size` values: 512 KB, 1 MB, 2 MB, 3 MB (cloud-apis.md §3.3, §3.8; doc 6070). */
export const COS_LEGACY_SLICE_SIZES: readonly number[] = Object.freeze([524288, 1048576, 2097152, 3145728]);
/** The slice size `-284` tells clients to use (§3.9). */
export const COS_LEGACY_FALLBACK_SLICE_SIZE = 1048576;
/** Simple `op=upload` is for files up to 20 MB; larger ones use slices (§3.1, §3.8; Java SDK). */
export const COS_LEGACY_SIMPLE_UPLOAD_MAX_BYTES = 20 * 1024 * 1024;
/** Multi-effect signatures live at most ~3 months (§3.2, §3.8). */
export const COS_LEGACY_MAX_SIGNATURE_LIFETIME_SEC = 90 * 24 * 60 * 60;
/** Unfinished-session lifetime: unconfirmed (§3.8, §8 q4); 24 h is our choice [infer]. */
export const COS_LEGACY_SESSION_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * A single-effect signature (e = 0) is refused once its `t` is older than this (s) [infer]:
 * one use is enforced by remembering used signatures, and this bounds that memory.
 */
export const COS_LEGACY_SINGLE_EFFECT_WINDOW_SEC = 60 * 60;

/** Bucket CORS rules of the emulated bucket (§0 "bucket CORS rules (-121 on mismatch)", §7). */
export interface CosLegacyCorsConfig {
  /** Default true (§7: storage hosts on). Off: every request with an `Origin` gets `-121`. */
  enabled: boolean;
  /** Allowed origins, exact; `*` allows any. Default `['*']`. */
  origins: string[];
  /** Send `Access-Control-Expose-Headers: ETag`; default true (§7: toggleable). */
  exposeEtag: boolean;
}

/** Everything the COS legacy flavour can be configured with (docs/emulator.md). */
export interface CosLegacyEmulatorConfig {
  /** The AppID (env COS_APPID); default `1250000000`. */
  appId: string;
  /** The one bucket that exists, without `-appid` (env COS_BUCKET); default `emulator`. */
  bucket: string;
  /** The one SecretId the emulator knows (env COS_SECRET_ID). */
  secretId: string;
  /** Its SecretKey (env COS_SECRET_KEY). */
  secretKey: string;
  /** `slice_size` values init accepts (else `-284`); each a multiple of 64. Default {@link COS_LEGACY_SLICE_SIZES}. */
  sliceSizes: number[];
  /**
   * When set, init answers this `slice_size` instead of the requested one for serial uploads
   * (no `uploadparts`): "server may return a different value" (§3.3). Default null.
   */
  forceSliceSize: number | null;
  /** Unfinished sessions are dropped this long after init (ms). Default {@link COS_LEGACY_SESSION_TTL_MS}. */
  sessionTtlMs: number;
  /** Default {@link COS_LEGACY_MAX_SIGNATURE_LIFETIME_SEC}. */
  maxSignatureLifetimeSec: number;
  /** Default {@link COS_LEGACY_SINGLE_EFFECT_WINDOW_SEC}. */
  singleEffectWindowSec: number;
  cors: CosLegacyCorsConfig;
  /** `-71` (HTTP 503) when exceeded; per SecretId and op. Off by default: COS states no numbers (§3.8). */
  rateLimit: RateLimit;
}

/** Partial config with partial nested objects, as {@link EmulatorOptions.cosLegacy} accepts. */
export type CosLegacyEmulatorOptions = Partial<Omit<CosLegacyEmulatorConfig, 'cors' | 'rateLimit'>> & {
  cors?: Partial<CosLegacyCorsConfig>;
  rateLimit?: Partial<RateLimit>;
};

const DEFAULTS: CosLegacyEmulatorConfig = {
  appId: '1250000000',
  bucket: 'emulator',
  secretId: 'AKIDemulatorCosLegacySecretId',
  secretKey: 'emulator-cos-secret-key',
  sliceSizes: [...COS_LEGACY_SLICE_SIZES],
  forceSliceSize: null,
  sessionTtlMs: COS_LEGACY_SESSION_TTL_MS,
  maxSignatureLifetimeSec: COS_LEGACY_MAX_SIGNATURE_LIFETIME_SEC,
  singleEffectWindowSec: COS_LEGACY_SINGLE_EFFECT_WINDOW_SEC,
  cors: { enabled: true, origins: ['*'], exposeEtag: true },
  rateLimit: { qps: 50, perDay: 1_000_000, enabled: false },
};

/** Documented defaults (docs/emulator.md). */
export const COS_LEGACY_DEFAULTS: Readonly<CosLegacyEmulatorConfig> = Object.freeze(DEFAULTS);

/** COS bucket names: lowercase letters, digits and `-` [infer: v4 console rule]. */
export const COS_LEGACY_BUCKET_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

function sliceSize(name: string, value: number): number {
  positiveInt(`cosLegacy.${name}`, value);
  // Intermediate datasha values only exist at 64-byte block boundaries (§3.7).
  if (value % 64 !== 0) throw new RangeError(`cosLegacy.${name} must be a multiple of 64, got ${value}`);
  return value;
}

/** Fills defaults and checks values. Throws RangeError on nonsense. */
export function resolveCosLegacyConfig(options: CosLegacyEmulatorOptions = {}): CosLegacyEmulatorConfig {
  const config: CosLegacyEmulatorConfig = {
    ...COS_LEGACY_DEFAULTS,
    ...options,
    sliceSizes: [...(options.sliceSizes ?? COS_LEGACY_DEFAULTS.sliceSizes)],
    cors: { ...COS_LEGACY_DEFAULTS.cors, ...options.cors, origins: [...(options.cors?.origins ?? COS_LEGACY_DEFAULTS.cors.origins)] },
    rateLimit: { ...COS_LEGACY_DEFAULTS.rateLimit, ...options.rateLimit },
  };
  if (!/^\d{1,20}$/.test(config.appId)) throw new RangeError(`cosLegacy.appId must be decimal digits, got "${config.appId}"`);
  if (!COS_LEGACY_BUCKET_NAME.test(config.bucket)) throw new RangeError(`cosLegacy.bucket must match ${String(COS_LEGACY_BUCKET_NAME)}`);
  if (!config.secretId || !config.secretKey) throw new RangeError('cosLegacy.secretId and cosLegacy.secretKey must be non-empty');
  if (config.sliceSizes.length === 0) throw new RangeError('cosLegacy.sliceSizes must not be empty');
  config.sliceSizes.forEach((s, i) => sliceSize(`sliceSizes[${i}]`, s));
  if (config.forceSliceSize !== null) sliceSize('forceSliceSize', config.forceSliceSize);
  positiveInt('cosLegacy.sessionTtlMs', config.sessionTtlMs);
  positiveInt('cosLegacy.maxSignatureLifetimeSec', config.maxSignatureLifetimeSec);
  positiveInt('cosLegacy.singleEffectWindowSec', config.singleEffectWindowSec);
  if (!(config.rateLimit.qps > 0)) throw new RangeError('cosLegacy.rateLimit.qps must be > 0');
  positiveInt('cosLegacy.rateLimit.perDay', config.rateLimit.perDay);
  return config;
}
