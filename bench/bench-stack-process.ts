// The servers one benchmark run talks to, alone in a child process so the runner's polling
// and Chromium's CDP traffic never share an event loop with them:
// - the emulator (every flavour; S3 on its own listener), product defaults except the Feishu
//   rate limit, which starts off and is switched per measurement through the admin route;
// - the backend twice: unpaced (Feishu pacing off, for throughput) and paced (Feishu's
//   documented 5 QPS, for the rate measurement);
// - the page server: the built bench pages, `/sign` (presigns any S3 request, for Uppy's
//   `signRequest`), `/api/*` (a proxy to the unpaced backend, so the element can reach "the
//   app's own backend" on the page's origin exactly like Uppy's signer does), and
//   `POST /__bench/latency` (delay added to `/sign` and `/api/*`);
// - the sink: any PUT/POST body is streamed to a temp file and dropped, the raw-XHR baseline.
// Started by bench-stack.ts with one JSON argument (BenchStackProcessOptions); reports
// `{ type: 'ready', ... }` over IPC and stops on 'stop'.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { startEmulator } from '../src/emulator/index.js';
import { S3RequestSigner, startUploadServer, type ServerProvidersConfig } from '../src/server/index.js';
import { encodeS3Key } from '../src/server/providers/s3-request-signer.js';
import { BENCH_EMULATOR } from './bench-emulator.js';

/** What the parent passes (JSON in argv[2]). */
export interface BenchStackProcessOptions {
  dataDir: string;
  /** Built pages (bench/build-pages.ts output). */
  pageDir: string;
  /** The backend's S3 per-part checksum (default: the product default, MD5); for experiments. */
  s3PartChecksum?: 'md5' | 'crc32' | 'none';
}

/** What the child reports once everything listens. */
export interface BenchStackUrls {
  pageUrl: string;
  emulatorUrl: string;
  s3Url: string;
  /** Backend with Feishu pacing off. */
  backendUrl: string;
  /** Backend with Feishu's documented 5 QPS pacing (the product default). */
  pacedBackendUrl: string;
  sinkUrl: string;
}

/** Presigned URLs for Uppy live 10 minutes, like the backend's part URLs (S3_PART_URL_TTL_SEC). */
const SIGN_TTL_SEC = 600;
/** Key prefix of Uppy's objects, so they never collide with the element's. */
const UPPY_KEY_PREFIX = 'uppy/';
/** Headers a sink or proxy answer carries for any page origin. */
const OPEN_CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, PUT, POST, DELETE, OPTIONS',
  'access-control-allow-headers': '*',
  'access-control-expose-headers': 'etag',
  'access-control-max-age': '600',
};
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** The presigning request Uppy's `signRequest` hands over (@uppy/aws-s3 6 `PresignableRequest`). */
interface UppySignRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  key: string;
  uploadId?: string;
  partNumber?: number;
  contentType?: string;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/** The raw-PUT baseline: stores the body on disk like the emulator does, then drops it. */
function sinkHandler(dir: string): (req: IncomingMessage, res: ServerResponse) => void {
  let n = 0;
  return (req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, OPEN_CORS).end();
      return;
    }
    const path = join(dir, `sink-${process.pid}-${n++}`);
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    pipeline(req, createWriteStream(path))
      .then(() => sendJson(res, 200, { bytes }, { ...OPEN_CORS, etag: `"${bytes}"` }))
      .catch((error: unknown) => sendJson(res, 500, { error: String(error) }, OPEN_CORS))
      .finally(() => void rm(path, { force: true }));
  };
}

/** A presigned URL for any S3 call Uppy makes, signed with the backend's own signer. */
function presignForUppy(signer: S3RequestSigner, s3Url: string, bucket: string, input: UppySignRequest): { url: string; key: string } {
  const key = input.key.startsWith(UPPY_KEY_PREFIX) ? input.key : `${UPPY_KEY_PREFIX}${input.key}`;
  const url = new URL(`${s3Url}/${bucket}/${encodeS3Key(key)}`);
  const query: string[] = [];
  if (input.uploadId === undefined) {
    if (input.method === 'POST') query.push('uploads=');
  } else {
    if (input.partNumber !== undefined) query.push(`partNumber=${input.partNumber}`);
    query.push(`uploadId=${encodeURIComponent(input.uploadId)}`);
  }
  url.search = query.length > 0 ? `?${query.join('&')}` : '';
  return { url: signer.presign({ method: input.method, url, now: Date.now() }, SIGN_TTL_SEC), key };
}

/** Forward one request to `target` (streaming both bodies) after `delayMs`. */
async function proxy(req: IncomingMessage, res: ServerResponse, target: URL, delayMs: number): Promise<void> {
  await sleep(delayMs);
  await new Promise<void>((resolve) => {
    const upstream = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      pipeline(answer, res).then(resolve, () => resolve());
    });
    upstream.on('error', () => {
      if (!res.headersSent) sendJson(res, 502, { error: 'backend unreachable' });
      resolve();
    });
    pipeline(req, upstream).catch(() => undefined);
  });
}

async function serveStatic(root: string, pathname: string, res: ServerResponse): Promise<void> {
  const relative = normalize(decodeURIComponent(pathname === '/' ? '/index.html' : pathname)).replace(/^([/\\])+/, '');
  const path = join(root, relative);
  if (!path.startsWith(root + sep)) {
    sendJson(res, 403, { error: 'outside the page dir' });
    return;
  }
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile()) {
    sendJson(res, 404, { error: 'not found' });
    return;
  }
  res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream', 'content-length': info.size, 'cache-control': 'no-store' });
  await pipeline(createReadStream(path), res);
}

async function main(options: BenchStackProcessOptions): Promise<void> {
  const sinkDir = join(options.dataDir, 'sink');
  await mkdir(sinkDir, { recursive: true });
  const emulator = await startEmulator({
    port: 0,
    dataDir: join(options.dataDir, 'emulator'),
    feishu: { rateLimit: { enabled: false } },
    s3: { port: 0 },
  });

  const pageServer = createServer();
  const pageUrl = await listen(pageServer);
  const { feishu, pds, cosLegacy, s3 } = BENCH_EMULATOR;
  const providers = (feishuQps: number | undefined): ServerProvidersConfig => {
    const feishuConfig = { baseUrl: emulator.url, appId: feishu.appId, appSecret: feishu.appSecret, ...(feishuQps !== undefined && { rateLimitQps: feishuQps }) };
    return {
      feishu: feishuConfig,
      lark: feishuConfig,
      pds: { baseUrl: emulator.url, domainId: pds.domainId, driveId: pds.driveId, accessToken: pds.accessToken },
      'cos-legacy': { baseUrl: emulator.url, appId: cosLegacy.appId, bucket: cosLegacy.bucket, secretId: cosLegacy.secretId, secretKey: cosLegacy.secretKey },
      s3: {
        endpoint: emulator.s3Url, region: s3.region, bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey,
        ...(options.s3PartChecksum !== undefined && { partChecksum: options.s3PartChecksum }),
      },
    };
  };
  const allowedOrigins = [pageUrl];
  const secret = randomBytes(32).toString('hex');
  // "Off" for the throughput runs: far above anything loopback can reach.
  const backend = await startUploadServer({ port: 0, secret, providers: providers(1_000_000), allowedOrigins });
  const pacedBackend = await startUploadServer({ port: 0, secret, providers: providers(undefined), allowedOrigins });

  const signer = new S3RequestSigner({ accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }, s3.region);
  let latencyMs = 0;
  const backendBase = new URL(backend.url);
  pageServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', pageUrl);
    const fail = (error: unknown): void => {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
      else res.destroy();
    };
    if (url.pathname === '/__bench/latency' && req.method === 'POST') {
      readJson(req).then((body) => {
        latencyMs = Math.max(0, Number((body as { ms?: unknown }).ms) || 0);
        sendJson(res, 200, { ms: latencyMs });
      }).catch(fail);
    } else if (url.pathname === '/sign' && req.method === 'POST') {
      Promise.all([readJson(req), sleep(latencyMs)])
        .then(([body]) => sendJson(res, 200, presignForUppy(signer, emulator.s3Url, s3.bucket, body as UppySignRequest)))
        .catch(fail);
    } else if (url.pathname.startsWith('/api/')) {
      const target = new URL(url.pathname.slice('/api'.length) + url.search, backendBase);
      proxy(req, res, target, latencyMs).catch(fail);
    } else {
      serveStatic(options.pageDir, url.pathname, res).catch(fail);
    }
  });

  const sink = createServer(sinkHandler(sinkDir));
  const sinkUrl = await listen(sink);

  // Everything lives in the temp data dir the parent deletes: no graceful close needed, and a
  // half-assembled multi-GiB object (a measurement that stops once the parts are in) is dropped at once.
  process.on('message', (message: unknown) => {
    if (message === 'stop') process.exit(0);
  });
  process.on('disconnect', () => process.exit(0));
  const urls: BenchStackUrls = {
    pageUrl,
    emulatorUrl: emulator.url,
    s3Url: emulator.s3Url,
    backendUrl: backend.url,
    pacedBackendUrl: pacedBackend.url,
    sinkUrl,
  };
  process.send?.({ type: 'ready', urls });
}

main(JSON.parse(process.argv[2] ?? '{}') as BenchStackProcessOptions).catch((error: unknown) => {
  process.stderr.write(`bench stack: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
