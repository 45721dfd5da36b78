import type { UpcomingPart } from '../core/index.js';
import { PartUrlCache } from './part-url-cache.js';
import type { PartUrlFetcher } from './part-url-cache.js';

export type { PartUrlFetcher } from './part-url-cache.js';

/** Ask for a new URL when less than this is left of the old one (docs/protocol.md §PDS "Part URLs"). */
export const PDS_URL_RENEW_MARGIN_MS = 60 * 1000;
/**
 * URLs asked for in one request: the part being sent and the next ones the engine names
 * (`PartPayload.upcoming`; in parallel mode only those whose SHA-1 context the hash pool
 * already has, since a URL signs its context). Small, so a URL is used well within its
 * 15 minutes; the same as the backend's first serial batch (`PDS_FIRST_URL_BATCH`).
 */
export const PDS_URL_BATCH = 4;

/**
 * The presigned part URLs of open PDS sessions: a {@link PartUrlCache} with the PDS rules. A
 * session's first batch comes with it (`providerData.partUrls`, also the start of a session
 * restored after a reload; stale ones are renewed); more come from `POST v1/sessions/part-urls`.
 * In parallel mode (`sha1-ctx`) a URL is tied to the SHA-1 context it was signed with (part 0
 * needs none), so a part whose context changed (re-hashed) gets a new one. Without the
 * engine's hint, serial mode asks for the parts that follow (they need no context).
 *
 * @example
 * const urls = new PdsPartUrls((session, request, signal) => api.partUrls(session.ticket, request, signal).then((r) => r.urls));
 * const url = await urls.get(session, { index: 3, checksum }, upcoming, signal);
 */
export class PdsPartUrls extends PartUrlCache {
  constructor(fetcher: PartUrlFetcher, now: () => number = Date.now) {
    super(fetcher, {
      renewMarginMs: PDS_URL_RENEW_MARGIN_MS,
      batchSize: () => PDS_URL_BATCH,
      signsChecksum: (session) => session.partChecksum === 'sha1-ctx',
      checksumFree: (index) => index === 0,
      seed: (session) => {
        // The first batch that came with the session (part 0 in parallel mode, 0..3 in serial mode).
        const first: unknown = session.providerData?.['partUrls'];
        return Array.isArray(first) ? (first as readonly unknown[]) : [];
      },
      ahead: (session, wanted) => (session.partChecksum === 'sha1-ctx'
        ? []
        : Array.from({ length: PDS_URL_BATCH }, (_, i): UpcomingPart => ({ index: wanted.index + 1 + i }))),
    }, now);
  }
}
