/**
 * The part-body worker behind {@link WorkerBodySender}: it receives each part as a
 * `file.slice()` and the request, sends it with sendWithXhr (dedicated workers have XHR with
 * upload progress), and posts back throttled progress and the response. The per-part
 * XHR work and its continuations thus leave the main thread (issue 7, design C).
 */
import { UploadError, isAbort } from '../core/upload-error.js';
import { sendWithXhr } from './send-body.js';
import { BODY_WORKER_PROGRESS_MS, type WorkerBodyProtocol } from './worker-body-protocol.js';

const scope = globalThis as unknown as {
  postMessage(message: WorkerBodyProtocol['reply']): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerBodyProtocol['command']>) => void): void;
};

// One controller per request id: an `abort` command aborts it, and sendWithXhr aborts the XHR.
const inFlight = new Map<number, AbortController>();

/** `getAllResponseHeaders()` lists only what the page may read (CORS-exposed), as `name: value` lines. */
function parseHeaders(raw: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of raw.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

async function send(command: Extract<WorkerBodyProtocol['command'], { kind: 'send' }>): Promise<void> {
  const { id } = command;
  const controller = new AbortController();
  let lastPost = -Infinity;
  let posted = -1;
  let loaded = 0;
  const postProgress = (): void => {
    if (loaded === posted) return;
    posted = loaded;
    lastPost = performance.now();
    scope.postMessage({ kind: 'progress', id, loaded });
  };
  const finish = (outcome: Extract<WorkerBodyProtocol['reply'], { kind: 'done' }>['outcome']): void => {
    if (!inFlight.delete(id)) return;
    scope.postMessage({ kind: 'done', id, outcome });
  };
  const onProgress = (bytes: number): void => {
    loaded = bytes;
    if (performance.now() - lastPost >= BODY_WORKER_PROGRESS_MS || loaded === command.body.size) postProgress();
  };
  inFlight.set(id, controller);
  try {
    const response = await sendWithXhr(command, onProgress, controller.signal);
    // The last bytes before the answer may have been held back by the throttle.
    postProgress();
    finish({ type: 'response', status: response.status, headers: parseHeaders(response.headersText), text: response.text });
  } catch (error) {
    if (isAbort(error)) finish({ type: 'aborted' });
    // sendWithXhr's only UploadError is the failed connection.
    else if (error instanceof UploadError) finish({ type: 'network' });
    else {
      // open() throws on a URL it cannot parse, setRequestHeader on a bad name or value.
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      finish({ type: 'thrown', name, message });
    }
  }
}

scope.addEventListener('message', (event) => {
  const command = event.data;
  if (command.kind === 'abort') {
    inFlight.get(command.id)?.abort();
    return;
  }
  void send(command);
});

scope.postMessage({ kind: 'ready', xhr: typeof XMLHttpRequest === 'function' });
