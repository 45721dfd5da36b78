// `npm start`: the provider emulator, the token-vending backend and the demo page (Vite),
// all in this one process on 127.0.0.1, so Ctrl-C (or SIGTERM) stops everything.
//
// Environment: PORT (demo page, 5173), SERVER_PORT (backend, 8788), EMULATOR_PORT (8787),
// UPLOAD_TICKET_SECRET, plus everything the emulator and the backend read themselves
// (EMULATOR_DATA_DIR, FEISHU_APP_ID, FEISHU_APP_SECRET, EMULATOR_FEISHU_PARENTS,
// ALLOWED_ORIGINS... see docs/emulator.md and docs/protocol.md). Any port may be 0 (a free one).
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { createServer as createViteServer, type ViteDevServer } from 'vite';
import { emulatorOptionsFromEnv, startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { serverOptionsFromEnv, startUploadServer, type RunningUploadServer } from '../src/server/index.js';
import { createDemoViteConfig, demoServerOptionsFromEnv } from '../vite.config.js';

/** Pick a free port now, so the backend can allow the page's origin before the page listens. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const env = process.env;
  const stoppers: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    // Close in reverse start order: the page first, the emulator last.
    stopping ??= stoppers.reverse().reduce((chain, close) => chain.then(close).catch(() => undefined), Promise.resolve());
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stdout.write(`\n${signal}: stopping demo, backend and emulator\n`);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const emulatorOptions = emulatorOptionsFromEnv(env);
    const emulator: RunningEmulator = await startEmulator(emulatorOptions);
    stoppers.push(() => emulator.close());

    const demoOptions = demoServerOptionsFromEnv(env);
    if (demoOptions.port === 0) demoOptions.port = await freePort(demoOptions.host);
    const demoOrigins = [`http://127.0.0.1:${String(demoOptions.port)}`, `http://localhost:${String(demoOptions.port)}`];

    // The backend talks to the emulator we just started (whatever port it got), unless told otherwise.
    const { warnings, ...serverOptions } = serverOptionsFromEnv({
      ...env,
      EMULATOR_PORT: String(emulator.port),
      // The S3 listener falls back to a free port when 9000 is taken: point the backend at the one it got.
      EMULATOR_S3_PORT: new URL(emulator.s3Url).port,
      FEISHU_BASE_URL: env['FEISHU_BASE_URL'] || emulator.url,
    });
    for (const warning of warnings) process.stderr.write(`[server] warning: ${warning}\n`);
    const allowedOrigins = [...new Set([...(serverOptions.allowedOrigins ?? []), ...demoOrigins])];
    const server: RunningUploadServer = await startUploadServer({ ...serverOptions, allowedOrigins });
    stoppers.push(() => server.close());

    demoOptions.demo.endpoint = `${server.url}/`;
    demoOptions.demo.emulatorUrl = emulator.url;
    demoOptions.demo.target = emulator.feishu.config.parents[0] ?? demoOptions.demo.target;
    const vite: ViteDevServer = await createViteServer({ configFile: false, clearScreen: false, ...createDemoViteConfig(demoOptions) });
    stoppers.push(() => vite.close());
    await vite.listen();
    const pageUrl = vite.resolvedUrls?.local[0] ?? `http://${demoOptions.host}:${String(demoOptions.port)}/`;

    const feishu = emulator.feishu.config;
    const cos = serverOptions.providers['cos-legacy'];
    process.stdout.write(
      [
        '',
        `  cloud-chunk-uploader demo: ${pageUrl}`,
        '',
        `  backend   ${server.url}/v1  (feishu, lark → ${serverOptions.providers.feishu?.baseUrl ?? 'off'})`,
        `  pds       ${serverOptions.providers.pds?.baseUrl ?? 'off'}  (drive ${serverOptions.providers.pds?.driveId ?? '-'}, folder ${emulator.pds.config.parents.join(', ')}; ${serverOptions.providers.pds?.parallel === false ? 'serial' : 'parallel'} parts)`,
        `  cos       ${cos === undefined ? 'off' : `${cos.baseUrl}/files/v2/${cos.appId}/${cos.bucket}`}  (cos-legacy; target = a directory, e.g. /demo-uploads)`,
        `  s3        ${serverOptions.providers.s3 === undefined ? 'off' : `${serverOptions.providers.s3.endpoint}/${serverOptions.providers.s3.bucket}`}  (emulator listener ${emulator.s3Url})`,
        `  emulator  ${emulator.url}  (app ${feishu.appId}; folders ${feishu.parents.join(', ')}; data ${emulatorOptions.dataDir})`,
        `  faults    ${emulator.url}/__emulator/faults`,
        '',
        '  Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    await stop();
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
