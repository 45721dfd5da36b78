import type { UploadSession } from '../core/index.js';
import { PartUrlCache } from './part-url-cache.js';
import type { PartUrlFetcher } from './part-url-cache.js';

/**
 * Ask for a new URL when less than this is left of a cached one: a part starts well inside
 * the URL's life (S3 checks the signature when the request arrives, cloud-apis.md §4.3).
 */
export const S3_URL_RENEW_MARGIN_MS = 60 * 1000;

/** How the cache reaches the backend's `part-urls` route (with the session's ticket). */
export type S3PartUrlFetcher = PartUrlFetcher;

/**
 * Presigned UploadPart URLs of open S3 sessions: a {@link PartUrlCache} with the S3 rules
 * (docs/protocol.md §S3: the backend vends at most `maxUrlsPerRequest` per call and never the
 * whole file). A batch holds only parts whose checksum is known, since each URL signs its
 * part's checksum header, and at most one URL per part in flight (`traffic.maxConcurrency`).
 * A URL whose signed checksum differs from the part's (re-hashed after BadDigest) is replaced.
 * Nothing comes with the session (a URL is never stored), so a restored session asks afresh.
 *
 * @example
 * const urls = new S3PartUrls((session, request, signal) => api.partUrls(session.ticket, request, signal).then((r) => r.urls));
 * const url = await urls.get(session, { index: 3, checksum }, upcoming, signal);
 */
export class S3PartUrls extends PartUrlCache {
  constructor(fetcher: S3PartUrlFetcher, now: () => number = Date.now) {
    super(fetcher, {
      renewMarginMs: S3_URL_RENEW_MARGIN_MS,
      batchSize,
      signsChecksum: (session) => session.partChecksum !== null,
    }, now);
  }

  /** The part was stored: its URL is not needed any more. */
  consume(session: UploadSession, index: number): void {
    this.forget(session, index);
  }
}

/**
 * URLs per request: one per part that may be in flight, within the backend's cap
 * (`providerData.maxUrlsPerRequest`, 16): ahead of need, never the whole file.
 */
function batchSize(session: UploadSession): number {
  const cap = session.providerData?.['maxUrlsPerRequest'];
  const limit = typeof cap === 'number' && Number.isSafeInteger(cap) && cap >= 1 ? cap : 1;
  return Math.max(1, Math.min(limit, session.traffic.maxConcurrency));
}
