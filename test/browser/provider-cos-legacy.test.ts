// The COS legacy browser client with the real hash pool, against the real backend and the COS
// legacy emulator (both started by test/support/wtr-backend-plugin.mjs): slices go straight
// from the page to the emulator with the signatures the backend vends.
import type { PartReceipt, ProviderClient, SessionContext, UploadSession, UploadSnapshot, UploadStatus } from '../../src/core/index.js';
import { UploadEngine } from '../../src/engine/index.js';
import { HashPool } from '../../src/hashing/index.js';
import { COS_SIGNATURE_REFRESH_MARGIN_MS, createCosLegacyClient, createProviderClient, sendBody } from '../../src/providers/index.js';
import type { BodySender } from '../../src/providers/index.js';
import { assert, equal, uploadRejection as rejection } from '../support/browser-assert.js';
import { countingFetch } from '../support/counting-fetch.js';
import { setFaults } from '../support/emulator-admin.js';
import { admin, randomFile, sha1Hex, storedSha1, testEnv } from '../support/test-env.js';
import type { TestEnv } from '../support/test-env.js';
import { waitForUpload } from '../support/wait-for-upload.js';

/** The engine's one upload once it reaches one of `statuses`. */
const waitFor = (engine: UploadEngine, statuses: UploadStatus[], timeoutMs = 30_000): Promise<UploadSnapshot> => waitForUpload(engine, undefined, statuses, timeoutMs);

/** Small COS slices (a size COS accepts, cloud-apis.md §3.3) so a 2 MiB file has 5 of them. */
const SLICE = 524288;
const never = new AbortController().signal;

/** A unique directory per test and browser: the suites of all browsers share one emulator. */
function uniqueTarget(): string {
  return `/browser/${crypto.randomUUID()}`;
}

interface EmulatorSession {
  session: string;
  path: string;
  uploadparts?: unknown;
}

async function emulatorSessions(env: TestEnv): Promise<EmulatorSession[]> {
  return ((await admin(env, 'GET', 'cos-legacy/sessions')) as { sessions: EmulatorSession[] }).sessions;
}

function part(file: Blob, session: UploadSession, index: number): { index: number; start: number; end: number; body: Blob } {
  const start = index * session.plan.partSize;
  const end = Math.min(file.size, start + session.plan.partSize);
  return { index, start, end, body: file.slice(start, end) };
}

async function sendAll(client: ProviderClient, session: UploadSession, file: Blob, indexes: number[]): Promise<PartReceipt[]> {
  return Promise.all(indexes.map((index) => client.sendPart(session, part(file, session, index), () => {}, never)));
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

describe('COS legacy provider client (slices straight to the emulator)', () => {
  let pool: HashPool;
  beforeEach(() => {
    pool = new HashPool();
  });
  afterEach(() => pool.dispose());

  const context = (file: File): SessionContext => ({ hash: pool.open(file), file });

  it('hashes uploadparts before create, gets a parallel session and sends its slices at once', async () => {
    const env = await testEnv();
    const client = createCosLegacyClient({ endpoint: env.backendUrl });
    const file = randomFile('parallel.bin', 4 * SLICE + 1000);
    const target = uniqueTarget();
    const session = await client.createSession({ provider: 'cos-legacy', target, fileName: file.name, size: file.size, partSize: SLICE }, never, context(file));
    equal(session.provider, 'cos-legacy', 'provider');
    equal(session.transport, 'direct', 'transport');
    equal(session.plan, { partSize: SLICE, partCount: 5 }, 'plan');
    assert(session.traffic.maxConcurrency > 1, `parallel slices allowed, got ${session.traffic.maxConcurrency}`);
    equal(session.providerData?.['sha1'], await sha1Hex(file), 'the SHA-1 sent at create');
    equal(session.wholeFileHashes ?? [], [], 'no SHA-1 needed at complete');
    const held = (await emulatorSessions(env)).find((s) => s.session === session.uploadId);
    assert(Array.isArray(held?.uploadparts) && held.uploadparts.length === 5, 'COS holds the five slice hashes');

    const progress = new Map<number, number[]>();
    const receipts = await Promise.all(range(5).map((index) => client.sendPart(session, part(file, session, index), (loaded) => {
      progress.set(index, [...(progress.get(index) ?? []), loaded]);
    }, never)));
    equal(receipts.map((r) => r.index), range(5), 'receipts');
    for (const [index, seen] of progress) {
      equal(seen.at(-1), part(file, session, index).end - part(file, session, index).start, `progress of slice ${index} ends at its length`);
      assert(seen.every((loaded, i) => loaded >= (seen[i - 1] ?? 0) && loaded >= 0), `progress of slice ${index} never goes back`);
    }
    const result = await client.complete(session, { parts: receipts }, never);
    equal(result.provider, 'cos-legacy', 'result provider');
    equal(result.resourcePath, `/1250000000/emulator${target}/parallel.bin`, 'resource path');
    equal(await storedSha1(result.downloadUrl), await sha1Hex(file), 'SHA-1 of the stored file');
  });

  it('above the uploadparts size goes serially without hashing first, and completes with the file\'s SHA-1', async () => {
    const env = await testEnv();
    const client = createCosLegacyClient({ endpoint: env.backendUrl, uploadpartsMaxBytes: SLICE });
    const file = randomFile('serial.bin', 3 * SLICE + 77);
    const ctx = context(file);
    const session = await client.createSession({ provider: 'cos-legacy', target: uniqueTarget(), fileName: file.name, size: file.size, partSize: SLICE }, never, ctx);
    equal(ctx.hash.bytesHashed, 0, 'nothing hashed before create');
    equal(session.traffic.maxConcurrency, 1, 'one slice at a time');
    equal(session.providerData?.['sha1'], undefined, 'no SHA-1 at create');
    equal(session.wholeFileHashes, ['sha1'], 'the SHA-1 is wanted at complete');
    const receipts: PartReceipt[] = [];
    for (const index of range(session.plan.partCount)) receipts.push(await client.sendPart(session, part(file, session, index), () => {}, never));
    const sha1 = await ctx.hash.sha1Digest(never);
    equal(sha1, await sha1Hex(file), 'SHA-1 from the pool');
    equal(ctx.hash.bytesHashed, file.size, 'the file was read for hashing once, after the slices');
    const result = await client.complete(session, { parts: receipts, sha1 }, never);
    equal(await storedSha1(result.downloadUrl), sha1, 'SHA-1 of the stored file');
  });

  it('a serial slice sent out of order is refused as fatal -5999', async () => {
    const env = await testEnv();
    const client = createCosLegacyClient({ endpoint: env.backendUrl, uploadpartsMaxBytes: 0 });
    const file = randomFile('order.bin', 2 * SLICE);
    const session = await client.createSession({ provider: 'cos-legacy', target: uniqueTarget(), fileName: file.name, size: file.size, partSize: SLICE }, never, context(file));
    const error = await rejection(client.sendPart(session, part(file, session, 1), () => {}, never));
    equal([error.kind, error.providerCode], ['fatal', '-5999'], 'out of order');
  });

  it('resumes an unfinished upload of the same file through -4019: only the missing slices are sent', async () => {
    const env = await testEnv();
    const target = uniqueTarget();
    const bytes = randomFile('resume.bin', 5 * SLICE + 5);
    const request = { provider: 'cos-legacy' as const, target, fileName: bytes.name, size: bytes.size, partSize: SLICE };
    const first = createCosLegacyClient({ endpoint: env.backendUrl });
    const before = await first.createSession(request, never, context(bytes));
    await sendAll(first, before, bytes, [0, 2, 3]);

    // A reload: a new client, a new File object with the same bytes, the old session forgotten.
    const again = new File([await bytes.arrayBuffer()], bytes.name);
    const second = createCosLegacyClient({ endpoint: env.backendUrl });
    const resumed = await second.createSession(request, never, context(again));
    equal(resumed.uploadId, before.uploadId, 'the same COS session');
    equal((resumed.uploadedParts ?? []).map((p) => p.index), [0, 2, 3], 'the slices COS holds');
    const sent = await sendAll(second, resumed, again, [1, 4, 5]);
    const result = await second.complete(resumed, { parts: [...(resumed.uploadedParts ?? []), ...sent] }, never);
    equal(await storedSha1(result.downloadUrl), await sha1Hex(again), 'SHA-1 of the stored file');
  });

  it('a slice answered -59 gets a fresh signature and goes again at once', async () => {
    const env = await testEnv();
    const counting = countingFetch();
    const client = createCosLegacyClient({ endpoint: env.backendUrl, fetch: counting.fetch });
    const file = randomFile('resign.bin', 2 * SLICE);
    const session = await client.createSession({ provider: 'cos-legacy', target: uniqueTarget(), fileName: file.name, size: file.size, partSize: SLICE }, never, context(file));
    const receipt = await client.sendPart(session, part(file, session, 0), () => {}, never);
    equal(counting.partUrlCalls(), 1, 'one signature serves the first slice');
    await setFaults(env.emulatorUrl, { routes: { 'cos-legacy.upload_slice_data': { failNext: 1, errorCode: -59 } } });
    try {
      const again = await client.sendPart(session, part(file, session, 1), () => {}, never);
      equal(again.index, 1, 'receipt after re-signing');
      equal(counting.partUrlCalls(), 2, 'a fresh signature after -59');
      await setFaults(env.emulatorUrl, { routes: { 'cos-legacy.upload_slice_data': { failNext: 2, errorCode: -59 } } });
      const twice = await rejection(client.sendPart(session, part(file, session, 1), () => {}, never));
      equal([twice.kind, twice.providerCode, twice.status], ['retry', '-59', 403], 'expired twice in a row is left to the engine\'s backoff');
      equal(counting.partUrlCalls(), 3, 'one fresh signature per slice send');
    } finally {
      await setFaults(env.emulatorUrl, {});
    }
    const last = await client.sendPart(session, part(file, session, 1), () => {}, never);
    const result = await client.complete(session, { parts: [receipt, last] }, never);
    equal(await storedSha1(result.downloadUrl), await sha1Hex(file), 'SHA-1 of the stored file');
  });

  it('asks for a new signature before the one it holds runs out', async () => {
    const env = await testEnv();
    const counting = countingFetch();
    let skew = 0;
    const client = createCosLegacyClient({ endpoint: env.backendUrl, fetch: counting.fetch, now: () => Date.now() + skew });
    const file = randomFile('refresh.bin', 3 * SLICE);
    const session = await client.createSession({ provider: 'cos-legacy', target: uniqueTarget(), fileName: file.name, size: file.size, partSize: SLICE }, never, context(file));
    const receipts = await sendAll(client, session, file, [0, 1]);
    equal(counting.partUrlCalls(), 1, 'slices share one signature');
    // 10 s before the signature's end: inside the refresh margin, still valid at the emulator.
    const signatureLife = 600_000;
    skew = signatureLife - COS_SIGNATURE_REFRESH_MARGIN_MS + 20_000;
    receipts.push(await client.sendPart(session, part(file, session, 2), () => {}, never));
    equal(counting.partUrlCalls(), 2, 'a new signature near the end of the old one');
    skew = 0;
    const result = await client.complete(session, { parts: receipts }, never);
    equal(await storedSha1(result.downloadUrl), await sha1Hex(file), 'SHA-1 of the stored file');
  });

  it('classifies slice failures from COS codes: -4016 checksum, -197 session gone, -71 rate limit, -196 retry', async () => {
    const env = await testEnv();
    const client = createCosLegacyClient({ endpoint: env.backendUrl });
    const file = randomFile('codes.bin', 2 * SLICE);
    const session = await client.createSession({ provider: 'cos-legacy', target: uniqueTarget(), fileName: file.name, size: file.size, partSize: SLICE }, never, context(file));
    // Other bytes than the uploadparts promised for slice 0.
    const wrong = await rejection(client.sendPart(session, { ...part(file, session, 0), body: randomFile('x', SLICE) }, () => {}, never));
    equal([wrong.code, wrong.kind, wrong.providerCode], ['checksum-mismatch', 'checksum-mismatch', '-4016'], '-4016');
    try {
      await setFaults(env.emulatorUrl, { routes: { 'cos-legacy.upload_slice_data': { failNext: 1, errorCode: -71 } } });
      const slow = await rejection(client.sendPart(session, part(file, session, 0), () => {}, never));
      equal([slow.code, slow.kind, slow.retryAfterMs], ['rate-limited', 'rate-limited', 1000], '-71');
      await setFaults(env.emulatorUrl, { routes: { 'cos-legacy.upload_slice_data': { failNext: 1 } } });
      const busy = await rejection(client.sendPart(session, part(file, session, 0), () => {}, never));
      equal([busy.code, busy.kind, busy.providerCode, busy.status], ['server-error', 'retry', '-196', 503], '-196');
    } finally {
      await setFaults(env.emulatorUrl, {});
    }
    await admin(env, 'POST', 'cos-legacy/expire-sessions');
    const gone = await rejection(client.sendPart(session, part(file, session, 0), () => {}, never));
    equal([gone.kind, gone.providerCode], ['session-expired', '-197'], '-197');
    assert(!gone.message.includes('sign='), 'the message does not leak the signed URL');
  });

  it('stores an empty file at create, with nothing to send', async () => {
    const env = await testEnv();
    const client = createProviderClient('cos-legacy', { endpoint: env.backendUrl });
    equal(client.acceptsEmptyFiles, true, 'empty files are accepted');
    const file = new File([], 'empty.txt');
    const session = await client.createSession({ provider: 'cos-legacy', target: uniqueTarget(), fileName: file.name, size: 0 }, never, context(file));
    equal(session.result?.size, 0, 'stored at create');
    equal(await storedSha1(session.result?.downloadUrl), await sha1Hex(file), 'SHA-1 of the stored (empty) file');
  });

  it('aborting a slice rejects with an AbortError, not an UploadError', async () => {
    const env = await testEnv();
    // Holds the slice back for a while, as a slow network does, then really sends it.
    const slow: BodySender = (request, onProgress, signal) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(sendBody(request, onProgress, signal)), 5000);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new DOMException('aborted', 'AbortError'));
      }, { once: true });
    });
    const client = createCosLegacyClient({ endpoint: env.backendUrl, sendBody: slow });
    const file = randomFile('abort.bin', SLICE);
    const session = await client.createSession({ provider: 'cos-legacy', target: uniqueTarget(), fileName: file.name, size: file.size, partSize: SLICE }, never, context(file));
    const controller = new AbortController();
    const sending = client.sendPart(session, part(file, session, 0), () => {}, controller.signal);
    controller.abort();
    let caught: unknown;
    try {
      await sending;
    } catch (error) {
      caught = error;
    }
    assert(caught instanceof DOMException && caught.name === 'AbortError', `an AbortError, got ${String(caught)}`);
    await client.abort(session);
  });
});

describe('UploadEngine + HashPool + COS legacy client', () => {
  let engine: UploadEngine | undefined;
  let pool: HashPool | undefined;
  afterEach(() => {
    engine?.dispose();
    pool?.dispose();
  });

  for (const mode of ['parallel', 'serial'] as const) {
    it(`uploads a file (${mode} slices) and reports result.resourcePath`, async () => {
      const env = await testEnv();
      pool = new HashPool();
      const target = uniqueTarget();
      engine = new UploadEngine({
        provider: createCosLegacyClient({ endpoint: env.backendUrl, uploadpartsMaxBytes: mode === 'parallel' ? 64 * SLICE : 0 }),
        hasher: pool,
        target,
        chunkSize: SLICE,
        concurrency: 4,
      });
      const file = randomFile(`${mode}.bin`, 6 * SLICE + 123);
      engine.add([file]);
      const done = await waitFor(engine, ['done', 'failed']);
      equal(done.status, 'done', `finished: ${JSON.stringify(done.error)}`);
      equal(done.result?.resourcePath, `/1250000000/emulator${target}/${mode}.bin`, 'resource path');
      equal(done.counters.bytesSent, file.size, 'every byte sent once');
      equal(done.counters.bytesHashed, file.size, 'every byte hashed once');
      equal(await storedSha1(done.result?.downloadUrl), await sha1Hex(file), 'SHA-1 of the stored file');
    });
  }
});
