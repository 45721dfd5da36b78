import { UploadError } from '../core/index.js';
import type { PartUrl, PartUrlsRequest, UpcomingPart, UploadSession } from '../core/index.js';
import { untilAborted } from './until-aborted.js';

/** Ask for a new URL when less than this is left of the old one (docs/protocol.md §PDS "Part URLs"). */
export const PDS_URL_RENEW_MARGIN_MS = 60 * 1000;
/**
 * URLs asked for in one request: the part being sent and the next ones the engine names
 * (`PartPayload.upcoming`; in parallel mode only those whose SHA-1 context the hash pool
 * already has, since a URL signs its context). Small, so a URL is used well within its
 * 15 minutes; the same as the backend's first serial batch (`PDS_FIRST_URL_BATCH`).
 */
export const PDS_URL_BATCH = 4;

/** How the cache reaches the backend's `part-urls` route (with the session's ticket). */
export type PartUrlFetcher = (session: UploadSession, request: PartUrlsRequest, signal: AbortSignal) => Promise<PartUrl[]>;

interface Entry {
  url: PartUrl;
  /** The `sha1-ctx` the URL was signed with; undefined when none was sent (serial mode, part 0). */
  checksum: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A PartUrl as the backend must send it (docs/protocol.md §PDS "Part URLs"). */
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
 * The presigned part URLs of open PDS sessions, fetched just in time and reused while they
 * are fresh. A session's first batch comes with it (`providerData.partUrls`); more come from
 * `POST v1/sessions/part-urls`. In parallel mode a URL is tied to the SHA-1 context it was
 * signed with, so a part whose context changed (re-hashed) gets a new one. Concurrent asks
 * for the same URL share one request. Sessions are keys of a WeakMap: a finished or
 * forgotten session takes its URLs with it, and a session restored after a reload starts
 * from its stored first batch (stale ones are renewed).
 *
 * @example
 * const urls = new PdsPartUrls((session, request, signal) => api.partUrls(session.ticket, request, signal).then((r) => r.urls));
 * const url = await urls.get(session, 3, checksum, signal);
 */
export class PdsPartUrls {
  #fetch: PartUrlFetcher;
  #now: () => number;
  #cache = new WeakMap<UploadSession, Map<number, Entry>>();
  #pending = new WeakMap<UploadSession, Map<string, Promise<Entry>>>();

  constructor(fetcher: PartUrlFetcher, now: () => number = Date.now) {
    this.#fetch = fetcher;
    this.#now = now;
  }

  /**
   * A fresh URL for part `index`. `checksum` is the part's `sha1-ctx` in parallel mode
   * (required by the backend for every part but 0), undefined in serial mode. `upcoming`
   * (the engine's hint) names parts whose URLs may come along in the same request.
   */
  async get(session: UploadSession, index: number, checksum: string | undefined, signal: AbortSignal, upcoming?: readonly UpcomingPart[]): Promise<PartUrl> {
    const known = this.#entries(session).get(index);
    if (known !== undefined && this.#usable(known, checksum)) return known.url;
    const key = `${index}|${checksum ?? ''}`;
    const pending = this.#pendingOf(session);
    let entry = pending.get(key);
    if (entry === undefined) {
      entry = this.#load(session, { index, ...(checksum !== undefined && { checksum }) }, upcoming).finally(() => pending.delete(key));
      pending.set(key, entry);
    }
    return (await untilAborted(entry, signal)).url;
  }

  /** Drop the URL of part `index` (it expired): the next `get` asks the backend again. */
  forget(session: UploadSession, index: number): void {
    this.#entries(session).delete(index);
  }

  #usable(entry: Entry, checksum: string | undefined): boolean {
    return entry.url.expiresAt - this.#now() > PDS_URL_RENEW_MARGIN_MS && (entry.checksum === undefined || entry.checksum === checksum);
  }

  async #load(session: UploadSession, wanted: UpcomingPart, upcoming: readonly UpcomingPart[] | undefined): Promise<Entry> {
    const entries = this.#entries(session);
    const parallel = session.partChecksum === 'sha1-ctx';
    // Without the engine's hint, serial mode takes the parts that follow (they need no context).
    const candidates: readonly UpcomingPart[] = upcoming ?? (parallel ? [] : Array.from({ length: PDS_URL_BATCH }, (_, i) => ({ index: wanted.index + 1 + i })));
    const batch: UpcomingPart[] = [wanted];
    for (const part of candidates) {
      if (batch.length >= PDS_URL_BATCH) break;
      if (!Number.isSafeInteger(part.index) || part.index < 0 || part.index >= session.plan.partCount || batch.some((b) => b.index === part.index)) continue;
      if (parallel && part.index > 0 && part.checksum === undefined) continue;
      const entry = entries.get(part.index);
      if (entry === undefined || !this.#usable(entry, parallel ? part.checksum : undefined)) batch.push(parallel ? part : { index: part.index });
    }
    const checksums: Record<string, string> = {};
    for (const part of batch) if (parallel && part.checksum !== undefined) checksums[String(part.index)] = part.checksum;
    const request: PartUrlsRequest = { indexes: batch.map((part) => part.index), ...(Object.keys(checksums).length > 0 && { checksums }) };
    // Not the caller's signal: the answer is shared; each caller stops waiting on its own abort.
    const urls = await this.#fetch(session, request, new AbortController().signal);
    if (!Array.isArray(urls) || !urls.every(isPartUrl)) throw badUrls();
    for (const url of urls) {
      const part = batch.find((b) => b.index === url.index);
      if (part !== undefined) entries.set(url.index, { url, checksum: parallel ? part.checksum : undefined });
    }
    const entry = entries.get(wanted.index);
    if (entry === undefined || entry.url.index !== wanted.index || !urls.some((url) => url.index === wanted.index)) throw badUrls();
    return entry;
  }

  #entries(session: UploadSession): Map<number, Entry> {
    let entries = this.#cache.get(session);
    if (entries === undefined) {
      entries = new Map();
      // The first batch that came with the session (part 0 in parallel mode, 0..3 in serial mode).
      const first = session.providerData?.['partUrls'];
      if (Array.isArray(first)) for (const url of first) if (isPartUrl(url)) entries.set(url.index, { url, checksum: undefined });
      this.#cache.set(session, entries);
    }
    return entries;
  }

  #pendingOf(session: UploadSession): Map<string, Promise<Entry>> {
    let pending = this.#pending.get(session);
    if (pending === undefined) {
      pending = new Map();
      this.#pending.set(session, pending);
    }
    return pending;
  }
}

