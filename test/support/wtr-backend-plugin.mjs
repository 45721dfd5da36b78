// web-test-runner plugin: starts the Feishu/Lark emulator and the upload backend (both on
// 127.0.0.1, port 0) for the browser suites, and tells the page where they are:
// GET /__test-env → { backendUrl, emulatorUrl, target, appId, appSecret, blockSize, s3: { url, bucket, partSize, crc32BackendUrl }, pds: { target, partSize } }.
// Both servers are TypeScript, loaded through tsx's API (wtr itself runs plain node).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

/** The emulator's one app (docs/emulator.md defaults). */
export const TEST_APP = Object.freeze({ appId: 'cli_emulator', appSecret: 'emulator-secret' });
/** Small blocks so a test file of a megabyte or two has several parts. */
export const TEST_BLOCK_SIZE = 256 * 1024;
/** A folder the emulator knows. */
export const TEST_TARGET = 'fldemulatorroot';
/** The emulator's one COS legacy bucket and key pair (docs/emulator.md defaults). */
export const TEST_COS_LEGACY = Object.freeze({ appId: '1250000000', bucket: 'emulator', secretId: 'AKIDemulatorCosLegacySecretId', secretKey: 'emulator-cos-secret-key' });
/** S3: the emulator's bucket and keys (docs/emulator.md defaults), and a 64 KiB minimum part size so small files have several parts. */
export const TEST_S3 = Object.freeze({
  region: 'us-east-1',
  bucket: 'ccu-uploads',
  accessKeyId: 'EMULATORS3ACCESSKEY1',
  secretAccessKey: 'emulator-s3-secret-key',
  minPartSize: 64 * 1024,
});
/** PDS: the emulator's token (docs/emulator.md defaults) and 128 KiB parts (a multiple of 64 above OSS's 100 KB minimum). */
export const TEST_PDS = Object.freeze({ domainId: 'emulator', driveId: '1', accessToken: 'pds-emulator-access-token', partSize: 128 * 1024, target: 'root' });
/** Backend pacing per upload endpoint: fast enough for tests, still paced. */
const TEST_QPS = 50;

/** The plugin; add it to web-test-runner.config.mjs `plugins`. */
export function testBackendPlugin() {
  /** @type {Record<string, unknown> | undefined} */
  let env;
  /** @type {{ close(): Promise<void> } | undefined} */
  let emulator;
  /** @type {{ close(): Promise<void> } | undefined} */
  let backend;
  /** @type {{ close(): Promise<void> } | undefined} */
  let s3Crc32Backend;
  /** @type {string | undefined} */
  let dataDir;
  return {
    name: 'test-backend',
    async serverStart({ config }) {
      const { startEmulator } = await tsImport('../../src/emulator/index.ts', import.meta.url);
      const { startUploadServer } = await tsImport('../../src/server/index.ts', import.meta.url);
      dataDir = await mkdtemp(join(tmpdir(), 'ccu-wtr-'));
      // CORS on, so a test can download what was stored straight from the emulator.
      emulator = await startEmulator({
        port: 0,
        dataDir,
        feishu: { rateLimit: { enabled: false }, blockSize: TEST_BLOCK_SIZE, cors: true },
        s3: { port: 0, region: TEST_S3.region, buckets: [TEST_S3.bucket], accessKeyId: TEST_S3.accessKeyId, secretAccessKey: TEST_S3.secretAccessKey, minPartSize: TEST_S3.minPartSize },
      });
      const hosts = new Set(['localhost', '127.0.0.1', config.hostname].filter(Boolean));
      const allowedOrigins = [...hosts].map((host) => `http://${host}:${config.port}`);
      const feishu = { baseUrl: emulator.url, ...TEST_APP, rateLimitQps: TEST_QPS };
      // S3 against the emulator's own listener (s3Url), with parts as small as it accepts.
      const s3 = { endpoint: emulator.s3Url, region: TEST_S3.region, bucket: TEST_S3.bucket, accessKeyId: TEST_S3.accessKeyId, secretAccessKey: TEST_S3.secretAccessKey, minPartSize: TEST_S3.minPartSize, partSize: TEST_S3.minPartSize };
      backend = await startUploadServer({
        port: 0,
        secret: randomBytes(32).toString('hex'),
        providers: {
          feishu,
          lark: feishu,
          'cos-legacy': { baseUrl: emulator.url, ...TEST_COS_LEGACY },
          pds: { baseUrl: emulator.url, domainId: TEST_PDS.domainId, driveId: TEST_PDS.driveId, accessToken: TEST_PDS.accessToken, partSize: TEST_PDS.partSize },
          s3,
        },
        allowedOrigins,
      });
      // A second backend whose S3 uploads take x-amz-checksum-crc32 per part (S3_PART_CHECKSUM=crc32).
      s3Crc32Backend = await startUploadServer({
        port: 0,
        secret: randomBytes(32).toString('hex'),
        providers: { s3: { ...s3, partChecksum: 'crc32' } },
        allowedOrigins,
      });
      env = {
        backendUrl: backend.url,
        emulatorUrl: emulator.url,
        target: TEST_TARGET,
        blockSize: TEST_BLOCK_SIZE,
        ...TEST_APP,
        s3: { url: emulator.s3Url, bucket: TEST_S3.bucket, partSize: TEST_S3.minPartSize, crc32BackendUrl: s3Crc32Backend.url },
        pds: { target: TEST_PDS.target, partSize: TEST_PDS.partSize },
      };
    },
    serve(context) {
      if (context.path === '/__test-env') return { body: JSON.stringify(env ?? {}), type: 'application/json' };
      return undefined;
    },
    async serverStop() {
      await s3Crc32Backend?.close();
      await backend?.close();
      await emulator?.close();
      if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
