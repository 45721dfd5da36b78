/** What a COS v4 signature binds (cloud-apis.md §3.2). */
export interface CosLegacySignatureInput {
  appId: string;
  bucket: string;
  secretId: string;
  /** HMAC-SHA1 key imported once by {@link cosLegacySigningKey}; the SecretKey itself never leaves the server. */
  key: CryptoKey;
  /** Expiry, Unix seconds; 0 = single-effect (one use). */
  expiresAtSec: number;
  /** Signing time, Unix seconds. */
  nowSec: number;
  /** `/{appid}/{bucket}/{path}` with each segment URL-encoded ({@link cosLegacyFileId}). */
  fileId: string;
  /** Random unsigned decimal of at most 10 digits; default a fresh random number. */
  rand?: number;
}

const encoder = new TextEncoder();

/** Imports the SecretKey as a Web Crypto HMAC-SHA1 key (works on Node and edge runtimes). */
export function cosLegacySigningKey(secretKey: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secretKey), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
}

/** Each path segment URL-encoded, `/` kept; spaces become `%20` as the SDKs sign them (§3.1, §3.2). */
export function cosLegacyEncodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The `f` field: `/{appid}/{bucket}/{url-encoded path}` (§3.2). */
export function cosLegacyFileId(appId: string, bucket: string, path: string): string {
  return `/${appId}/${bucket}/${cosLegacyEncodePath(path)}`;
}

/**
 * A COS legacy signature: `Base64(HMAC-SHA1(SecretKey, plain) ‖ plain)` with
 * `plain = a=…&b=…&k=…&e=…&t=…&r=…&f=…` in the documented order (cloud-apis.md §3.2).
 * Multi-effect when `expiresAtSec` > 0, single-effect when it is 0.
 *
 * @example
 * const sign = await cosLegacySignature({ appId, bucket, secretId, key, expiresAtSec: now + 600, nowSec: now, fileId });
 * // POST …/files/v2/{appid}/{bucket}/{path}?sign=${encodeURIComponent(sign)}
 */
export async function cosLegacySignature(input: CosLegacySignatureInput): Promise<string> {
  const rand = input.rand ?? crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  const plain = `a=${input.appId}&b=${input.bucket}&k=${input.secretId}&e=${input.expiresAtSec}&t=${input.nowSec}&r=${rand}&f=${input.fileId}`;
  const text = encoder.encode(plain);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', input.key, text));
  const all = new Uint8Array(mac.length + text.length);
  all.set(mac, 0);
  all.set(text, mac.length);
  let binary = '';
  for (const byte of all) binary += String.fromCharCode(byte);
  return btoa(binary);
}
