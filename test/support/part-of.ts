// Parts as the S3 client's tests send them: a slice of the file and its Content-MD5, computed
// here with hash-wasm the way the hash pool's `md5` does.
import { md5 } from 'hash-wasm';
import type { UploadSession } from '../../src/core/index.js';

/** Base64 of the bytes a hex string spells (an MD5 hex digest → Content-MD5). */
export function hexToBase64(hex: string): string {
  return btoa(String.fromCharCode(...(hex.match(/../g) ?? []).map((h) => parseInt(h, 16))));
}

/** Part `index` of `file` under the session's plan, with its Content-MD5 (`checksum`) and the MD5 hex. */
export async function partOf(session: UploadSession, file: Blob, index: number): Promise<{ index: number; start: number; end: number; body: Blob; checksum: string; md5Hex: string }> {
  const start = index * session.plan.partSize;
  const end = Math.min(file.size, start + session.plan.partSize);
  const body = file.slice(start, end);
  const md5Hex = await md5(new Uint8Array(await body.arrayBuffer()));
  return { index, start, end, body, checksum: hexToBase64(md5Hex), md5Hex };
}
