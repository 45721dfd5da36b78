import type { PdsCheckNameMode, PdsServerConfig } from './pds-provider.js';
import { onOff, positiveInteger } from './env-values.js';

/** The emulator's documented PDS defaults (src/emulator/pds/pds-config.ts), so `npm start` works with no setup. */
export const PDS_EMULATOR_DOMAIN_ID = 'emulator';
export const PDS_EMULATOR_ACCESS_TOKEN = 'pds-emulator-access-token';

/**
 * The PDS provider's configuration from the environment (docs/protocol.md §Running):
 * PDS_BASE_URL (the emulator, `emulatorUrl`), PDS_DOMAIN_ID (`emulator`), PDS_DRIVE_ID (`1`),
 * and either a JWT app — PDS_CLIENT_ID, PDS_PRIVATE_KEY (PEM; `\n` escapes allowed),
 * PDS_SUBJECT, PDS_SUBJECT_TYPE (`user` | `service`) — or PDS_ACCESS_TOKEN (the emulator's
 * token by default). Tuning: PDS_PART_SIZE, PDS_MIN_PART_SIZE, PDS_PARALLEL (on),
 * PDS_RAPID_UPLOAD_MIN_SIZE, PDS_CHECK_NAME_MODE (auto_rename). Throws on a malformed value;
 * error messages never contain the values of secrets.
 *
 * @example
 * const pds = pdsServerConfigFromEnv(process.env, 'http://127.0.0.1:8787');
 */
export function pdsServerConfigFromEnv(env: NodeJS.ProcessEnv, emulatorUrl: string): PdsServerConfig {
  const config: PdsServerConfig = {
    baseUrl: env['PDS_BASE_URL'] || emulatorUrl,
    domainId: env['PDS_DOMAIN_ID'] || PDS_EMULATOR_DOMAIN_ID,
    driveId: env['PDS_DRIVE_ID'] || '1',
  };
  if (!/^\d{1,20}$/.test(config.driveId)) throw new Error('PDS_DRIVE_ID must be digits');
  if (env['PDS_CLIENT_ID']) {
    const privateKey = (env['PDS_PRIVATE_KEY'] ?? '').replace(/\\n/g, '\n');
    const subject = env['PDS_SUBJECT'] ?? '';
    if (privateKey === '' || subject === '') throw new Error('PDS_CLIENT_ID needs PDS_PRIVATE_KEY and PDS_SUBJECT (JWT app, cloud-apis.md §2.2)');
    const subjectType = env['PDS_SUBJECT_TYPE'] || 'user';
    if (subjectType !== 'user' && subjectType !== 'service') throw new Error('PDS_SUBJECT_TYPE must be user or service');
    config.jwt = { clientId: env['PDS_CLIENT_ID'], privateKey, subject, subjectType };
  } else {
    config.accessToken = env['PDS_ACCESS_TOKEN'] || PDS_EMULATOR_ACCESS_TOKEN;
  }
  if (env['PDS_PART_SIZE']) config.partSize = positiveInteger('PDS_PART_SIZE', env['PDS_PART_SIZE']);
  if (env['PDS_MIN_PART_SIZE']) config.minPartSize = positiveInteger('PDS_MIN_PART_SIZE', env['PDS_MIN_PART_SIZE']);
  if (env['PDS_PARALLEL']) config.parallel = onOff('PDS_PARALLEL', env['PDS_PARALLEL']);
  if (env['PDS_RAPID_UPLOAD_MIN_SIZE']) config.rapidUploadMinSize = positiveInteger('PDS_RAPID_UPLOAD_MIN_SIZE', env['PDS_RAPID_UPLOAD_MIN_SIZE']);
  const mode = env['PDS_CHECK_NAME_MODE'];
  if (mode) {
    if (mode !== 'auto_rename' && mode !== 'refuse' && mode !== 'ignore') throw new Error('PDS_CHECK_NAME_MODE must be auto_rename, refuse or ignore');
    config.checkNameMode = mode satisfies PdsCheckNameMode;
  }
  return config;
}
