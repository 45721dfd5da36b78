// Bench baseline for hashing: read the same slices the hash pool reads (same slice size, the
// next slice prefetched while the current one is "used"), and do nothing with them.
import { HASH_SLICE_BYTES } from '../../src/hashing/hash-pool.js';
import type { WorkerPartDone, WorkerRequest } from './bench-worker-protocol.js';

const scope = globalThis as unknown as { postMessage(message: WorkerPartDone): void };
let file: Blob | null = null;

async function readPart(blob: Blob, start: number, end: number): Promise<number> {
  const read = (from: number): Promise<ArrayBuffer> => blob.slice(from, Math.min(from + HASH_SLICE_BYTES, end)).arrayBuffer();
  let bytes = 0;
  let offset = start;
  let next: Promise<ArrayBuffer> | null = offset < end ? read(offset) : null;
  while (next) {
    const buffer = await next;
    next = null;
    if (buffer.byteLength === 0) throw new RangeError(`the file ended at ${offset}`);
    offset += buffer.byteLength;
    if (offset < end) next = read(offset);
    bytes += buffer.byteLength;
  }
  return bytes;
}

addEventListener('message', (event: MessageEvent<WorkerRequest>) => {
  const message = event.data;
  if (message.type === 'open') {
    file = message.file;
    return;
  }
  const blob = file;
  if (blob === null) {
    scope.postMessage({ type: 'done', id: message.id, bytes: 0, error: 'no file' });
    return;
  }
  readPart(blob, message.start, message.end).then(
    (bytes) => scope.postMessage({ type: 'done', id: message.id, bytes }),
    (error: unknown) => scope.postMessage({ type: 'done', id: message.id, bytes: 0, error: String(error) }),
  );
});
