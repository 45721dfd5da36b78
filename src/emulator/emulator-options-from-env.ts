import { validateFaultConfig } from './infra/fault-controller.js';
import type { FeishuEmulatorOptions } from './feishu/feishu-config.js';
import type { PdsEmulatorOptions } from './pds/pds-config.js';
import type { CosLegacyEmulatorOptions } from './cos-legacy/cos-legacy-config.js';
import type { S3EmulatorOptions } from './s3/s3-config.js';
import { EMULATOR_DEFAULT_HOST, EMULATOR_DEFAULT_PORT, type EmulatorOptions } from './emulator-options.js';

/** Default data folder of `npm run emulator` (env `EMULATOR_DATA_DIR`). */
export const EMULATOR_DEFAULT_DATA_DIR = '.data/emulator';

function flag(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new RangeError(`${name} must be on/off, got "${value}"`);
}

function integer(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

/**
 * Reads emulator options from the environment (docs/emulator.md):
 * `EMULATOR_HOST` (127.0.0.1), `EMULATOR_PORT` (8787), `EMULATOR_DATA_DIR` (.data/emulator),
 * `FEISHU_APP_ID` (cli_emulator), `FEISHU_APP_SECRET` (emulator-secret),
 * `EMULATOR_FEISHU_PARENTS` (fldemulatorroot,doxemulatordoc), `EMULATOR_FEISHU_BLOCK_SIZE` (4194304),
 * `EMULATOR_FEISHU_RATE_LIMIT` (on), `EMULATOR_CORS` (off), `EMULATOR_FAULTS` (JSON FaultConfig),
 * `COS_APPID` (1250000000), `COS_BUCKET` (emulator), `COS_SECRET_ID`, `COS_SECRET_KEY` (COS legacy),
 * `EMULATOR_S3_PORT` (9000), `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`, `S3_BUCKET` (ccu-uploads),
 * `S3_REGION` (us-east-1), `EMULATOR_S3_MIN_PART_SIZE` (5242880), `EMULATOR_S3_CORS` (on),
 * `EMULATOR_S3_EXPOSE_ETAG` (on) (S3).
 * Throws RangeError on a malformed value.
 */
export function emulatorOptionsFromEnv(env: NodeJS.ProcessEnv): EmulatorOptions {
  const options: EmulatorOptions = {
    host: env['EMULATOR_HOST'] || EMULATOR_DEFAULT_HOST,
    port: env['EMULATOR_PORT'] ? integer('EMULATOR_PORT', env['EMULATOR_PORT'], 0) : EMULATOR_DEFAULT_PORT,
    dataDir: env['EMULATOR_DATA_DIR'] || EMULATOR_DEFAULT_DATA_DIR,
  };
  const feishu: FeishuEmulatorOptions = {};
  if (env['FEISHU_APP_ID']) feishu.appId = env['FEISHU_APP_ID'];
  if (env['FEISHU_APP_SECRET']) feishu.appSecret = env['FEISHU_APP_SECRET'];
  if (env['EMULATOR_FEISHU_PARENTS']) {
    feishu.parents = env['EMULATOR_FEISHU_PARENTS'].split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  if (env['EMULATOR_FEISHU_BLOCK_SIZE']) feishu.blockSize = integer('EMULATOR_FEISHU_BLOCK_SIZE', env['EMULATOR_FEISHU_BLOCK_SIZE'], 1);
  if (env['EMULATOR_FEISHU_RATE_LIMIT']) feishu.rateLimit = { enabled: flag('EMULATOR_FEISHU_RATE_LIMIT', env['EMULATOR_FEISHU_RATE_LIMIT']) };
  if (env['EMULATOR_CORS']) feishu.cors = flag('EMULATOR_CORS', env['EMULATOR_CORS']);
  if (Object.keys(feishu).length > 0) options.feishu = feishu;
  // Aliyun PDS (docs/emulator.md §PDS): the backend reads the same PDS_* names.
  const pds: PdsEmulatorOptions = {};
  if (env['PDS_DOMAIN_ID']) pds.domainId = env['PDS_DOMAIN_ID'];
  if (env['PDS_DRIVE_ID']) pds.driveId = env['PDS_DRIVE_ID'];
  if (env['PDS_ACCESS_TOKEN']) pds.accessToken = env['PDS_ACCESS_TOKEN'];
  if (env['EMULATOR_PDS_PARENTS']) pds.parents = env['EMULATOR_PDS_PARENTS'].split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (env['EMULATOR_PDS_URL_TTL_SEC']) pds.urlTtlSec = integer('EMULATOR_PDS_URL_TTL_SEC', env['EMULATOR_PDS_URL_TTL_SEC'], 1);
  if (env['EMULATOR_PDS_MIN_PART_SIZE']) pds.minPartSize = integer('EMULATOR_PDS_MIN_PART_SIZE', env['EMULATOR_PDS_MIN_PART_SIZE'], 1);
  if (env['EMULATOR_PDS_PARALLEL']) pds.parallelUpload = flag('EMULATOR_PDS_PARALLEL', env['EMULATOR_PDS_PARALLEL']);
  if (env['EMULATOR_PDS_EXPOSE_ETAG']) pds.exposeEtag = flag('EMULATOR_PDS_EXPOSE_ETAG', env['EMULATOR_PDS_EXPOSE_ETAG']);
  if (env['PDS_CLIENT_ID'] && env['EMULATOR_PDS_PUBLIC_KEY']) pds.jwtApp = { clientId: env['PDS_CLIENT_ID'], publicKey: env['EMULATOR_PDS_PUBLIC_KEY'] };
  if (Object.keys(pds).length > 0) options.pds = pds;
  const cosLegacy: CosLegacyEmulatorOptions = {};
  if (env['COS_APPID']) cosLegacy.appId = env['COS_APPID'];
  if (env['COS_BUCKET']) cosLegacy.bucket = env['COS_BUCKET'];
  if (env['COS_SECRET_ID']) cosLegacy.secretId = env['COS_SECRET_ID'];
  if (env['COS_SECRET_KEY']) cosLegacy.secretKey = env['COS_SECRET_KEY'];
  if (Object.keys(cosLegacy).length > 0) options.cosLegacy = cosLegacy;
  // S3 (docs/emulator.md §S3): the backend reads the same S3_* names.
  const s3: S3EmulatorOptions = {};
  if (env['EMULATOR_S3_PORT']) s3.port = integer('EMULATOR_S3_PORT', env['EMULATOR_S3_PORT'], 0);
  if (env['S3_ACCESS_KEY_ID']) s3.accessKeyId = env['S3_ACCESS_KEY_ID'];
  if (env['S3_SECRET_ACCESS_KEY']) s3.secretAccessKey = env['S3_SECRET_ACCESS_KEY'];
  if (env['S3_BUCKET']) s3.buckets = [env['S3_BUCKET']];
  if (env['S3_REGION']) s3.region = env['S3_REGION'];
  if (env['EMULATOR_S3_MIN_PART_SIZE']) s3.minPartSize = integer('EMULATOR_S3_MIN_PART_SIZE', env['EMULATOR_S3_MIN_PART_SIZE'], 1);
  const s3Cors: NonNullable<S3EmulatorOptions['cors']> = {};
  if (env['EMULATOR_S3_CORS']) s3Cors.enabled = flag('EMULATOR_S3_CORS', env['EMULATOR_S3_CORS']);
  if (env['EMULATOR_S3_EXPOSE_ETAG']) s3Cors.exposeEtag = flag('EMULATOR_S3_EXPOSE_ETAG', env['EMULATOR_S3_EXPOSE_ETAG']);
  if (Object.keys(s3Cors).length > 0) s3.cors = s3Cors;
  if (Object.keys(s3).length > 0) options.s3 = s3;
  if (env['EMULATOR_FAULTS']) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env['EMULATOR_FAULTS']);
    } catch {
      throw new RangeError('EMULATOR_FAULTS must be JSON');
    }
    options.faults = validateFaultConfig(parsed);
  }
  return options;
}
