import type { S3PartChecksumMode, S3ServerConfig } from './s3-provider.js';
import { onOff, positiveInteger } from './env-values.js';

/** The emulator's documented S3 defaults (src/emulator/s3/s3-config.ts), so `npm start` works with no setup. */
export const S3_EMULATOR_DEFAULTS = Object.freeze({
  region: 'us-east-1',
  bucket: 'ccu-uploads',
  accessKeyId: 'EMULATORS3ACCESSKEY1',
  secretAccessKey: 'emulator-s3-secret-key',
  port: 9000,
});

/**
 * The S3 provider's configuration from the environment (docs/protocol.md §S3), the same
 * variables the emulator reads: S3_ENDPOINT (the emulator's S3 listener,
 * `http://127.0.0.1:${EMULATOR_S3_PORT || 9000}`), S3_REGION (us-east-1), S3_BUCKET
 * (ccu-uploads), S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY (the emulator's), S3_SESSION_TOKEN,
 * S3_FORCE_PATH_STYLE (on), S3_PART_CHECKSUM (md5 | crc32 | none; md5), S3_PART_SIZE (8 MiB),
 * S3_MIN_PART_SIZE (5 MiB), S3_PART_URL_TTL_SEC (600), S3_MAX_CONCURRENCY (6). Throws on a
 * malformed value; messages never contain secret values.
 *
 * @example
 * const s3 = s3ServerConfigFromEnv(process.env);
 */
export function s3ServerConfigFromEnv(env: NodeJS.ProcessEnv): S3ServerConfig {
  const config: S3ServerConfig = {
    endpoint: env['S3_ENDPOINT'] || `http://127.0.0.1:${env['EMULATOR_S3_PORT'] || S3_EMULATOR_DEFAULTS.port}`,
    region: env['S3_REGION'] || S3_EMULATOR_DEFAULTS.region,
    bucket: env['S3_BUCKET'] || S3_EMULATOR_DEFAULTS.bucket,
    accessKeyId: env['S3_ACCESS_KEY_ID'] || S3_EMULATOR_DEFAULTS.accessKeyId,
    secretAccessKey: env['S3_SECRET_ACCESS_KEY'] || S3_EMULATOR_DEFAULTS.secretAccessKey,
  };
  if (env['S3_SESSION_TOKEN']) config.sessionToken = env['S3_SESSION_TOKEN'];
  if (env['S3_FORCE_PATH_STYLE']) config.forcePathStyle = onOff('S3_FORCE_PATH_STYLE', env['S3_FORCE_PATH_STYLE']);
  const checksum = env['S3_PART_CHECKSUM'];
  if (checksum) {
    if (checksum !== 'md5' && checksum !== 'crc32' && checksum !== 'none') throw new Error('S3_PART_CHECKSUM must be md5, crc32 or none');
    config.partChecksum = checksum satisfies S3PartChecksumMode;
  }
  if (env['S3_PART_SIZE']) config.partSize = positiveInteger('S3_PART_SIZE', env['S3_PART_SIZE']);
  if (env['S3_MIN_PART_SIZE']) config.minPartSize = positiveInteger('S3_MIN_PART_SIZE', env['S3_MIN_PART_SIZE']);
  if (env['S3_PART_URL_TTL_SEC']) config.partUrlTtlSec = positiveInteger('S3_PART_URL_TTL_SEC', env['S3_PART_URL_TTL_SEC']);
  if (env['S3_MAX_CONCURRENCY']) config.maxConcurrency = positiveInteger('S3_MAX_CONCURRENCY', env['S3_MAX_CONCURRENCY']);
  return config;
}
