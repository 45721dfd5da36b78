// The Aliyun PDS browser client in Chromium, with the real hash pool (workers, hash-wasm),
// against the real backend and the PDS emulator (test/support/wtr-backend-plugin.mjs): parts
// go straight to presigned storage URLs. Stored bytes are checked by downloading them.
import type { HashHandle, PartReceipt, ProviderClient, UploadSession, UploadSnapshot } from '../../src/core/index.js';
import { UploadEngine } from '../../src/engine/index.js';
import { HashPool } from '../../src/hashing/index.js';
import { createPdsClient, createProviderClient, PDS_MAX_URL_RESIGNS, sendBody } from '../../src/providers/index.js';
import type { BodySender } from '../../src/providers/index.js';
import { assert, equal, uploadRejection as rejection } from '../support/browser-assert.js';
import { emulatorLog, type EmulatorLogEntry } from '../support/emulator-admin.js';
import { admin, downloaded, randomBytes, sha1Hex, testEnv as runnerEnv } from '../support/test-env.js';
import type { TestEnv } from '../support/test-env.js';
import { waitForUpload as waitFor } from '../support/wait-for-upload.js';

const testEnv = (): Promise<TestEnv> => runnerEnv('pds');

const KiB = 1024;
const never = new AbortController().signal;

function fileOf(bytes: Uint8Array<ArrayBuffer>, name: string): File {
  return new File([bytes], name, { type: 'application/octet-stream', lastModified: Date.now() });
}

/** OSS's ETag of a part: `"<MD5 upper hex>"` (cloud-apis.md §2.9 item 6), from the pool's base64 MD5. */
async function expectedEtag(handle: HashHandle, start: number, end: number): Promise<string> {
  const base64 = await handle.partChecksum('md5', start, end);
  return `"${[...atob(base64)].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('').toUpperCase()}"`;
}

async function partPuts(env: TestEnv): Promise<EmulatorLogEntry[]> {
  return emulatorLog(env.emulatorUrl, 'pds.oss.put_part');
}

/** Run `body` with the emulator's PDS settings patched, and put them back afterwards. */
async function withPdsSettings(env: TestEnv, patch: Record<string, unknown>, body: () => Promise<void>): Promise<void> {
  const before = (await admin(env, 'GET', 'pds/config')) as Record<string, unknown>;
  await admin(env, 'PUT', 'pds/config', patch);
  try {
    await body();
  } finally {
    await admin(env, 'PUT', 'pds/config', { exposeEtag: before['exposeEtag'], parallelUpload: before['parallelUpload'] });
  }
}

function range(session: UploadSession, size: number, index: number): { start: number; end: number } {
  const start = index * session.plan.partSize;
  return { start, end: Math.min(size, start + session.plan.partSize) };
}

/** Send one part the way the engine does: its checksum from the pool when the session asks for one. */
async function sendPart(client: ProviderClient, session: UploadSession, file: File, handle: HashHandle, index: number, onProgress: (loaded: number) => void = () => {}): Promise<PartReceipt> {
  const { start, end } = range(session, file.size, index);
  const checksum = session.partChecksum === null ? undefined : await handle.partChecksum(session.partChecksum, start, end);
  return client.sendPart(session, { index, start, end, body: file.slice(start, end), ...(checksum !== undefined && { checksum }) }, onProgress, never);
}

/** A body sender that counts the part PUTs it forwards. */
function countingSender(): { sender: BodySender; puts: number[] } {
  const puts: number[] = [];
  return { puts, sender: (request, onProgress, signal) => {
    puts.push(request.body.size);
    return sendBody(request, onProgress, signal);
  } };
}

describe('PDS provider client (direct part PUTs to presigned storage URLs)', () => {
  let pool: HashPool;
  const handles: HashHandle[] = [];
  const open = (file: File): HashHandle => {
    const handle = pool.open(file);
    handles.push(handle);
    return handle;
  };

  beforeEach(() => {
    pool = new HashPool({ size: 2 });
  });
  afterEach(() => {
    for (const handle of handles.splice(0)) handle.close();
    pool.dispose();
  });

  it('sends parallel parts with their SHA-1 contexts in any order, reports byte progress, keeps ETags and completes into the stored file', async () => {
    const env = await testEnv();
    const client = createPdsClient({ endpoint: env.backendUrl });
    const file = fileOf(randomBytes(5 * env.pds.partSize + 777), 'parallel.bin');
    const handle = open(file);
    const session = await client.createSession({ provider: 'pds', target: env.pds.target, fileName: file.name, size: file.size }, never, { hash: handle, file });
    equal(session.provider, 'pds', 'provider');
    equal(session.transport, 'direct', 'transport');
    equal(session.partChecksum, 'sha1-ctx', 'checksum kind');
    equal(session.providerData?.['mode'], 'parallel', 'mode');
    equal(session.plan, { partSize: env.pds.partSize, partCount: 6 }, 'plan');
    assert(session.traffic.maxConcurrency > 1, 'parallel parts may be in flight together');
    // Last part first, the rest all at once: storage takes them in any order.
    const progress = new Map<number, number[]>();
    const last = await sendPart(client, session, file, handle, 5, (loaded) => progress.set(5, [...(progress.get(5) ?? []), loaded]));
    const others = await Promise.all([0, 1, 2, 3, 4].map((index) => sendPart(client, session, file, handle, index, (loaded) => progress.set(index, [...(progress.get(index) ?? []), loaded]))));
    const receipts = [...others, last];
    for (const receipt of receipts) {
      const { start, end } = range(session, file.size, receipt.index);
      equal(receipt.etag, await expectedEtag(handle, start, end), `ETag of part ${receipt.index}`);
      equal(progress.get(receipt.index)?.at(-1), end - start, `last progress of part ${receipt.index}`);
      if (receipt.index > 0) assert(receipt.checksum?.startsWith('{"h":[') === true && receipt.checksum.includes(`"part_offset":${start}`), `part ${receipt.index} carried its context`);
    }
    const result = await client.complete(session, { parts: receipts.sort((a, b) => a.index - b.index) }, never);
    equal(result.provider, 'pds', 'result provider');
    assert(typeof result.fileId === 'string' && result.driveId !== undefined, 'a file id and drive id');
    equal(result.size, file.size, 'size');
    equal(await sha1Hex(await downloaded(result.downloadUrl)), await sha1Hex(file), 'SHA-1 of the stored file');
  });

  it('falls back to serial mode when PDS refuses parallel uploads, and takes a re-sent part from the part list', async () => {
    const env = await testEnv();
    await withPdsSettings(env, { parallelUpload: false }, async () => {
      const { sender, puts } = countingSender();
      const client = createPdsClient({ endpoint: env.backendUrl, sendBody: sender });
      const file = fileOf(randomBytes(3 * env.pds.partSize + 10), 'serial.bin');
      const handle = open(file);
      const session = await client.createSession({ provider: 'pds', target: env.pds.target, fileName: file.name, size: file.size }, never, { hash: handle, file });
      equal(session.partChecksum, null, 'no per-part checksum');
      equal(session.traffic.maxConcurrency, 1, 'one part at a time');
      equal(session.providerData?.['mode'], 'serial', 'mode');
      const receipts: PartReceipt[] = [];
      for (let index = 0; index < 4; index += 1) receipts.push(await sendPart(client, session, file, handle, index));
      // Part 1 again, as after an answer lost on the way: storage says 409, the client lists the parts.
      const again = await sendPart(client, session, file, handle, 1);
      equal(again.etag, receipts[1]?.etag, 'the re-sent part keeps the stored ETag');
      equal(puts.length, 5, 'five PUTs went out');
      const result = await client.complete(session, { parts: receipts }, never);
      equal(await sha1Hex(await downloaded(result.downloadUrl)), await sha1Hex(file), 'SHA-1 of the stored file');
    });
  });

  it('re-signs a part URL that expired before it was used and sends the part again', async () => {
    const env = await testEnv();
    const { sender, puts } = countingSender();
    const client = createPdsClient({ endpoint: env.backendUrl, sendBody: sender });
    const file = fileOf(randomBytes(2 * env.pds.partSize), 'expiry.bin');
    const handle = open(file);
    const session = await client.createSession({ provider: 'pds', target: env.pds.target, fileName: file.name, size: file.size }, never, { hash: handle, file });
    // Part 0's URL came with the session; expire every URL issued so far.
    await admin(env, 'DELETE', 'log');
    await admin(env, 'POST', 'pds/expire-urls');
    const first = await sendPart(client, session, file, handle, 0);
    equal((await partPuts(env)).map((e) => e.status), [403, 200], 'storage refused the stale URL, then took the fresh one');
    equal(puts.length, 2, 'part 0 was sent twice');
    const second = await sendPart(client, session, file, handle, 1);
    const result = await client.complete(session, { parts: [first, second] }, never);
    equal(await sha1Hex(await downloaded(result.downloadUrl)), await sha1Hex(file), 'SHA-1 of the stored file');
  });

  it('stops re-signing after a few expired answers and hands the engine a retryable error', async () => {
    const env = await testEnv();
    const { sender, puts } = countingSender();
    const client = createPdsClient({ endpoint: env.backendUrl, sendBody: sender });
    const file = fileOf(randomBytes(env.pds.partSize), 'always-expired.bin');
    const handle = open(file);
    const session = await client.createSession({ provider: 'pds', target: env.pds.target, fileName: file.name, size: file.size }, never, { hash: handle, file });
    await admin(env, 'PUT', 'faults', { routes: { 'pds.oss.put_part': { failNext: 10, errorCode: 'AccessDenied' } } });
    try {
      const error = await rejection(sendPart(client, session, file, handle, 0));
      equal(error.kind, 'retry', 'kind');
      equal(error.providerCode, 'AccessDenied', 'provider code');
      equal(error.status, 403, 'status');
      equal(puts.length, 1 + PDS_MAX_URL_RESIGNS, 'PUTs before giving up');
    } finally {
      await admin(env, 'PUT', 'faults', {});
    }
  });

  it('reports etag-hidden, with the fix, when the storage CORS rule does not expose ETag', async () => {
    const env = await testEnv();
    await withPdsSettings(env, { exposeEtag: false }, async () => {
      const client = createPdsClient({ endpoint: env.backendUrl });
      const file = fileOf(randomBytes(4 * KiB), 'hidden-etag.bin');
      const handle = open(file);
      const session = await client.createSession({ provider: 'pds', target: env.pds.target, fileName: file.name, size: file.size }, never, { hash: handle, file });
      const error = await rejection(sendPart(client, session, file, handle, 0));
      equal(error.code, 'etag-hidden', 'code');
      equal(error.kind, 'fatal', 'kind');
      assert(/expose/i.test(error.message) && error.message.includes('ETag') && /CORS/.test(error.message), `the message says what to fix: ${error.message}`);
    });
  });

  it('finishes a file PDS already holds by rapid upload: pre_hash, SHA-1 and proof, and no part bytes', async () => {
    const env = await testEnv();
    const bytes = randomBytes(1024 * KiB + 333);
    const original = fileOf(bytes, 'rapid-original.bin');
    const client = createProviderClient('pds', { endpoint: env.backendUrl });
    const first = await uploadWithEngine(client, original, env.pds.target);
    equal(first.status, 'done', 'first upload');
    assert(first.result?.rapid !== true, 'the first upload sent its bytes');

    const creates: string[] = [];
    const spying: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : input.toString();
      if (init?.method === 'POST' && url.endsWith('/v1/sessions') && typeof init.body === 'string') creates.push(init.body);
      return fetch(input, init);
    };
    const again = fileOf(bytes, 'rapid-again.bin');
    const handle = open(again);
    await admin(env, 'DELETE', 'log');
    const session = await createPdsClient({ endpoint: env.backendUrl, fetch: spying }).createSession(
      { provider: 'pds', target: env.pds.target, fileName: again.name, size: again.size }, never, { hash: handle, file: again });
    const result = session.result;
    assert(result !== undefined, 'the session carries a result');
    equal(result.rapid, true, 'rapid');
    assert(result.fileId !== undefined && result.fileId !== first.result?.fileId, 'a new file');
    equal(await sha1Hex(await downloaded(result.downloadUrl)), await sha1Hex(again), 'SHA-1 of the stored file');
    equal(await partPuts(env), [], 'no part was sent');
    const asked = creates.map((body) => Object.keys((JSON.parse(body) as { hashes?: Record<string, string> }).hashes ?? {}).sort().join(','));
    equal(asked, ['preHash', 'preHash,sha1', 'preHash,proofBytes,proofOffset,sha1'], 'the exchange: pre_hash, then SHA-1, then the proof');
  });

  it('falls back to a normal session when only the first KiB matches, with every part context already hashed', async () => {
    const env = await testEnv();
    const bytes = randomBytes(1024 * KiB + 64);
    const client = createProviderClient('pds', { endpoint: env.backendUrl });
    equal((await uploadWithEngine(client, fileOf(bytes, 'head-twin-a.bin'), env.pds.target)).status, 'done', 'first upload');
    const twin = bytes.slice();
    twin[twin.length - 1] = (twin.at(-1) ?? 0) ^ 0xff;
    const file = fileOf(twin, 'head-twin-b.bin');
    const handle = open(file);
    const session = await client.createSession({ provider: 'pds', target: env.pds.target, fileName: file.name, size: file.size }, never, { hash: handle, file });
    equal(session.result, undefined, 'no rapid result');
    assert(session.uploadId !== '', 'a real upload');
    const hashed = handle.bytesHashed;
    assert(hashed >= file.size, 'the whole file was hashed for the SHA-1');
    const receipts = await Promise.all(Array.from({ length: session.plan.partCount }, (_, index) => sendPart(client, session, file, handle, index)));
    equal(handle.bytesHashed, hashed, 'the part contexts came from checkpoints: no byte read twice');
    const result = await client.complete(session, { parts: receipts }, never);
    equal(await sha1Hex(await downloaded(result.downloadUrl)), await sha1Hex(file), 'SHA-1 of the stored file');
  });

  it('lists the parts storage holds, with their ETags, for a resume', async () => {
    const env = await testEnv();
    const client = createPdsClient({ endpoint: env.backendUrl });
    const file = fileOf(randomBytes(4 * env.pds.partSize), 'list.bin');
    const handle = open(file);
    const session = await client.createSession({ provider: 'pds', target: env.pds.target, fileName: file.name, size: file.size }, never, { hash: handle, file });
    equal(await client.listParts?.(session, never), [], 'nothing yet');
    const sent = [await sendPart(client, session, file, handle, 0), await sendPart(client, session, file, handle, 2)];
    const listed = await client.listParts?.(session, never);
    equal(listed?.map((p) => [p.index, p.etag]), sent.map((p) => [p.index, p.etag]), 'parts 0 and 2 with their ETags');
  });

  it('uploads through the engine in parallel, then the same content again instantly, and an empty file', async () => {
    const env = await testEnv();
    const client = createProviderClient('pds', { endpoint: env.backendUrl });
    const bytes = randomBytes(1536 * KiB + 5);
    const done = await uploadWithEngine(client, fileOf(bytes, 'engine.bin'), env.pds.target);
    equal(done.status, 'done', `status (${JSON.stringify(done.error)})`);
    equal(done.partCount, Math.ceil(bytes.length / env.pds.partSize), 'part count');
    equal(await sha1Hex(await downloaded(done.result?.downloadUrl)), await sha1Hex(fileOf(bytes, 'x')), 'SHA-1 of the stored file');
    const rapid = await uploadWithEngine(client, fileOf(bytes, 'engine-again.bin'), env.pds.target);
    equal(rapid.status, 'done', 'second status');
    equal(rapid.result?.rapid, true, 'rapid');
    equal(rapid.counters.bytesSent, 0, 'no part bytes sent');
    const empty = await uploadWithEngine(client, fileOf(new Uint8Array(0), 'empty.bin'), env.pds.target);
    equal(empty.status, 'done', `empty file (${JSON.stringify(empty.error)})`);
    equal((await downloaded(empty.result?.downloadUrl)).byteLength, 0, 'stored empty');
  });
});

/** Upload one file with a fresh engine and hash pool; resolves with its final snapshot. */
async function uploadWithEngine(provider: ProviderClient, file: File, target: string): Promise<UploadSnapshot> {
  const hasher = new HashPool({ size: 2 });
  const engine = new UploadEngine({ provider, hasher, target, concurrency: 3 });
  try {
    const [added] = engine.add([file]);
    assert(added !== undefined, 'added');
    return await waitFor(engine, added.id, ['done', 'failed', 'cancelled']);
  } finally {
    engine.dispose();
    hasher.dispose();
  }
}
