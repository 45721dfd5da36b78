// Bench designs B and C ("make it fast", issue 7), a worker that hashes a part (MD5, what S3
// parts carry by default) and sends it with its own XHR:
// - B (`body: 'bytes'`): sends the very bytes it read and hashed, so each byte leaves the disk
//   once instead of twice (hash pool read + main-thread XHR read);
// - C (`body: 'slice'`): sends `file.slice()`, which the browser reads again, i.e. today's
//   design A with the sending moved off the main thread.
import { createMD5, type IHasher } from 'hash-wasm';
import type { WorkerPartDone, WorkerRequest } from './bench-worker-protocol.js';

const scope = globalThis as unknown as { postMessage(message: WorkerPartDone): void };
let file: Blob | null = null;
let sinkUrl = '';
let sendSlice = false;
const idle: IHasher[] = [];

function toBase64(hex: string): string {
  let binary = '';
  for (let i = 0; i < hex.length; i += 2) binary += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return btoa(binary);
}

function put(url: string, body: ArrayBuffer | Blob, md5: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url, true);
    xhr.setRequestHeader('content-md5', md5);
    xhr.onload = (): void => resolve(xhr.status);
    xhr.onerror = (): void => reject(new Error('network error'));
    xhr.send(body);
  });
}

async function sendPart(blob: Blob, id: number, start: number, end: number): Promise<WorkerPartDone> {
  const bytes = await blob.slice(start, end).arrayBuffer();
  const hasher = idle.pop() ?? (await createMD5());
  hasher.init();
  hasher.update(new Uint8Array(bytes));
  const md5 = toBase64(hasher.digest('hex'));
  idle.push(hasher);
  const status = await put(`${sinkUrl}/read-once/${id}`, sendSlice ? blob.slice(start, end) : bytes, md5);
  if (status !== 200) throw new Error(`sink answered ${status}`);
  return { type: 'done', id, bytes: bytes.byteLength, checksum: md5 };
}

addEventListener('message', (event: MessageEvent<WorkerRequest>) => {
  const message = event.data;
  if (message.type === 'open') {
    file = message.file;
    sinkUrl = message.sinkUrl ?? '';
    sendSlice = message.body === 'slice';
    return;
  }
  const blob = file;
  if (blob === null) {
    scope.postMessage({ type: 'done', id: message.id, bytes: 0, error: 'no file' });
    return;
  }
  sendPart(blob, message.id, message.start, message.end).then(
    (done) => scope.postMessage(done),
    (error: unknown) => scope.postMessage({ type: 'done', id: message.id, bytes: 0, error: String(error) }),
  );
});
