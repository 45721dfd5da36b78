import type { OutgoingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { BlobRange, BlobStore } from './blob-store.js';
import type { EmulatorContext } from './emulator-context.js';

/** RFC 7233 single byte range; undefined = serve the whole body. */
export function parseRange(header: string | undefined, size: number): BlobRange | 'unsatisfiable' | undefined {
  if (!header || size === 0) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/**
 * Answers a download of a stored object: 200 or 206 with Content-Length (and Content-Range),
 * then streams the bytes from disk (never the whole object in memory). `headOnly` answers
 * the headers alone (HEAD). A client that goes away mid-download is not an error.
 */
export async function sendStoredObject(
  ctx: EmulatorContext,
  store: BlobStore,
  object: { key: string; size: number; range: BlobRange | undefined; headers: OutgoingHttpHeaders; headOnly?: boolean },
): Promise<void> {
  const { key, size, range, headers } = object;
  headers['Accept-Ranges'] = 'bytes';
  headers['Content-Length'] = range ? range.end - range.start + 1 : size;
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  ctx.res.writeHead(range ? 206 : 200, headers);
  if (object.headOnly === true || size === 0) {
    ctx.res.end();
    return;
  }
  try {
    await pipeline(store.openObject(key, range), ctx.res);
  } catch {
    // the client went away mid-download; nothing to answer
  }
}
