import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a presigned request covers (OSS V1 string-to-sign, cloud-apis.md §2.5). */
export interface OssSignedRequest {
  method: string;
  /** `Content-MD5` header value, '' when absent. */
  contentMd5: string;
  /** `Content-Type` header value, '' when absent; presigned part URLs sign '' (§2.5). */
  contentType: string;
  /** Expiry, seconds since the epoch. */
  expires: number;
  /** `/{bucket}/{object}` plus sorted sub-resources, e.g. `?partNumber=1&uploadId=…`. */
  resource: string;
}

/**
 * Signs and checks the emulator's OSS-style presigned URLs: `Expires`, `OSSAccessKeyId` and
 * `Signature = base64(HMAC-SHA1(secret, VERB\nContent-MD5\nContent-Type\nExpires\nresource))`,
 * the OSS V1 scheme the PDS part URLs use (cloud-apis.md §2.1, §2.5). Because Content-Type is
 * signed, a PUT that sends any other Content-Type than the one returned fails with
 * `SignatureDoesNotMatch` (§7).
 */
export class OssUrlSigner {
  readonly accessKeyId: string;
  readonly #secret: string;

  constructor(accessKeyId: string, secret: string) {
    this.accessKeyId = accessKeyId;
    this.#secret = secret;
  }

  /** The base64 signature of a request. */
  sign(request: OssSignedRequest): string {
    const text = `${request.method}\n${request.contentMd5}\n${request.contentType}\n${request.expires}\n${request.resource}`;
    return createHmac('sha1', this.#secret).update(text, 'utf8').digest('base64');
  }

  /** True when `signature` signs `request` (constant-time comparison). */
  verify(request: OssSignedRequest, signature: string): boolean {
    const expected = Buffer.from(this.sign(request));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

/** The canonical resource of an object plus its sub-resources, sorted by name (OSS V1). */
export function ossResource(bucket: string, object: string, subresources: Record<string, string> = {}): string {
  const keys = Object.keys(subresources).sort();
  const query = keys.map((k) => `${k}=${subresources[k]}`).join('&');
  return `/${bucket}/${object}${query ? `?${query}` : ''}`;
}
