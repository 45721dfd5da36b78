import { UploadError } from '../core/index.js';
import type { PartUrl, PartUrlsRequest, UpcomingPart, UploadSession } from '../core/index.js';
import { untilAborted } from './until-aborted.js';

/**
 * Ask for a new URL when less than this is left of a cached one: a part starts well inside
 * the URL's life (S3 checks the signature when the request arrives, cloud-apis.md §4.3).
 */
export const S3_URL_RENEW_MARGIN_MS = 60 * 1000;

/** How the cache reaches the backend's `part-urls` route (with the session's ticket). */
export type S3PartUrlFetcher = (session: UploadSession, request: PartUrlsRequest, signal: AbortSignal) => Promise<PartUrl[]>;

interface Entry {
  url: PartUrl;
  /** The checksum signed into the URL (its one header), or undefined for none. */
  checksum: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A PartUrl as the backend must send it (docs/protocol.md §S3 "Part URLs, just in time"). */
function isPartUrl(value: unknown): value is PartUrl {
  if (!isRecord(value)) return false;
  const headers = value['headers'];
  return Number.isSafeInteger(value['index']) && typeof value['url'] === 'string' && /^https?:\/\//.test(value['url'])
    && (value['method'] === 'PUT' || value['method'] === 'POST') && typeof value['expiresAt'] === 'number'
    && isRecord(headers) && Object.values(headers).every((v) => typeof v === 'string');
}

function badUrls(): UploadError {
  return new UploadError({ code: 'bad-response', kind: 'retry', message: 'The upload backend sent an unusable list of part URLs' });
}


/**
 * Presigned UploadPart URLs of open S3 sessions, asked for just in time in small batches and
 * kept until shortly before they expire (docs/protocol.md §S3: the backend vends at most
 * `maxUrlsPerRequest` per call and never the whole file). A batch is the part being sent plus
 * the next ones the engine names (`PartPayload.upcoming`) whose checksum is known, since each
 * URL signs its part's checksum header; at most one URL per part in flight
 * (`traffic.maxConcurrency`). Concurrent asks for the same part share one request. A URL whose
 * signed checksum differs from the part's (re-hashed after BadDigest) is replaced.
 *
 * Sessions are WeakMap keys and URLs live in memory only (never in the stored session: a URL
 * is a short-lived credential), so a session restored after a reload asks afresh.
 *
 * @example
 * const urls = new S3PartUrls((session, request, signal) => api.partUrls(session.ticket, request, signal).then((r) => r.urls));
 * const url = await urls.get(session, { index: 3, checksum }, upcoming, signal);
 */
export class S3PartUrls {
  #fetch: S3PartUrlFetcher;
  #now: () => number;
  #cache = new WeakMap<UploadSession, Map<number, Entry>>();
  #pending = new WeakMap<UploadSession, Map<number, Promise<void>>>();

  constructor(fetcher: S3PartUrlFetcher, now: () => number = Date.now) {
    this.#fetch = fetcher;
    this.#now = now;
  }

  /**
   * A URL for part `part.index` signed with `part.checksum`: cached, shared with a batch in
   * flight, or fetched now together with up to `batchSize − 1` of `upcoming`.
   */
  async get(session: UploadSession, part: UpcomingPart, upcoming: readonly UpcomingPart[], signal: AbortSignal): Promise<PartUrl> {
    const cached = this.#usable(session, part);
    if (cached !== undefined) return cached;
    const inFlight = this.#pendingOf(session).get(part.index);
    if (inFlight !== undefined) {
      // Someone's batch holds this part: wait for it rather than ask twice (its failure is theirs).
      await untilAborted(inFlight.catch(() => undefined), signal);
      const shared = this.#usable(session, part);
      if (shared !== undefined) return shared;
    }
    await this.#fetchBatch(session, part, upcoming, signal);
    // Freshly signed: take it even if the clocks of browser and backend disagree about its age.
    const entry = this.#entriesOf(session).get(part.index);
    if (entry === undefined || entry.checksum !== part.checksum) throw badUrls();
    return entry.url;
  }

  /** The part was stored: its URL is not needed any more. */
  consume(session: UploadSession, index: number): void {
    this.#entriesOf(session).delete(index);
  }

  /**
   * Storage refused a URL as expired: every URL cached for the session was signed no later
   * (revocations and expiry hit them alike), so drop them all and ask afresh.
   */
  invalidate(session: UploadSession): void {
    this.#entriesOf(session).clear();
  }

  /** Parts with a URL cached for the session (for tests and diagnostics). */
  cachedIndexes(session: UploadSession): number[] {
    return [...this.#entriesOf(session).keys()].sort((a, b) => a - b);
  }

  #usable(session: UploadSession, part: UpcomingPart): PartUrl | undefined {
    const entry = this.#entriesOf(session).get(part.index);
    if (entry === undefined || entry.checksum !== part.checksum) return undefined;
    return entry.url.expiresAt - this.#now() > S3_URL_RENEW_MARGIN_MS ? entry.url : undefined;
  }

  async #fetchBatch(session: UploadSession, part: UpcomingPart, upcoming: readonly UpcomingPart[], signal: AbortSignal): Promise<void> {
    const pending = this.#pendingOf(session);
    const wantsChecksum = session.partChecksum !== null;
    const size = batchSize(session);
    const batch: UpcomingPart[] = [part];
    for (const next of upcoming) {
      if (batch.length >= size) break;
      // Without its checksum a part's URL cannot be signed yet (md5 / crc32 modes): it comes later.
      if (next.index === part.index || (wantsChecksum && next.checksum === undefined)) continue;
      if (pending.has(next.index) || this.#usable(session, next) !== undefined || batch.some((b) => b.index === next.index)) continue;
      batch.push(next);
    }
    const checksums: Record<string, string> = {};
    for (const b of batch) if (wantsChecksum && b.checksum !== undefined) checksums[String(b.index)] = b.checksum;
    const request: PartUrlsRequest = { indexes: batch.map((b) => b.index), ...(Object.keys(checksums).length > 0 && { checksums }) };
    const job = (async (): Promise<void> => {
      const urls = await this.#fetch(session, request, signal);
      const entries = this.#entriesOf(session);
      for (const b of batch) {
        const url = urls.find((u) => isRecord(u) && u.index === b.index);
        if (url === undefined || !isPartUrl(url)) throw badUrls();
        entries.set(b.index, { url, checksum: wantsChecksum ? b.checksum : undefined });
      }
    })();
    for (const b of batch) pending.set(b.index, job);
    try {
      await job;
    } finally {
      for (const b of batch) if (pending.get(b.index) === job) pending.delete(b.index);
    }
  }

  #entriesOf(session: UploadSession): Map<number, Entry> {
    let entries = this.#cache.get(session);
    if (entries === undefined) {
      entries = new Map();
      this.#cache.set(session, entries);
    }
    return entries;
  }

  #pendingOf(session: UploadSession): Map<number, Promise<void>> {
    let pending = this.#pending.get(session);
    if (pending === undefined) {
      pending = new Map();
      this.#pending.set(session, pending);
    }
    return pending;
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
