/**
 * `npm run emulator`: starts the emulator from the environment (docs/emulator.md), prints
 * its URL, and stops cleanly on SIGINT/SIGTERM.
 */
import { emulatorOptionsFromEnv } from './emulator-options-from-env.js';
import { startEmulator } from './start-emulator.js';

async function main(): Promise<void> {
  const options = emulatorOptionsFromEnv(process.env);
  const emulator = await startEmulator(options);
  const feishu = emulator.feishu.config;
  process.stdout.write(
    [
      `emulator listening on ${emulator.url}`,
      `  data dir: ${options.dataDir}`,
      `  feishu/lark: app_id=${feishu.appId} parents=${feishu.parents.join(',')} block_size=${feishu.blockSize} rate_limit=${feishu.rateLimit.enabled ? 'on' : 'off'} cors=${feishu.cors ? 'on' : 'off'}`,
      `  s3: ${emulator.s3Url}/{bucket}/{key} buckets=${emulator.s3.config.buckets.join(',')} region=${emulator.s3.config.region} access_key=${emulator.s3.config.accessKeyId} min_part_size=${emulator.s3.config.minPartSize} cors=${emulator.s3.config.cors.enabled ? 'on' : 'off'} expose_etag=${emulator.s3.config.cors.exposeEtag ? 'on' : 'off'}`,
      `  admin: ${emulator.url}/__emulator (faults, log, clock)`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping emulator\n`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`emulator: error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
