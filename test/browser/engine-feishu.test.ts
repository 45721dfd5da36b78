// The whole browser side in Chromium: UploadEngine + HashPool (real workers, hash-wasm) +
// the Feishu client, against the backend relaying to the Feishu emulator
// (test/support/wtr-backend-plugin.mjs). Stored bytes are checked by downloading them.
import type { UploadSnapshot } from '../../src/core/index.js';
import { UploadEngine } from '../../src/engine/index.js';
import { HashPool } from '../../src/hashing/index.js';
import { createProviderClient } from '../../src/providers/index.js';
import { assert, equal } from '../support/browser-assert.js';
import { randomFile, sha1Hex, storedBytes, testEnv } from '../support/test-env.js';
import { waitForUpload as waitFor } from '../support/wait-for-upload.js';

describe('UploadEngine + HashPool + Feishu client against the backend and emulator', () => {
  let engine: UploadEngine | undefined;
  let pool: HashPool | undefined;

  afterEach(() => {
    engine?.dispose();
    pool?.dispose();
    engine = undefined;
    pool = undefined;
  });

  it('uploads a random multi-part file that the emulator stores byte for byte', async () => {
    const env = await testEnv();
    pool = new HashPool();
    engine = new UploadEngine({ provider: createProviderClient('feishu', { endpoint: env.backendUrl }), hasher: pool, target: env.target });
    const file = randomFile('random.bin', 5 * env.blockSize + 12_345);
    const progress: UploadSnapshot[] = [];
    engine.addEventListener('upload-progress', (event) => progress.push(event.detail.upload));
    const [added] = engine.add([file]);
    assert(added !== undefined, 'added');
    const done = await waitFor(engine, added.id, ['done', 'failed']);
    equal(done.status, 'done', `status (error: ${JSON.stringify(done.error)})`);
    equal([done.partsDone, done.partCount], [6, 6], 'parts');
    equal(done.counters.bytesSent, file.size, 'bytes sent once each');
    equal(done.counters.bytesHashed, file.size, 'bytes hashed once each');
    assert(done.result?.fileToken !== undefined, 'a file token');
    equal(await sha1Hex(await storedBytes(env, done.result.fileToken)), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored file');
    assert(progress.length > 0 && progress.every((p) => p.bytesTransferred <= file.size), 'progress stayed within the file');
  });

  it('pauses mid-upload and resumes without sending acknowledged parts again', async () => {
    const env = await testEnv();
    pool = new HashPool();
    engine = new UploadEngine({ provider: createProviderClient('feishu', { endpoint: env.backendUrl }), hasher: pool, target: env.target });
    const file = randomFile('paused.bin', 8 * env.blockSize);
    const [added] = engine.add([file]);
    assert(added !== undefined, 'added');
    const id = added.id;
    await new Promise<void>((resolve) => {
      const onProgress = (): void => {
        if ((engine?.uploads.find((u) => u.id === id)?.partsDone ?? 0) < 2) return;
        engine?.removeEventListener('change', onProgress);
        resolve();
      };
      engine?.addEventListener('change', onProgress);
    });
    engine.pause(id);
    const paused = engine.uploads.find((u) => u.id === id);
    equal(paused?.status, 'paused', 'paused');
    const acked = paused?.partsDone ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 100));
    engine.resume(id);
    const done = await waitFor(engine, id, ['done', 'failed']);
    equal(done.status, 'done', `status (error: ${JSON.stringify(done.error)})`);
    assert(done.counters.bytesSent - done.counters.bytesResent === file.size, 'every byte reached the network once, besides re-sends');
    // Feishu allows one part in flight per upload (traffic.maxConcurrency 1): the pause re-sends at most
    // that one; a retry (e.g. a rate-limit answer on a loaded machine) re-sends its own part and is counted.
    const allowed = env.blockSize * (1 + done.counters.retries);
    assert(done.counters.bytesResent <= allowed, `only the part in flight (and retried parts) was sent again (${done.counters.bytesResent} bytes, ${done.counters.retries} retries)`);
    assert(acked >= 2 && done.history.some((entry) => entry.status === 'paused'), 'it was paused after two parts');
    equal(await sha1Hex(await storedBytes(env, done.result?.fileToken ?? '')), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored file');
  });

  it('fails a file for a folder that does not exist with a typed error while another file succeeds', async () => {
    const env = await testEnv();
    pool = new HashPool();
    engine = new UploadEngine({ provider: createProviderClient('feishu', { endpoint: env.backendUrl }), hasher: pool, target: 'fldmissing' });
    const [lost] = engine.add([randomFile('lost.bin', 1000)]);
    engine.setOptions({ target: env.target });
    const [kept] = engine.add([randomFile('kept.bin', env.blockSize + 1)]);
    assert(lost !== undefined && kept !== undefined, 'added');
    const failed = await waitFor(engine, lost.id, ['failed', 'done']);
    equal([failed.status, failed.error?.kind, failed.error?.providerCode], ['failed', 'fatal', '1061044'], 'failure');
    equal((await waitFor(engine, kept.id, ['done', 'failed'])).status, 'done', 'the other file');
  });

  it('refuses an empty file before any request, as Feishu does not store them', () => {
    engine = new UploadEngine({ provider: createProviderClient('feishu', { endpoint: 'http://127.0.0.1:9' }), hasher: { open: () => { throw new Error('no hashing'); }, dispose: () => {} }, target: 'x' });
    const [empty] = engine.add([new File([], 'empty.txt')]);
    equal([empty?.status, empty?.error?.code], ['failed', 'file-empty'], 'refused');
  });
});
