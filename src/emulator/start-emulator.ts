import { mkdir } from 'node:fs/promises';
import { resolveFeishuConfig } from './feishu/feishu-config.js';
import { FeishuEmulator } from './feishu/feishu-emulator.js';
import { resolveCosLegacyConfig } from './cos-legacy/cos-legacy-config.js';
import { CosLegacyEmulator } from './cos-legacy/cos-legacy-emulator.js';
import { adminRoutes } from './infra/admin-routes.js';
import { EmulatorClock } from './infra/emulator-clock.js';
import { EmulatorServer } from './infra/emulator-server.js';
import { FaultController } from './infra/fault-controller.js';
import { RequestLog } from './infra/request-log.js';
import { resolvePdsConfig } from './pds/pds-config.js';
import { PdsEmulator } from './pds/pds-emulator.js';
import { resolveS3Config, S3_DEFAULT_PORT } from './s3/s3-config.js';
import { S3Emulator } from './s3/s3-emulator.js';
import { EMULATOR_DEFAULT_HOST, EMULATOR_DEFAULT_PORT, type EmulatorOptions, type RunningEmulator } from './emulator-options.js';

/**
 * Starts the local provider emulator: one HTTP server with the admin routes and the
 * Feishu/Lark flavour (PDS, COS legacy and S3 flavours mount beside it later).
 * @example
 * const emu = await startEmulator({ port: 0, dataDir, feishu: { blockSize: 65536, rateLimit: { enabled: false } } });
 * // … point a client at emu.url …
 * await emu.close();
 */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const host = options.host ?? EMULATOR_DEFAULT_HOST;
  const port = options.port ?? EMULATOR_DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be 0..65535, got ${port}`);
  if (!options.dataDir) throw new RangeError('dataDir is required');
  await mkdir(options.dataDir, { recursive: true });

  const clock = new EmulatorClock(options.now);
  const faults = new FaultController(options.faults);
  const log = new RequestLog();
  const feishu = new FeishuEmulator({ dataDir: options.dataDir, clock, faults, config: resolveFeishuConfig(options.feishu) });
  const cosLegacy = new CosLegacyEmulator({ dataDir: options.dataDir, clock, faults, config: resolveCosLegacyConfig(options.cosLegacy) });
  const pds = new PdsEmulator({ dataDir: options.dataDir, clock, faults, config: resolvePdsConfig(options.pds) });
  const flavours = [feishu, cosLegacy, pds];
  // S3 is path-style (`/{bucket}/{key}` catches every path), so it gets a listener of its own.
  const s3 = new S3Emulator({ dataDir: options.dataDir, clock, faults, config: resolveS3Config(options.s3) });
  const s3Port = options.s3?.port ?? (port === 0 ? 0 : S3_DEFAULT_PORT);
  if (!Number.isInteger(s3Port) || s3Port < 0 || s3Port > 65535) throw new RangeError(`s3.port must be 0..65535, got ${s3Port}`);
  for (const flavour of [...flavours, s3]) await flavour.init();

  const server = new EmulatorServer({
    host,
    port,
    clock,
    faults,
    log,
    flavours,
    adminRoutes: [...adminRoutes({ faults, log, clock, flavours: [...flavours, s3].map((f) => f.name) }), ...s3.adminRoutes],
  });
  let s3Server = new EmulatorServer({ host, port: s3Port, clock, faults, log, flavours: [s3], adminRoutes: [] });
  const bound = await server.listen();
  let s3Bound: number;
  try {
    try {
      s3Bound = await s3Server.listen();
    } catch (error) {
      // Only the implicit default (9000) may move: a second emulator (parallel e2e runs, a
      // local MinIO) must not fail to start because of it. An explicit s3.port stays strict.
      if (options.s3?.port !== undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      s3Server = new EmulatorServer({ host, port: 0, clock, faults, log, flavours: [s3], adminRoutes: [] });
      s3Bound = await s3Server.listen();
    }
  } catch (error) {
    await server.close();
    throw error;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${bound}`,
    port: bound,
    faults,
    log,
    clock,
    feishu,
    pds,
    cosLegacy,
    s3Url: `http://${urlHost}:${s3Bound}`,
    s3,
    close() {
      closing ??= (async () => {
        await server.close();
        await s3Server.close();
        for (const flavour of [...flavours, s3]) await flavour.close();
      })();
      return closing;
    },
  };
}
