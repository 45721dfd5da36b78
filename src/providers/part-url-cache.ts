import { UploadError } from '../core/index.js';
import type { PartUrl, PartUrlsRequest, UpcomingPart, UploadSession } from '../core/index.js';
import { untilAborted } from '../core/until-aborted.js';

/** How the cache reaches the backend's `part-urls` route (with the session's ticket). */
export type PartUrlFetcher = (session: UploadSession, request: PartUrlsRequest, signal: AbortSignal) => Promise<PartUrl[]>;

/** What differs between providers that vend presigned part URLs (docs/protocol.md "Part URLs"). */
export interface PartUrlRules {
  /** Ask for a new URL when less than this is left of a cached one (ms). */
  readonly renewMarginMs: number;
  /** Most URLs one `part-urls` request asks for (at least 1). */
  batchSize(session: UploadSession): number;
  /**
   * Whether the session's URLs sign each part's checksum: then a URL fits only the checksum it
   * was signed with, and an upcoming part without its checksum cannot be asked for yet.
   */
  signsChecksum(session: UploadSession): boolean;
  /** Parts whose URL may be asked for without a checksum even when URLs sign one (PDS part 0). */
  checksumFree?(index: number): boolean;
  /** URLs that came with the session itself (signed with no checksum). */
  seed?(session: UploadSession): readonly unknown[];
  /** Parts to fill a batch with when the caller names none (`upcoming` undefined). */
  ahead?(session: UploadSession, wanted: UpcomingPart): readonly UpcomingPart[];
}

interface Entry {
  url: PartUrl;
  /** The checksum signed into the URL; undefined when none was (then it fits any). */
  checksum: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A PartUrl as the backend must send it (docs/protocol.md "Part URLs"). */
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
 * Presigned part URLs of open sessions, asked for just in time in small batches and reused
 * until shortly before they expire: a batch is the part being sent plus the next ones the
 * caller names (`PartPayload.upcoming`) that have no fresh URL and none on the way. Concurrent
 * asks for a part share the request that already carries it; a URL signed with another
 * checksum than the part's (re-hashed) is replaced. Each provider's limits come as
 * {@link PartUrlRules}.
 *
 * Sessions are WeakMap keys and URLs live in memory only (a URL is a short-lived credential),
 * so a finished or forgotten session takes its URLs with it and a restored one starts from
 * its seed, if any.
 *
 * @example
 * const urls = new PartUrlCache(fetcher, { renewMarginMs: 60_000, batchSize: () => 4, signsChecksum: () => false });
 * const url = await urls.get(session, { index: 3 }, upcoming, signal);
 */
export class PartUrlCache {
  #fetch: PartUrlFetcher;
  #rules: PartUrlRules;
  #now: () => number;
  #cache = new WeakMap<UploadSession, Map<number, Entry>>();
  #pending = new WeakMap<UploadSession, Map<number, Promise<void>>>();

  constructor(fetcher: PartUrlFetcher, rules: PartUrlRules, now: () => number = Date.now) {
    this.#fetch = fetcher;
    this.#rules = rules;
    this.#now = now;
  }

  /**
   * A URL for part `part.index` fitting `part.checksum`: cached, shared with a batch in
   * flight, or fetched now together with some of `upcoming` (undefined: the rules' `ahead`).
   */
  async get(session: UploadSession, part: UpcomingPart, upcoming: readonly UpcomingPart[] | undefined, signal: AbortSignal): Promise<PartUrl> {
    const cached = this.#usable(session, part);
    if (cached !== undefined) return cached;
    const inFlight = this.#pendingOf(session).get(part.index);
    if (inFlight !== undefined) {
      // Someone's batch holds this part: wait for it rather than ask twice (its failure is theirs).
      await untilAborted(inFlight.catch(() => undefined), signal);
      const shared = this.#usable(session, part);
      if (shared !== undefined) return shared;
    }
    await this.#fetchBatch(session, part, upcoming ?? this.#rules.ahead?.(session, part) ?? [], signal);
    // Freshly signed: take it even if the clocks of browser and backend disagree about its age.
    const entry = this.#entriesOf(session).get(part.index);
    if (entry === undefined || !fits(entry, part.checksum)) throw badUrls();
    return entry.url;
  }

  /** Drop the URL of part `index` (stored, or refused as expired): the next `get` asks again. */
  forget(session: UploadSession, index: number): void {
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
    if (entry === undefined || !fits(entry, part.checksum)) return undefined;
    return entry.url.expiresAt - this.#now() > this.#rules.renewMarginMs ? entry.url : undefined;
  }

  /** Whether a URL for `index` is signed with its checksum in this session. */
  #signs(session: UploadSession, index: number): boolean {
    return this.#rules.signsChecksum(session) && this.#rules.checksumFree?.(index) !== true;
  }

  async #fetchBatch(session: UploadSession, part: UpcomingPart, upcoming: readonly UpcomingPart[], signal: AbortSignal): Promise<void> {
    const pending = this.#pendingOf(session);
    const signed = this.#rules.signsChecksum(session);
    const size = this.#rules.batchSize(session);
    const batch: UpcomingPart[] = [signed ? part : { index: part.index }];
    for (const next of upcoming) {
      if (batch.length >= size) break;
      if (!Number.isSafeInteger(next.index) || next.index < 0 || next.index >= session.plan.partCount) continue;
      // Without its checksum a part's URL cannot be signed yet: it comes later.
      if (next.index === part.index || (this.#signs(session, next.index) && next.checksum === undefined)) continue;
      if (pending.has(next.index) || this.#usable(session, next) !== undefined || batch.some((b) => b.index === next.index)) continue;
      batch.push(signed ? next : { index: next.index });
    }
    const checksums: Record<string, string> = {};
    for (const b of batch) if (b.checksum !== undefined) checksums[String(b.index)] = b.checksum;
    const request: PartUrlsRequest = { indexes: batch.map((b) => b.index), ...(Object.keys(checksums).length > 0 && { checksums }) };
    const job = (async (): Promise<void> => {
      const urls = await this.#fetch(session, request, signal);
      if (!Array.isArray(urls) || !urls.every(isPartUrl)) throw badUrls();
      const entries = this.#entriesOf(session);
      for (const b of batch) {
        const url = urls.find((u) => u.index === b.index);
        if (url === undefined) throw badUrls();
        entries.set(b.index, { url, checksum: b.checksum });
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
      for (const url of this.#rules.seed?.(session) ?? []) if (isPartUrl(url)) entries.set(url.index, { url, checksum: undefined });
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

/** A URL signed with no checksum fits any part; one signed with a checksum fits only it. */
function fits(entry: Entry, checksum: string | undefined): boolean {
  return entry.checksum === undefined || entry.checksum === checksum;
}
