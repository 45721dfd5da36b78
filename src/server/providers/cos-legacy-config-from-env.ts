import type { CosLegacyServerConfig } from './cos-legacy-provider.js';
import { positiveInteger } from './env-values.js';

/** The emulator's documented COS legacy defaults (src/emulator/cos-legacy/cos-legacy-config.ts), so `npm start` works with no setup. */
export const COS_LEGACY_EMULATOR_APPID = '1250000000';
export const COS_LEGACY_EMULATOR_BUCKET = 'emulator';
export const COS_LEGACY_EMULATOR_SECRET_ID = 'AKIDemulatorCosLegacySecretId';
export const COS_LEGACY_EMULATOR_SECRET_KEY = 'emulator-cos-secret-key';

/**
 * The COS legacy provider's configuration from the environment (docs/protocol.md §COS legacy),
 * the same names the emulator reads: COS_BASE_URL (the emulator, `emulatorUrl`), COS_APPID,
 * COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY (the emulator's defaults), and COS_SLICE_SIZE
 * (1048576), COS_SIGNATURE_TTL_S (600). Throws on a malformed value; messages never contain
 * secret values.
 *
 * @example
 * const cos = cosLegacyServerConfigFromEnv(process.env, 'http://127.0.0.1:8787');
 */
export function cosLegacyServerConfigFromEnv(env: NodeJS.ProcessEnv, emulatorUrl: string): CosLegacyServerConfig {
  const config: CosLegacyServerConfig = {
    baseUrl: env['COS_BASE_URL'] || emulatorUrl,
    appId: env['COS_APPID'] || COS_LEGACY_EMULATOR_APPID,
    bucket: env['COS_BUCKET'] || COS_LEGACY_EMULATOR_BUCKET,
    secretId: env['COS_SECRET_ID'] || COS_LEGACY_EMULATOR_SECRET_ID,
    secretKey: env['COS_SECRET_KEY'] || COS_LEGACY_EMULATOR_SECRET_KEY,
  };
  if (!/^\d{1,20}$/.test(config.appId)) throw new Error('COS_APPID must be digits');
  if (env['COS_SLICE_SIZE']) {
    config.sliceSize = positiveInteger('COS_SLICE_SIZE', env['COS_SLICE_SIZE']);
    if (config.sliceSize % 64 !== 0) throw new Error('COS_SLICE_SIZE must be a multiple of 64');
  }
  if (env['COS_SIGNATURE_TTL_S']) config.signatureTtlSec = positiveInteger('COS_SIGNATURE_TTL_S', env['COS_SIGNATURE_TTL_S']);
  return config;
}
