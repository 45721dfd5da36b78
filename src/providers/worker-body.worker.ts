/**
 * The part-body worker behind {@link WorkerBodySender}: it receives each part as a
 * `file.slice()` and the request, sends it with its own XMLHttpRequest (dedicated workers have
 * XHR with upload progress), and posts back throttled progress and the response. The per-part
 * XHR work and its continuations thus leave the main thread (issue 7, design C).
 */
import { BODY_WORKER_PROGRESS_MS, type WorkerBodyProtocol } from './worker-body-protocol.js';

const scope = globalThis as unknown as {
  postMessage(message: WorkerBodyProtocol['reply']): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerBodyProtocol['command']>) => void): void;
};

const inFlight = new Map<number, XMLHttpRequest>();

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

function send(command: Extract<WorkerBodyProtocol['command'], { kind: 'send' }>): void {
  const { id } = command;
  const xhr = new XMLHttpRequest();
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
  xhr.open(command.method, command.url, true);
  for (const [name, value] of Object.entries(command.headers)) xhr.setRequestHeader(name, value);
  xhr.upload.onprogress = (event): void => {
    loaded = event.loaded;
    if (performance.now() - lastPost >= BODY_WORKER_PROGRESS_MS || loaded === command.body.size) postProgress();
  };
  xhr.onload = (): void => {
    // The last bytes before the answer may have been held back by the throttle.
    postProgress();
    finish({ type: 'response', status: xhr.status, headers: parseHeaders(xhr.getAllResponseHeaders()), text: xhr.responseText });
  };
  xhr.onerror = (): void => finish({ type: 'network' });
  xhr.ontimeout = xhr.onerror;
  xhr.onabort = (): void => finish({ type: 'aborted' });
  inFlight.set(id, xhr);
  xhr.send(command.body);
}

scope.addEventListener('message', (event) => {
  const command = event.data;
  if (command.kind === 'abort') {
    inFlight.get(command.id)?.abort();
    return;
  }
  try {
    send(command);
  } catch (error) {
    // open() throws on a URL it cannot parse, setRequestHeader on a bad name or value.
    inFlight.delete(command.id);
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    scope.postMessage({ kind: 'done', id: command.id, outcome: { type: 'thrown', name, message } });
  }
});

scope.postMessage({ kind: 'ready', xhr: typeof XMLHttpRequest === 'function' });
