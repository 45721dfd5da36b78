import { positiveInt } from '../infra/positive-int.js';

/** Default port of the S3 listener (env `EMULATOR_S3_PORT`), like a local MinIO endpoint. */
export const S3_DEFAULT_PORT = 9000;
/** S3 minimum part size: 5 MiB, the last part exempt (cloud-apis.md §4.2, checked at Complete §4.1). */
export const S3_MIN_PART_SIZE = 5 * 1024 * 1024;
/** S3 maximum part (and single PUT) size: 5 GiB (§4.2). */
export const S3_MAX_PART_SIZE = 5 * 1024 ** 3;
/** Part numbers run 1..10 000 (§4.1, §4.2). */
export const S3_MAX_PARTS = 10_000;
/** ListParts returns at most 1000 parts per page (§7 "max-parts ≤ 1000"). */
export const S3_MAX_LIST_PARTS = 1000;
/** Longest presigned URL lifetime S3 accepts: 7 days (X-Amz-Expires ≤ 604800 s). */
export const S3_MAX_PRESIGN_EXPIRES_SEC = 604_800;
/** A signed request may be this far from the server clock before `RequestTimeTooSkewed` (15 min). */
export const S3_MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Temporary (STS-style) credentials: requests must carry `X-Amz-Security-Token` = `sessionToken`. */
export interface S3TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ms since epoch (emulator clock); later requests get `ExpiredToken`. */
  expiresAt: number;
}

/**
 * Bucket CORS (cloud-apis.md §4.3, §7): on by default, with `ETag` exposed only when
 * `exposeEtag` is true, so a test can prove the "ETag hidden by CORS" path.
 */
export interface S3CorsConfig {
  enabled: boolean;
  /** Exact origins, or `*`; default `['*']`. */
  allowedOrigins: string[];
  /** Send `Access-Control-Expose-Headers: ETag`; default true. */
  exposeEtag: boolean;
}

/** Everything the S3 flavour can be configured with (docs/emulator.md). */
export interface S3EmulatorConfig {
  /** Signing region every request's credential scope must name; default `us-east-1`. */
  region: string;
  /** Buckets that exist; default `['ccu-uploads']`. */
  buckets: string[];
  /** The long-term key pair; default `EMULATORS3ACCESSKEY1` / `emulator-s3-secret-key`. */
  accessKeyId: string;
  secretAccessKey: string;
  /** Extra STS-style credentials the emulator accepts (with their session token). */
  temporaryCredentials: S3TemporaryCredentials[];
  /** Minimum size of every part but the last at Complete; default {@link S3_MIN_PART_SIZE}. */
  minPartSize: number;
  /** Largest part / single PUT; default {@link S3_MAX_PART_SIZE}. */
  maxPartSize: number;
  /** Highest part number; default {@link S3_MAX_PARTS}. */
  maxParts: number;
  /** Allowed clock difference of signed requests (ms); default {@link S3_MAX_CLOCK_SKEW_MS}. */
  maxClockSkewMs: number;
  cors: S3CorsConfig;
}

/** Partial config, as {@link EmulatorOptions.s3} accepts; `port` is the S3 listener's port. */
export type S3EmulatorOptions = Partial<Omit<S3EmulatorConfig, 'cors'>> & {
  cors?: Partial<S3CorsConfig>;
  /** Listening port; default {@link S3_DEFAULT_PORT}, or 0 (a free port) when the main port is 0. */
  port?: number;
};

const DEFAULTS: S3EmulatorConfig = {
  region: 'us-east-1',
  buckets: ['ccu-uploads'],
  accessKeyId: 'EMULATORS3ACCESSKEY1',
  secretAccessKey: 'emulator-s3-secret-key',
  temporaryCredentials: [],
  minPartSize: S3_MIN_PART_SIZE,
  maxPartSize: S3_MAX_PART_SIZE,
  maxParts: S3_MAX_PARTS,
  maxClockSkewMs: S3_MAX_CLOCK_SKEW_MS,
  cors: { enabled: true, allowedOrigins: ['*'], exposeEtag: true },
};
/** Documented defaults (docs/emulator.md). */
export const S3_DEFAULTS: Readonly<S3EmulatorConfig> = Object.freeze(DEFAULTS);

/** Bucket naming rules (lower case, digits, dots, hyphens; 3..63), so a path segment is unambiguous. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Fills defaults and checks values. Throws RangeError on nonsense. */
export function resolveS3Config(options: S3EmulatorOptions = {}): S3EmulatorConfig {
  const { port: _port, cors, ...rest } = options;
  const config: S3EmulatorConfig = {
    ...S3_DEFAULTS,
    ...rest,
    buckets: [...(options.buckets ?? S3_DEFAULTS.buckets)],
    temporaryCredentials: (options.temporaryCredentials ?? []).map((c) => ({ ...c })),
    cors: { ...S3_DEFAULTS.cors, ...cors, allowedOrigins: [...(cors?.allowedOrigins ?? S3_DEFAULTS.cors.allowedOrigins)] },
  };
  positiveInt('s3.minPartSize', config.minPartSize);
  positiveInt('s3.maxPartSize', config.maxPartSize);
  positiveInt('s3.maxParts', config.maxParts);
  if (config.maxParts > S3_MAX_PARTS) throw new RangeError(`s3.maxParts must be at most ${S3_MAX_PARTS}`);
  if (!Number.isSafeInteger(config.maxClockSkewMs) || config.maxClockSkewMs < 0) throw new RangeError('s3.maxClockSkewMs must be an integer >= 0');
  if (!config.accessKeyId || !config.secretAccessKey) throw new RangeError('s3.accessKeyId and s3.secretAccessKey must be non-empty');
  if (!config.region || !/^[a-z0-9-]+$/.test(config.region)) throw new RangeError(`s3.region must look like us-east-1, got "${config.region}"`);
  if (config.buckets.length === 0) throw new RangeError('s3.buckets must name at least one bucket');
  for (const bucket of config.buckets) if (!BUCKET_NAME.test(bucket)) throw new RangeError(`s3 bucket name "${bucket}" is not valid (3..63 of a-z 0-9 . -)`);
  for (const c of config.temporaryCredentials) {
    if (!c.accessKeyId || !c.secretAccessKey || !c.sessionToken || !Number.isFinite(c.expiresAt)) {
      throw new RangeError('s3.temporaryCredentials need accessKeyId, secretAccessKey, sessionToken and expiresAt');
    }
  }
  return config;
}
