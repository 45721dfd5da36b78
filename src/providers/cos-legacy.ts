import { UploadError } from '../core/index.js';
import type { CreateSessionRequest, PartUrl, ProviderClient, UploadSession } from '../core/index.js';
import { COS_SIGNATURE_EXPIRED, cosEnvelopeCode, cosLegacySliceError } from './cos-legacy-slice-error.js';
import { cosLegacyUploadparts, type CosUploadparts } from './cos-legacy-uploadparts.js';
import { sendBody as defaultSendBody, type BodySender } from './send-body.js';
import { SessionApi } from './session-api.js';
import { SessionTickets } from './session-tickets.js';
import { untilAborted } from '../core/until-aborted.js';

/** `slice_size` values COS accepts: 512 KB, 1 MB, 2 MB, 3 MB (specs/cloud-apis.md §3.3, §3.8). */
export const COS_LEGACY_SLICE_SIZES: readonly number[] = Object.freeze([524288, 1048576, 2097152, 3145728]);

/** The slice size `-284` recommends (cloud-apis.md §3.9); used when the caller asks for none COS takes. */
export const COS_LEGACY_DEFAULT_SLICE_SIZE = 1048576;

/**
 * Files up to this size are hashed into `uploadparts` before the session is created, which
 * lets COS take 5 slices at once (cloud-apis.md §3.7); larger files go serially without
 * them, so their first byte is not held back by a full read of the file.
 *
 * Measured with `bench/cos-uploadparts-policy.ts` (headless Chromium, hash pool, engine, 1 MiB
 * slices, backend + emulator on loopback, median of 3, 2-core machine under a 1-min load of
 * 7–9 from other work), total ms from add() to done:
 *
 * | size    | hash first | serial, 0 / 40 ms per slice | parallel (incl. hash), 0 / 40 ms | saved, 0 / 40 ms |
 * |---------|-----------:|----------------------------:|---------------------------------:|-----------------:|
 * | 8 MiB   |   158      |  1085 /  1299               |   812 /  1291                    |   274 /     9    |
 * | 32 MiB  |   267      |  3703 /  4005               |  1967 /  2619                    |  1736 /  1386    |
 * | 96 MiB  |   837      |  4991 /  9338               |  4317 /  6768                    |   674 /  2570    |
 * | 256 MiB |  1862      | 27260 / 37760               | 21506 / 22261                    |  5754 / 15499    |
 *
 * Hashing first never lost (break-even at 8 MiB with 40 ms, clear gains from 32 MiB: the pool
 * reads at 115–170 MiB/s and parallel slices save more than that, the more so the farther
 * away COS is), so the
 * limit is not a crossover but what "costs little" allows: the wait before the first slice,
 * ~2 s at 256 MiB here and growing ~8 ms per MiB beyond, during which a pause or reload loses
 * the hashing done so far. 256 MiB keeps that wait at about 2 s, repaid 3–7 times over; it is
 * also well inside the 700-slice cap of COS_UPLOADPARTS_MAX_SLICES.
 */
export const COS_UPLOADPARTS_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Most slices one `uploadparts` may list: create bodies are capped at 64 KiB
 * (docs/protocol.md `POST v1/sessions`) and one entry takes up to ~85 bytes of JSON.
 */
export const COS_UPLOADPARTS_MAX_SLICES = 700;

/**
 * Ask for a new slice signature when less than this is left of it (ms), or less than half
 * its life for short-lived ones. Signatures live 10 min by default (docs/protocol.md).
 */
export const COS_SIGNATURE_REFRESH_MARGIN_MS = 30_000;

/** Options of createCosLegacyClient. */
export interface CosLegacyClientOptions {
  /** The backend's base URL (the element's `endpoint`). */
  endpoint: string;
  fetch?: typeof fetch;
  sendBody?: BodySender;
  /** Clock (ms since epoch) for ticket and signature expiry; injectable for tests. */
  now?: () => number;
  /**
   * Largest file (bytes) hashed into `uploadparts` for parallel slices; larger files upload
   * serially. Default COS_UPLOADPARTS_MAX_BYTES; 0 = always serial.
   */
  uploadpartsMaxBytes?: number;
}

/** What the backend put in `providerData` of a COS legacy session (docs/protocol.md §COS legacy). */
interface CosSessionData {
  session: string;
  sha1?: string;
  fileField: string;
}

/** A slice URL and when we got it (to judge how much of its life is left). */
interface CachedUrl extends PartUrl {
  fetchedAt: number;
}


function badResponse(what: string): UploadError {
  return new UploadError({ code: 'bad-response', kind: 'fatal', message: `The upload backend sent an unusable ${what} for COS legacy` });
}

function sessionData(session: UploadSession): CosSessionData {
  const data = session.providerData;
  const id = data?.['session'];
  const sha1 = data?.['sha1'];
  const field = data?.['fileField'] ?? 'filecontent';
  // These go into multipart headers: only plain tokens, so nothing can break the framing.
  if (typeof id !== 'string' || !/^[\w.-]{1,256}$/.test(id) || typeof field !== 'string' || !/^\w{1,64}$/.test(field)
    || (sha1 !== undefined && (typeof sha1 !== 'string' || !/^[0-9a-fA-F]{40}$/.test(sha1)))) {
    throw badResponse('session (providerData)');
  }
  return { session: id, fileField: field, ...(sha1 !== undefined && { sha1 }) };
}

function randomBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `----ccu-cos-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * A `multipart/form-data` body for one slice, built as a Blob around `file.slice()` (no copy
 * of the bytes): fields in the order docs/protocol.md gives, the content last. The Blob's
 * type carries the boundary, so XHR sends it as a CORS "simple request" (no preflight).
 */
function sliceForm(fields: readonly (readonly [string, string])[], fileField: string, slice: Blob): { body: Blob; headBytes: number } {
  const boundary = randomBoundary();
  let head = '';
  for (const [name, value] of fields) head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="blob"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const encoded = new TextEncoder().encode(head);
  return {
    body: new Blob([encoded, slice, `\r\n--${boundary}--\r\n`], { type: `multipart/form-data; boundary=${boundary}` }),
    headBytes: encoded.byteLength,
  };
}

function sliceSizeFor(partSize: number | undefined): number {
  return partSize !== undefined && COS_LEGACY_SLICE_SIZES.includes(partSize) ? partSize : COS_LEGACY_DEFAULT_SLICE_SIZE;
}

/**
 * Browser client for Tencent COS through its legacy JSON API ("files/v2", cloud-apis.md §3).
 * The backend opens the slice session and vends short-lived signatures bound to the one file;
 * the browser posts each slice straight to COS (direct transport, docs/protocol.md §COS legacy).
 *
 * Policy: a file up to `uploadpartsMaxBytes` is first hashed in the hash pool into COS
 * `uploadparts` (every slice's SHA-1 state, §3.7) plus its SHA-1, so COS verifies each slice
 * on arrival and takes them in parallel; the SHA-1 also enables rapid upload and resuming an
 * unfinished upload of the same file through `-4019` (the backend lists its slices and the
 * session comes back with `uploadedParts`). A larger file goes serially without them: the
 * session asks for the whole-file SHA-1 (`wholeFileHashes`), which the engine computes in the
 * pool alongside the upload and sends at complete.
 *
 * A slice answered `-59` (signature expired) gets a fresh URL and is sent once more at once;
 * the ticket is renewed shortly before it expires, in place, so a stored session stays usable.
 *
 * @example
 * const provider = createCosLegacyClient({ endpoint: '/upload' });
 * // <cloud-chunk-uploader provider="cos-legacy" target="/docs/2024"> does the same by name.
 */
export function createCosLegacyClient(options: CosLegacyClientOptions): ProviderClient {
  const name = 'cos-legacy';
  const api = new SessionApi(options);
  const send = options.sendBody ?? defaultSendBody;
  const now = options.now ?? Date.now;
  const maxBytes = options.uploadpartsMaxBytes ?? COS_UPLOADPARTS_MAX_BYTES;
  const tickets = new SessionTickets(api, now);
  const urls = new WeakMap<UploadSession, { value?: CachedUrl; pending?: Promise<CachedUrl> }>();
  // A new session for the same file (after an expiry) reuses the hashes instead of reading it again.
  const hashed = new WeakMap<Blob, CosUploadparts>();


  const withTicket = <T>(session: UploadSession, signal: AbortSignal, call: (ticket: string) => Promise<T>): Promise<T> =>
    tickets.call(session, signal, call);

  const fresh = (url: CachedUrl): boolean => {
    const left = url.expiresAt - now();
    return left > Math.min(COS_SIGNATURE_REFRESH_MARGIN_MS, (url.expiresAt - url.fetchedAt) / 2);
  };

  // Every slice of a session gets the same URL (the signature names the file, not the slice),
  // so one request serves them all until it is about to expire or COS says it has (`stale`).
  const sliceUrl = async (session: UploadSession, index: number, signal: AbortSignal, stale?: string): Promise<CachedUrl> => {
    let entry = urls.get(session);
    if (entry === undefined) {
      entry = {};
      urls.set(session, entry);
    }
    for (;;) {
      const { value, pending } = entry;
      if (value !== undefined && value.url !== stale && fresh(value)) return value;
      if (pending === undefined) break;
      // Someone is fetching: take their answer (or, if it failed, fetch anew).
      await untilAborted(pending.catch(() => undefined), signal);
    }
    const slot = entry;
    const fetchedAt = now();
    // Not tied to one slice's signal: the other slices wait for the same answer.
    const request = withTicket(session, new AbortController().signal, (ticket) => api.partUrls(ticket, { indexes: [index] }, new AbortController().signal))
      .then(({ urls: answer }) => {
        const url = answer.find((u) => u.index === index) ?? answer[0];
        if (url === undefined || typeof url.url !== 'string' || typeof url.expiresAt !== 'number' || (url.method !== 'POST' && url.method !== 'PUT')) throw badResponse('slice URL');
        const cached: CachedUrl = { ...url, headers: typeof url.headers === 'object' && url.headers !== null ? url.headers : {}, fetchedAt };
        slot.value = cached;
        return cached;
      })
      .finally(() => {
        if (slot.pending === request) delete slot.pending;
      });
    slot.pending = request;
    return untilAborted(request, signal);
  };

  const forgetUrl = (session: UploadSession, url: string): void => {
    const entry = urls.get(session);
    if (entry?.value?.url === url) delete entry.value;
  };

  return {
    name,
    acceptsEmptyFiles: true,
    async createSession(request, signal, context) {
      let planned: CosUploadparts | undefined;
      const sliceSize = sliceSizeFor(request.partSize);
      const fits = request.size > 0 && request.size <= maxBytes && Math.ceil(request.size / sliceSize) <= COS_UPLOADPARTS_MAX_SLICES;
      if (context !== undefined && fits && request.providerOptions?.['uploadparts'] === undefined) {
        const known = hashed.get(context.file);
        planned = known?.sliceSize === sliceSize ? known : await cosLegacyUploadparts(context.hash, request.size, sliceSize, signal);
        hashed.set(context.file, planned);
      }
      const body: CreateSessionRequest = planned === undefined
        ? { ...request, provider: name }
        : {
          ...request,
          provider: name,
          partSize: planned.sliceSize,
          hashes: { ...request.hashes, sha1: planned.sha1 },
          providerOptions: { ...request.providerOptions, uploadparts: JSON.stringify(planned.parts) },
        };
      const response = await api.createSession(body, signal);
      const session: UploadSession = { ...response, provider: name };
      // Rapid upload or an empty file: stored already, nothing to send.
      if (response.result !== undefined) return session;
      if (response.transport !== 'direct') throw badResponse(`transport (${response.transport})`);
      const data = sessionData(session);
      if (data.sha1 === undefined) {
        // No SHA-1 at create: COS checks its running SHA-1 against the one sent at finish (§3.6).
        // The engine hashes it in the pool alongside the slices (and keeps its state for a resume).
        session.wholeFileHashes = [...new Set([...(response.wholeFileHashes ?? []), 'sha1' as const])];
      }
      return session;
    },
    async sendPart(session, part, onProgress, signal) {
      const data = sessionData(session);
      const fields: [string, string][] = [['op', 'upload_slice_data'], ['session', data.session], ['offset', String(part.start)]];
      if (data.sha1 !== undefined) fields.push(['sha', data.sha1]);
      const length = part.end - part.start;
      let stale: string | undefined;
      for (let attempt = 0; ; attempt += 1) {
        const target = await sliceUrl(session, part.index, signal, stale);
        const { body, headBytes } = sliceForm(fields, data.fileField, part.body);
        const answer = await send(
          { url: target.url, method: target.method, headers: target.headers, body },
          (loaded) => onProgress(Math.max(0, Math.min(length, loaded - headBytes))),
          signal,
        );
        if (answer.status >= 200 && answer.status < 300 && cosEnvelopeCode(answer.text) === 0) {
          onProgress(length);
          return { index: part.index };
        }
        const error = cosLegacySliceError(answer.status, answer.text);
        if (error.providerCode !== String(COS_SIGNATURE_EXPIRED)) throw error;
        // Expired signature: a fresh one and the same slice again, once; then the engine's backoff.
        forgetUrl(session, target.url);
        if (attempt > 0) throw error;
        stale = target.url;
      }
    },
    listParts(session, signal) {
      return withTicket(session, signal, (ticket) => api.listParts(ticket, signal));
    },
    complete(session, request, signal) {
      return withTicket(session, signal, (ticket) => api.complete(ticket, request, signal));
    },
    abort(session) {
      // COS legacy cannot drop a slice session (docs/protocol.md); the backend answers 204 anyway.
      return api.abort(session.ticket);
    },
  };
}
