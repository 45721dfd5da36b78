// The worker body sender (issue 7, design C): part bodies go to a dedicated worker as
// `file.slice()` and leave from its XHR. Checked against the S3 emulator through the real S3
// client and backend (test/support/wtr-backend-plugin.mjs): stored bytes compared by SHA-1,
// progress, aborts, failed connections, CORS-hidden headers, and which path ran in this browser.
import { createS3Client, sendBody } from '../../src/providers/index.js';
import type { BodySender } from '../../src/providers/index.js';
import { WorkerBodySender } from '../../src/providers/worker-body-sender.js';
import { assert, equal, rejectionOf, uploadRejection } from '../support/browser-assert.js';
import { admin, randomFile, sha1Hex, storedSha1, testEnv as runnerEnv } from '../support/test-env.js';
import type { TestEnv } from '../support/test-env.js';
import { partOf } from '../support/part-of.js';

const testEnv = (): Promise<TestEnv> => runnerEnv('s3');
const never = new AbortController().signal;
const noProgress = (): void => {};

/** A worker that loads and says it has no XHR, as a worker without it would. */
function workerWithoutXhr(): Worker {
  const source = `postMessage(${JSON.stringify({ kind: 'ready', xhr: false })});`;
  return new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
}

/** `sendBody` that counts the parts it sends, to show the fallback ran. */
function countingFallback(): { sender: BodySender; sent: () => number } {
  let sent = 0;
  return {
    sender: (request, onProgress, signal) => {
      sent += 1;
      return sendBody(request, onProgress, signal);
    },
    sent: () => sent,
  };
}

describe('WorkerBodySender (part bodies sent from a worker)', () => {
  it('sends S3 parts from its worker in this browser: the stored object has the same bytes and progress ends at each part size', async () => {
    const env = await testEnv();
    const fallback = countingFallback();
    const sender = new WorkerBodySender({ fallback: fallback.sender });
    try {
      const client = createS3Client({ endpoint: env.backendUrl, sendBody: sender.send });
      const file = randomFile('worker-sent.bin', 3 * env.s3.partSize + 123);
      const session = await client.createSession({ provider: 's3', target: 'browser/worker', fileName: file.name, size: file.size }, never);
      equal(sender.transport, null, 'no path chosen before the first part');
      const parts = await Promise.all([0, 1, 2, 3].map((index) => partOf(session, file, index)));
      const progress = new Map<number, number[]>(parts.map((p) => [p.index, []]));
      const receipts = await Promise.all(parts.map((part) => client.sendPart(session, part, (loaded) => progress.get(part.index)?.push(loaded), never)));
      equal(sender.transport, 'worker', 'the worker sent the parts');
      equal(fallback.sent(), 0, 'nothing went through the main-thread sender');
      for (const part of parts) {
        const seen = progress.get(part.index) ?? [];
        equal(seen.at(-1), part.end - part.start, `last progress of part ${part.index}`);
        assert(seen.every((loaded, i) => i === 0 || loaded >= (seen[i - 1] ?? 0)), `progress of part ${part.index} never goes back`);
      }
      assert(receipts.every((r) => r.etag?.startsWith('"') === true), 'ETags read from the exposed response headers');
      const result = await client.complete(session, { parts: receipts }, never);
      equal(await storedSha1(result.downloadUrl), await sha1Hex(await file.arrayBuffer()), 'SHA-1 of the stored object');
    } finally {
      sender.dispose();
    }
  });

  it('reads only the response headers CORS exposes, like XHR in the page', async () => {
    const env = await testEnv();
    const sender = new WorkerBodySender();
    const file = randomFile('hidden.bin', 1000);
    await admin(env, 'PUT', 's3/cors', { exposeEtag: false });
    try {
      const client = createS3Client({ endpoint: env.backendUrl, sendBody: sender.send });
      const session = await client.createSession({ provider: 's3', target: 'browser/worker-cors', fileName: file.name, size: file.size }, never);
      const receipt = await client.sendPart(session, await partOf(session, file, 0), noProgress, never);
      equal(receipt.etag, undefined, 'the ETag is not exposed, so the worker cannot read it either');
      await client.abort(session);
    } finally {
      await admin(env, 'PUT', 's3/cors', { exposeEtag: true });
      sender.dispose();
    }
  });

  it('resolves a relative URL against the page, not the worker script', async () => {
    await testEnv();
    const sender = new WorkerBodySender();
    try {
      const page = new URL('__test-env', document.baseURI);
      assert(page.pathname === '/__test-env', `this check needs the test page at the root, it is at ${document.baseURI}`);
      const answer = await sender.send({ url: '__test-env', method: 'POST', headers: {}, body: new Blob(['{}']) }, noProgress, never);
      equal(answer.status, 200, 'the runner answered at /__test-env');
      assert('backendUrl' in (JSON.parse(answer.text) as object), 'with the test env');
      equal(sender.transport, 'worker', 'sent from the worker');
    } finally {
      sender.dispose();
    }
  });

  it('rejects with an AbortError as soon as the signal aborts, and keeps working after', async () => {
    const env = await testEnv();
    const sender = new WorkerBodySender();
    const file = randomFile('aborted.bin', env.s3.partSize);
    try {
      const client = createS3Client({ endpoint: env.backendUrl, sendBody: sender.send });
      const session = await client.createSession({ provider: 's3', target: 'browser/worker-abort', fileName: file.name, size: file.size }, never);
      const part = await partOf(session, file, 0);
      await admin(env, 'PUT', 'faults', { routes: { 's3.UploadPart': { latencyMs: 20_000 } } });
      const controller = new AbortController();
      const sending = client.sendPart(session, part, noProgress, controller.signal);
      setTimeout(() => controller.abort(), 300);
      const error = await rejectionOf(sending);
      equal(error instanceof DOMException ? error.name : String(error), 'AbortError', 'rejected as aborted');
      await admin(env, 'PUT', 'faults', {});
      const receipt = await client.sendPart(session, part, noProgress, never);
      assert(receipt.etag !== undefined, 'the next part goes through the same sender');
      equal(sender.transport, 'worker', 'still from the worker');
      await client.abort(session);
    } finally {
      await admin(env, 'PUT', 'faults', {});
      sender.dispose();
    }
  });

  it('rejects an already aborted signal without sending', async () => {
    const sender = new WorkerBodySender({
      createWorker: () => {
        throw new Error('no worker for an aborted request');
      },
    });
    const error = await rejectionOf(sender.send({ url: '/x', method: 'PUT', headers: {}, body: new Blob(['x']) }, noProgress, AbortSignal.abort()));
    equal(error instanceof DOMException ? error.name : String(error), 'AbortError', 'rejected as aborted');
  });

  it('maps a failed connection to a retryable network UploadError', async () => {
    const env = await testEnv();
    const sender = new WorkerBodySender();
    try {
      // Storage drops the connection mid-body: XHR reports an error, not a status. Browsers send
      // an idempotent request again by themselves when a reused connection drops (Firefox up to
      // network.http.request.max-attempts = 10 times), so every try is dropped.
      const client = createS3Client({ endpoint: env.backendUrl, sendBody: sender.send });
      const file = randomFile('dropped.bin', env.s3.partSize);
      const session = await client.createSession({ provider: 's3', target: 'browser/worker-drop', fileName: file.name, size: file.size }, never);
      const part = await partOf(session, file, 0);
      await admin(env, 'PUT', 'faults', { routes: { 's3.UploadPart': { dropNext: 20, dropAfterBytes: 1000 } } });
      const dropped = await uploadRejection(client.sendPart(session, part, noProgress, never));
      equal([dropped.code, dropped.kind, dropped.retryable], ['network', 'retry', true], 'dropped connection');
      await client.abort(session);
      // Nothing listens on port 9 (discard) here: the connection is refused.
      const refused = await uploadRejection(sender.send({ url: 'http://127.0.0.1:9/part', method: 'PUT', headers: {}, body: new Blob(['x']) }, noProgress, never));
      equal([refused.code, refused.kind], ['network', 'retry'], 'refused connection');
    } finally {
      await admin(env, 'PUT', 'faults', {});
      sender.dispose();
    }
  });

  it('falls back to the main-thread sender when the worker has no XHR, cannot start or fails to load', async () => {
    const env = await testEnv();
    const starts = [
      ['no XHR in the worker', workerWithoutXhr],
      ['Worker throws', (): Worker => {
        throw new DOMException('blocked', 'SecurityError');
      }],
      ['script fails to load', (): Worker => new Worker(new URL('/no-such-worker.js', location.href), { type: 'module' })],
    ] as const;
    for (const [what, createWorker] of starts) {
      const fallback = countingFallback();
      const sender = new WorkerBodySender({ createWorker, fallback: fallback.sender });
      try {
        const client = createS3Client({ endpoint: env.backendUrl, sendBody: sender.send });
        const file = randomFile('fallback.bin', 2 * env.s3.partSize);
        const session = await client.createSession({ provider: 's3', target: 'browser/worker-fallback', fileName: file.name, size: file.size }, never);
        const progress: number[] = [];
        const receipts = [];
        for (const index of [0, 1]) receipts.push(await client.sendPart(session, await partOf(session, file, index), (loaded) => progress.push(loaded), never));
        equal([sender.transport, fallback.sent()], ['main-thread', 2], `${what}: both parts on the main thread`);
        equal(progress.at(-1), env.s3.partSize, `${what}: progress from the main-thread sender`);
        const result = await client.complete(session, { parts: receipts }, never);
        equal(await storedSha1(result.downloadUrl), await sha1Hex(await file.arrayBuffer()), `${what}: SHA-1 of the stored object`);
      } finally {
        sender.dispose();
      }
    }
  });

  it('fails the requests in flight as retryable network errors when its worker dies, and starts a new worker for the next part', async () => {
    await testEnv();
    let started = 0;
    const sender = new WorkerBodySender({
      createWorker: () => {
        started += 1;
        if (started > 1) return new Worker(new URL('../../src/providers/worker-body.worker.ts', import.meta.url), { type: 'module' });
        // Says it can send, then throws on the first request: the page sees the worker's error event.
        const source = `postMessage(${JSON.stringify({ kind: 'ready', xhr: true })}); onmessage = () => { throw new Error('worker died'); };`;
        return new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
      },
    });
    try {
      const request = { url: '/__test-env', method: 'POST' as const, headers: {}, body: new Blob(['{}']) };
      const died = await uploadRejection(sender.send(request, noProgress, never));
      equal([died.code, died.kind], ['network', 'retry'], 'the request on the dead worker');
      equal((await sender.send(request, noProgress, never)).status, 200, 'the next request goes through');
      equal([started, sender.transport], [2, 'worker'], 'a new worker, still the worker path');
    } finally {
      sender.dispose();
    }
  });

  it('stops its worker once idle and starts a new one for the next part', async () => {
    await testEnv();
    let started = 0;
    const sender = new WorkerBodySender({
      idleTimeoutMs: 0,
      createWorker: () => {
        started += 1;
        return new Worker(new URL('../../src/providers/worker-body.worker.ts', import.meta.url), { type: 'module' });
      },
    });
    try {
      const send = (): Promise<number> => sender.send({ url: '/__test-env', method: 'POST', headers: {}, body: new Blob(['{}']) }, noProgress, never).then((r) => r.status);
      equal(await Promise.all([send(), send()]), [200, 200], 'two requests on one worker');
      equal(started, 1, 'one worker for requests in flight together');
      await new Promise((resolve) => setTimeout(resolve, 50));
      equal(await send(), 200, 'a request after the idle timeout');
      equal(started, 2, 'the idle worker was stopped and a new one started');
    } finally {
      sender.dispose();
    }
  });
});
