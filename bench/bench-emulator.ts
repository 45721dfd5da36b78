/**
 * The emulator's documented defaults (docs/emulator.md) that the bench backend and pages
 * need: credentials for the backend, and the folder / parent / bucket each upload targets.
 */
export const BENCH_EMULATOR = Object.freeze({
  feishu: { appId: 'cli_emulator', appSecret: 'emulator-secret', target: 'fldemulatorroot' },
  pds: { domainId: 'emulator', driveId: '1', accessToken: 'pds-emulator-access-token', target: 'root' },
  cosLegacy: { appId: '1250000000', bucket: 'emulator', secretId: 'AKIDemulatorCosLegacySecretId', secretKey: 'emulator-cos-secret-key' },
  s3: { region: 'us-east-1', bucket: 'ccu-uploads', accessKeyId: 'EMULATORS3ACCESSKEY1', secretAccessKey: 'emulator-s3-secret-key' },
});
