// S3 helpers for e2e tests: a demo stack with S3 credentials of its own, picking S3 in the
// demo page, watching the part PUTs the browser makes, the emulator's S3 admin routes, and
// GetObject straight from the emulator's S3 listener (signed here, not by the backend).
import type { Page } from 'playwright-core';
import { encodeS3Key, S3RequestSigner } from '../../../src/server/providers/s3-request-signer.js';
import { emulatorAdmin, emulatorLog, type EmulatorLogEntry } from '../../support/emulator-admin.js';
import { sha1OfResponse } from './files.js';
import { partPutStats, watchPartPutsTo } from './part-puts.js';

/** Keys both the emulator and the backend of the stack read (S3_* env, docs/protocol.md §S3). */
export const E2E_S3 = Object.freeze({
  accessKeyId: 'E2ES3ACCESSKEY000001',
  secretAccessKey: 'e2e-s3-secret-key-7d41a9',
  bucket: 'ccu-e2e',
  region: 'us-east-1',
});

/** The demo page's default S3 key prefix (demo/demo-config.ts DEFAULT_DEMO_S3_PREFIX). */
export const DEMO_S3_PREFIX = 'demo-uploads';

/** Extra environment for startDemoStack: S3 with a bucket and keys of our own. */
export function s3StackEnv(): Record<string, string> {
  return { S3_ACCESS_KEY_ID: E2E_S3.accessKeyId, S3_SECRET_ACCESS_KEY: E2E_S3.secretAccessKey, S3_BUCKET: E2E_S3.bucket, S3_REGION: E2E_S3.region };
}

/** Choose S3 with the demo page's provider selector, as a user does; the target field follows. */
export async function chooseS3(page: Page): Promise<void> {
  await page.waitForFunction(() => customElements.get('cloud-chunk-uploader') !== undefined);
  // The demo wires its selector only once its config has loaded: a choice made before that is
  // lost, so choose again until the element follows (as a user would).
  const follows = (prefix: string): boolean => {
    const el = document.querySelector('cloud-chunk-uploader') as unknown as { provider: string; target: string } | null;
    return el?.provider === 's3' && el.target === prefix;
  };
  for (let attempt = 0; attempt < 60; attempt++) {
    await page.selectOption('#provider', 's3');
    if (await page.evaluate(follows, DEMO_S3_PREFIX)) return;
    await page.waitForTimeout(500);
  }
  throw new Error('the demo page never switched the element to S3');
}

/** Where the page keeps its S3 part PUT counts. */
const S3_PUTS = '__s3Puts';

/**
 * Count part PUTs to S3 storage (`?partNumber=`) the page has open at once; read it with
 * {@link openS3PartPuts}. Must run before the page loads (an init script).
 */
export async function watchS3PartPuts(page: Page): Promise<void> {
  await watchPartPutsTo(page, { global: S3_PUTS, urlIncludes: 'partNumber=', closeAt: 'loadend' });
}

/** Most part PUTs open at once, and how many were sent, since the page loaded. */
export async function openS3PartPuts(page: Page): Promise<{ max: number; total: number }> {
  return partPutStats(page, S3_PUTS);
}

/** Requests the emulator's S3 listener handled (routes `s3.*`), oldest first. */
export async function s3Log(emulatorUrl: string, route = 's3.*'): Promise<EmulatorLogEntry[]> {
  return emulatorLog(emulatorUrl, route);
}

/** Part PUTs the emulator's S3 listener handled (route `s3.UploadPart`), oldest first. */
export async function s3PartPuts(emulatorUrl: string): Promise<EmulatorLogEntry[]> {
  return s3Log(emulatorUrl, 's3.UploadPart');
}

/** Every presigned URL signed up to this second answers "Request has expired" (docs/emulator.md). */
export async function expirePresignedUrls(emulatorUrl: string): Promise<void> {
  await emulatorAdmin(emulatorUrl, 'POST', 's3/expire-presigned');
}

/**
 * GetObject straight from the emulator's S3 listener with the stack's keys, as any S3 client
 * would (a URL presigned here, not the backend's downloadUrl). Resolves with SHA-1 and size.
 */
export async function downloadS3Object(s3Url: string, bucket: string, key: string): Promise<{ sha1: string; size: number }> {
  const signer = new S3RequestSigner({ accessKeyId: E2E_S3.accessKeyId, secretAccessKey: E2E_S3.secretAccessKey }, E2E_S3.region);
  const url = signer.presign({ method: 'GET', url: new URL(`${s3Url}/${bucket}/${encodeS3Key(key)}`), now: Date.now() }, 300);
  return sha1OfResponse(await fetch(url));
}
