// The page every browser measurement runs in (bench/page/index.html, built by Vite like an
// app would build it). It loads the real element, engine, providers and hash pool, hooks XHR,
// fetch and the parts handed to the element's body worker to time the network, observes long
// tasks, and exposes `window.ccuBench`.
import { CLOUD_CHUNK_UPLOADER_TAG, HashPool, supportedProviders } from '../../src/index.js';
import type { CloudChunkUploader, UploadSnapshot } from '../../src/index.js';
import type { BenchPageApi, ElementUploadOutcome, HashVariant, LongFrame, LongTaskSummary, MountOptions, NetEntry, Timed } from './bench-page-api.js';
import type { WorkerBodyProtocol } from '../../src/providers/worker-body-protocol.js';
import { WorkerBodySender } from '../../src/providers/worker-body-sender.js';
import type { WorkerPartDone, WorkerRequest } from './bench-worker-protocol.js';

const INPUT_ID = 'bench-input';
/** sessionStorage key: part bytes sent from this tab (survives a reload); counting is on while the key exists. */
const TAB_PART_BYTES = 'ccu-bench-part-bytes';
let countTabBytes = sessionStorage.getItem(TAB_PART_BYTES) !== null;

// ---- network hooks: every XHR and fetch, with body size and start/end times ----

let netLog: NetEntry[] = [];
const xhrEntries = new WeakMap<XMLHttpRequest, { method: string; url: string }>();

function pathOf(url: string | URL): string {
  try {
    return new URL(String(url), location.href).pathname;
  } catch {
    return String(url).split('?')[0] ?? '';
  }
}

function bodyBytes(body: unknown): number {
  if (body instanceof Blob) return body.size;
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  if (typeof body === 'string') return body.length;
  if (body instanceof FormData) {
    let bytes = 0;
    for (const [, value] of body.entries()) bytes += typeof value === 'string' ? value.length : value.size;
    return bytes;
  }
  return 0;
}

// Kept as plain functions and always called with the request as `this`.
const originalOpen = Object.getOwnPropertyDescriptor(XMLHttpRequest.prototype, 'open')?.value as (this: XMLHttpRequest, ...args: unknown[]) => void;
const originalSend = Object.getOwnPropertyDescriptor(XMLHttpRequest.prototype, 'send')?.value as (this: XMLHttpRequest, body?: Document | XMLHttpRequestBodyInit | null) => void;
XMLHttpRequest.prototype.open = function open(this: XMLHttpRequest, method: string, url: string | URL, ...rest: unknown[]): void {
  xhrEntries.set(this, { method, url: String(url) });
  originalOpen.call(this, method, url, ...rest);
};
XMLHttpRequest.prototype.send = function send(this: XMLHttpRequest, body?: Document | XMLHttpRequestBodyInit | null): void {
  const opened = xhrEntries.get(this);
  // The URL is parsed only when the log is read: the hook must cost the measured main thread nothing.
  const entry: NetEntry = { kind: 'xhr', method: opened?.method ?? '?', path: opened?.url ?? '', bytes: bodyBytes(body), start: performance.now(), end: null, status: null };
  netLog.push(entry);
  // Counted synchronously as the body goes, so a reload right after cannot lose a part (only while resume is measured).
  if (countTabBytes && entry.bytes > 0) sessionStorage.setItem(TAB_PART_BYTES, String(Number(sessionStorage.getItem(TAB_PART_BYTES) ?? 0) + entry.bytes));
  this.addEventListener('loadend', () => {
    entry.end = performance.now();
    entry.status = this.status;
  }, { once: true });
  originalSend.call(this, body);
};
// Parts the element sends leave from its body worker (WorkerBodySender), whose XHR this page
// cannot hook: they are logged when handed to the worker and when its answer arrives.
type BodyCommand = WorkerBodyProtocol['command'];
type BodyReply = WorkerBodyProtocol['reply'];
const workerParts = new WeakMap<Worker, Map<number, NetEntry>>();
const originalPostMessage = Object.getOwnPropertyDescriptor(Worker.prototype, 'postMessage')?.value as (this: Worker, message: unknown, ...rest: unknown[]) => void;
Worker.prototype.postMessage = function postMessage(this: Worker, message: unknown, ...rest: unknown[]): void {
  const command = message as Partial<BodyCommand> | null;
  if (command?.kind === 'send' && command.body instanceof Blob) {
    const sent = command as Extract<BodyCommand, { kind: 'send' }>;
    const entry: NetEntry = { kind: 'xhr', via: 'worker', method: sent.method, path: sent.url, bytes: sent.body.size, start: performance.now(), end: null, status: null };
    netLog.push(entry);
    if (countTabBytes && entry.bytes > 0) sessionStorage.setItem(TAB_PART_BYTES, String(Number(sessionStorage.getItem(TAB_PART_BYTES) ?? 0) + entry.bytes));
    let open = workerParts.get(this);
    if (open === undefined) {
      const parts = new Map<number, NetEntry>();
      open = parts;
      workerParts.set(this, parts);
      this.addEventListener('message', (event: MessageEvent<BodyReply>) => {
        const reply = event.data;
        if (reply.kind !== 'done') return;
        const done = parts.get(reply.id);
        if (done === undefined) return;
        parts.delete(reply.id);
        done.end = performance.now();
        done.status = reply.outcome.type === 'response' ? reply.outcome.status : 0;
      });
    }
    open.set(sent.id, entry);
  }
  originalPostMessage.call(this, message, ...rest);
};
// The `sender` measurement's baseline: a body worker that loads and says it has no XHR, so the
// element's sender takes its main-thread fallback (XHR in this page) for the whole upload.
let bodyWorkerWithoutXhr = false;
const NO_XHR_WORKER_URL = URL.createObjectURL(new Blob([`postMessage(${JSON.stringify({ kind: 'ready', xhr: false } satisfies BodyReply)});`], { type: 'text/javascript' }));
const NativeWorker = globalThis.Worker;
globalThis.Worker = class BenchWorker extends NativeWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(bodyWorkerWithoutXhr && String(url).includes('worker-body') ? NO_XHR_WORKER_URL : url, options);
  }
};
const originalFetch = globalThis.fetch.bind(globalThis);
globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const url = input instanceof Request ? input.url : String(input);
  const entry: NetEntry = { kind: 'fetch', method: init?.method ?? (input instanceof Request ? input.method : 'GET'), path: url, bytes: bodyBytes(init?.body), start: performance.now(), end: null, status: null };
  netLog.push(entry);
  try {
    const response = await originalFetch(input, init);
    entry.status = response.status;
    return response;
  } finally {
    entry.end = performance.now();
  }
};

// ---- long tasks ----

let longTaskEntries: { start: number; duration: number }[] = [];
let longTasksSeen = false;
try {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      longTasksSeen = true;
      longTaskEntries.push({ start: entry.startTime, duration: entry.duration });
    }
  }).observe({ type: 'longtask', buffered: false });
} catch {
  // No longtask support: longTasksSupported() says so and the figure is "not measured".
}

/** Long animation frames, for attribution (which script ran long). */
interface ScriptTiming {
  invoker?: string;
  sourceFunctionName?: string;
  sourceURL?: string;
  duration: number;
}
let longFrameEntries: LongFrame[] = [];
try {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const frame = entry as PerformanceEntry & { blockingDuration?: number; scripts?: ScriptTiming[] };
      if (frame.duration < 50) continue;
      longFrameEntries.push({
        start: frame.startTime,
        duration: frame.duration,
        blockingMs: frame.blockingDuration ?? 0,
        scripts: (frame.scripts ?? []).map((script) => ({
          invoker: script.invoker ?? '',
          sourceFunctionName: script.sourceFunctionName ?? '',
          sourceURL: pathOf(script.sourceURL ?? ''),
          duration: script.duration,
        })),
      });
    }
  }).observe({ type: 'long-animation-frame', buffered: false });
} catch {
  // No LoAF: long tasks are still counted, only without attribution.
}

function summary(): LongTaskSummary {
  let longestMs = 0;
  let totalMs = 0;
  for (const entry of longTaskEntries) {
    longestMs = Math.max(longestMs, entry.duration);
    totalMs += entry.duration;
  }
  return { count: longTaskEntries.length, longestMs, totalMs };
}

// ---- helpers ----

function pickedFile(): File {
  const file = (document.getElementById(INPUT_ID) as HTMLInputElement | null)?.files?.[0];
  if (file === undefined) throw new Error(`no file picked into #${INPUT_ID}`);
  return file;
}

function element(): CloudChunkUploader | null {
  return document.querySelector(CLOUD_CHUNK_UPLOADER_TAG);
}

function xhrSend(url: string, method: 'PUT' | 'POST', headers: Record<string, string>, body: Blob | ArrayBuffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url, true);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.onload = (): void => resolve(xhr.status);
    xhr.onerror = (): void => reject(new Error(`network error: ${method} ${pathOf(url)}`));
    xhr.send(body);
  });
}

/** Run `parts` in order through `limit` lanes (lane k runs `run(part, k)`); rejects on the first failure. */
async function inParallel<T>(parts: T[], limit: number, run: (part: T, lane: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, parts.length) }, async (_, lane) => {
    while (next < parts.length) {
      const part = parts[next++] as T;
      await run(part, lane);
    }
  });
  await Promise.all(lanes);
}

function partRanges(size: number, partSize: number): { index: number; start: number; end: number }[] {
  const ranges: { index: number; start: number; end: number }[] = [];
  for (let index = 0, start = 0; start < size; index++, start += partSize) ranges.push({ index, start, end: Math.min(size, start + partSize) });
  return ranges;
}

/**
 * Bench workers fed from one queue of parts: `inFlight` lanes, lane k always on worker
 * k % workers. With inFlight = workers this is the hash pool's shape (one job per worker).
 */
async function runWorkers(
  create: () => Worker, workers: number, file: File, parts: { start: number; end: number }[], inFlight: number,
  send?: { sinkUrl: string; body: 'bytes' | 'slice' },
): Promise<number> {
  const pool = Array.from({ length: workers }, create);
  let nextId = 0;
  let bytes = 0;
  const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  for (const worker of pool) {
    worker.addEventListener('message', (event: MessageEvent<WorkerPartDone>) => {
      const done = event.data;
      const wait = waiting.get(done.id);
      waiting.delete(done.id);
      if (done.error !== undefined) wait?.reject(new Error(done.error));
      else {
        bytes += done.bytes;
        wait?.resolve();
      }
    });
    worker.postMessage({ type: 'open', file, ...send } satisfies WorkerRequest);
  }
  try {
    await inParallel(parts, inFlight, (part, lane) => new Promise<void>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      const worker = pool[lane % pool.length] as Worker;
      worker.postMessage({ type: 'part', id, start: part.start, end: part.end } satisfies WorkerRequest);
    }));
  } finally {
    for (const worker of pool) worker.terminate();
  }
  return bytes;
}

const createReadOnlyWorker = (): Worker => new Worker(new URL('./read-only.worker.ts', import.meta.url), { type: 'module' });
const createReadOnceWorker = (): Worker => new Worker(new URL('./read-once.worker.ts', import.meta.url), { type: 'module' });

// ---- the element ----

let picked: number | null = null;
let addedAt = 0;
let outcome: Promise<ElementUploadOutcome> | null = null;

function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The upload as it stands, with its network timeline from the hooks. */
function outcomeOf(status: ElementUploadOutcome['status'], upload: UploadSnapshot | undefined): ElementUploadOutcome {
  const parts = netLog.filter((e) => e.bytes > 0 && e.kind === 'xhr');
  const ended = parts.map((e) => e.end ?? 0);
  return {
    status,
    size: upload?.size ?? 0,
    pickedAt: picked ?? addedAt,
    addedAt,
    firstByteAt: parts[0]?.start ?? null,
    partsDoneAt: ended.length > 0 ? Math.max(...ended) : null,
    doneAt: performance.now(),
    counters: upload ? plain(upload.counters) : null,
    error: upload?.error ? plain(upload.error) : null,
    result: upload?.result ? plain(upload.result) : null,
    partCount: upload?.partCount ?? 0,
    partStarts: parts.map((e) => e.start),
    partRequests: parts.length,
    partBytes: parts.reduce((sum, e) => sum + e.bytes, 0),
    controlRequests: netLog.length - parts.length,
  };
}

async function mountElement(options: MountOptions): Promise<void> {
  element()?.remove();
  netLog = [];
  picked = null;
  addedAt = 0;
  const el = document.createElement(CLOUD_CHUNK_UPLOADER_TAG);
  el.endpoint = options.endpoint;
  el.provider = options.provider;
  el.target = options.target;
  if (options.concurrency !== undefined) el.concurrency = options.concurrency;
  if (options.chunkSize !== undefined) el.chunkSize = options.chunkSize;
  bodyWorkerWithoutXhr = options.bodySender === 'main-thread';
  document.body.append(el);
  await el.updateComplete;
  // The pick itself: the element's input fires `change` inside its shadow root (not composed).
  el.shadowRoot?.addEventListener('change', (event) => {
    picked ??= event.timeStamp;
  }, { capture: true });
  el.addEventListener('upload-added', () => {
    addedAt = performance.now();
  }, { once: true });
  outcome = new Promise<ElementUploadOutcome>((resolve) => {
    el.addEventListener('upload-success', (event) => resolve(outcomeOf('done', event.detail.upload)), { once: true });
    el.addEventListener('upload-error', (event) => resolve(outcomeOf('failed', event.detail.upload)), { once: true });
  });
}

async function waitUpload(timeoutMs: number, untilPartsDone = false): Promise<ElementUploadOutcome> {
  if (outcome === null) throw new Error('mountElement first');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let poll: ReturnType<typeof setInterval> | undefined;
  const timeout = new Promise<ElementUploadOutcome>((resolve) => {
    timer = setTimeout(() => resolve(outcomeOf('timeout', element()?.uploads[0])), timeoutMs);
  });
  const partsDone = new Promise<ElementUploadOutcome>((resolve) => {
    if (!untilPartsDone) return;
    poll = setInterval(() => {
      const upload = element()?.uploads[0];
      if (upload?.status === 'completing') resolve(outcomeOf('parts-done', upload));
    }, 100);
  });
  try {
    return await Promise.race([outcome, timeout, partsDone]);
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
  }
}

// ---- hashing ----

async function hash(variant: HashVariant): Promise<Timed> {
  const file = pickedFile();
  const parts = partRanges(file.size, variant.partSize);
  const pool = new HashPool();
  const workers = pool.size;
  const started = performance.now();
  if (variant.kind === 'read-only') {
    pool.dispose();
    // The pool's shape: one part per worker at a time from a shared queue (one worker: strictly in order, like the sequential SHA-1).
    const bytes = await runWorkers(createReadOnlyWorker, variant.workers, file, parts, variant.workers);
    return { ms: performance.now() - started, bytes, detail: { workers: variant.workers } };
  }
  const handle = pool.open(file);
  try {
    if (variant.kind === 'sha1-stream') {
      // One sequential SHA-1, its state saved after every part (what a resume restores).
      for (const part of parts) await handle.sha1Advance(part.end);
      const digest = await handle.sha1Digest();
      return { ms: performance.now() - started, bytes: handle.bytesHashed, detail: { workers: 1, digest } };
    }
    // Part checksums with a look-ahead like the engine's (parts in flight + 2), the pool spreading them.
    const checksum = variant.checksum;
    await inParallel(parts, workers + 2, async (part) => {
      await handle.partChecksum(checksum, part.start, part.end);
    });
    return { ms: performance.now() - started, bytes: handle.bytesHashed, detail: { workers } };
  } finally {
    handle.close();
    pool.dispose();
  }
}

// ---- the send designs ----

async function twoReadUpload(sinkUrl: string, partSize: number, concurrency: number, from: 'page' | 'body-worker' = 'page'): Promise<Timed> {
  const file = pickedFile();
  const parts = partRanges(file.size, partSize);
  const pool = new HashPool();
  const handle = pool.open(file);
  // Design D: the product's sender, its worker started before the clock like the page's XHR is ready.
  const sender = from === 'body-worker' ? new WorkerBodySender() : null;
  if (sender !== null) await sender.send({ url: `${sinkUrl}/warm-up`, method: 'PUT', headers: {}, body: new Blob([]) }, () => undefined, new AbortController().signal);
  const send = async (url: string, md5: string, body: Blob): Promise<number> => {
    if (sender === null) return xhrSend(url, 'PUT', { 'content-md5': md5 }, body);
    return (await sender.send({ url, method: 'PUT', headers: { 'content-md5': md5 }, body }, () => undefined, new AbortController().signal)).status;
  };
  const started = performance.now();
  let bytes = 0;
  try {
    // The engine's shape: checksums hashed ahead (in flight + 2), each part then read again by XHR.
    const checksums = new Map<number, Promise<string>>();
    const checksum = (index: number): Promise<string> => {
      let job = checksums.get(index);
      if (job === undefined) {
        const part = parts[index];
        job = part === undefined ? Promise.resolve('') : handle.partChecksum('md5', part.start, part.end);
        checksums.set(index, job);
      }
      return job;
    };
    await inParallel(parts, concurrency, async (part) => {
      for (let ahead = part.index + 1; ahead <= Math.min(parts.length - 1, part.index + concurrency + 2); ahead++) void checksum(ahead).catch(() => undefined);
      const md5 = await checksum(part.index);
      const status = await send(`${sinkUrl}/two-read/${part.index}`, md5, file.slice(part.start, part.end));
      if (status !== 200) throw new Error(`sink answered ${status}`);
      bytes += part.end - part.start;
    });
    return { ms: performance.now() - started, bytes, detail: { hashed: handle.bytesHashed, transport: sender?.transport ?? 'page' } };
  } finally {
    handle.close();
    pool.dispose();
    sender?.dispose();
  }
}

async function workerUpload(sinkUrl: string, partSize: number, concurrency: number, workers: number, body: 'bytes' | 'slice'): Promise<Timed> {
  const file = pickedFile();
  const started = performance.now();
  const bytes = await runWorkers(createReadOnceWorker, workers, file, partRanges(file.size, partSize), concurrency, { sinkUrl, body });
  return { ms: performance.now() - started, bytes, detail: { workers, body } };
}

const api: BenchPageApi = {
  ensureInput() {
    if (document.getElementById(INPUT_ID)) return;
    const input = document.createElement('input');
    input.type = 'file';
    input.id = INPUT_ID;
    document.body.append(input);
  },
  pickedSize() {
    return (document.getElementById(INPUT_ID) as HTMLInputElement | null)?.files?.[0]?.size ?? -1;
  },
  mountElement,
  waitUpload,
  firstByteDelay() {
    const first = netLog.find((e) => e.kind === 'xhr' && e.bytes > 0);
    return first === undefined || picked === null ? null : first.start - picked;
  },
  currentUpload() {
    const upload = element()?.uploads[0];
    return upload ? plain(upload) as unknown as Record<string, unknown> : null;
  },
  async rawSend(url, method, headers) {
    const file = pickedFile();
    const started = performance.now();
    const status = await xhrSend(url, method, headers, file);
    return { ms: performance.now() - started, bytes: file.size, detail: { status } };
  },
  hash,
  twoReadUpload,
  workerUpload,
  resetLongTasks() {
    longTaskEntries = [];
    longFrameEntries = [];
  },
  longFrames() {
    return longFrameEntries.map((frame) => ({ ...frame, scripts: frame.scripts.map((script) => ({ ...script })) }));
  },
  tabPartBytes() {
    return Number(sessionStorage.getItem(TAB_PART_BYTES) ?? 0);
  },
  resetTabPartBytes() {
    sessionStorage.setItem(TAB_PART_BYTES, '0');
    countTabBytes = true;
  },
  longTasks: summary,
  async longTasksSupported() {
    if (longTasksSeen) return true;
    // A task of the page's own (a task run by CDP's evaluate is not reported): busy for 60 ms.
    setTimeout(() => {
      const until = performance.now() + 60;
      while (performance.now() < until) {
        // busy on purpose
      }
    }, 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = longTasksSeen;
    longTaskEntries = [];
    return seen;
  },
  resetNet() {
    netLog = [];
  },
  net() {
    return netLog.map((entry) => ({ ...entry, path: pathOf(entry.path) }));
  },
  providers() {
    return supportedProviders();
  },
};
window.ccuBench = api;
document.documentElement.dataset['benchReady'] = 'true';
