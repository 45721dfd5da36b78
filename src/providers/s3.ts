import { UploadError } from '../core/index.js';
import type { PartReceipt, ProviderClient, UploadResult, UploadSession } from '../core/index.js';
import { SessionTickets } from './session-tickets.js';
import { S3PartUrls } from './s3-part-urls.js';
import { s3StorageFailure } from './s3-storage-error.js';
import { sendBody as defaultSendBody } from './send-body.js';
import type { BodySender } from './send-body.js';
import { SessionApi } from './session-api.js';

/** Options of createS3Client. */
export interface S3ClientOptions {
  /** The backend's base URL (the element's `endpoint`). */
  endpoint: string;
  fetch?: typeof fetch;
  sendBody?: BodySender;
  /** Clock (ms since epoch) for ticket and URL expiry; injectable for tests. */
  now?: () => number;
  /**
   * Told once per session about a problem the client worked around, today `etag-hidden`
   * (the bucket's CORS rule hides `ETag`; the ETags were recovered through ListParts).
   * Default: one `console.warn` per client, since the bucket setup should be fixed.
   */
  onDiagnostic?: (diagnostic: UploadError) => void;
}

/** What the S3 client reads from `CreateSessionResponse.providerData` (docs/protocol.md §S3). */
interface S3SessionData {
  bucket: string;
  key: string;
  checksumHeader: string | null;
  maxUrlsPerRequest: number;
}

function isS3SessionData(value: unknown): value is S3SessionData {
  if (typeof value !== 'object' || value === null) return false;
  const data = value as Record<string, unknown>;
  return typeof data['bucket'] === 'string' && typeof data['key'] === 'string'
    && (data['checksumHeader'] === null || typeof data['checksumHeader'] === 'string')
    && typeof data['maxUrlsPerRequest'] === 'number' && data['maxUrlsPerRequest'] >= 1;
}

/**
 * ETags hidden by bucket CORS (cloud-apis.md §4.3 step 3): the diagnostic when the client
 * works around it (no `missing`), the error when it cannot.
 */
function etagHidden(missing: readonly number[] = []): UploadError {
  const fix = 'Add ETag to the bucket CORS rule\'s ExposeHeaders (docs/protocol.md §S3 "Bucket setup")';
  return new UploadError({
    code: 'etag-hidden',
    kind: 'fatal',
    message: missing.length === 0
      ? `The storage's CORS rule hides the part ETags from the browser; the parts are stored and their ETags are read through ListParts before completing. ${fix}.`
      : `The storage's CORS rule hides the part ETags from the browser, and ListParts did not have parts ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}. ${fix}.`,
  });
}

/**
 * A backend error about an upload S3 no longer holds (`NoSuchUpload`: aborted by a lifecycle
 * rule or a fault) means "open a new session", as for a part PUT (S3_PART_ERRORS); the
 * backend reports it as `not-found` because it cannot tell an aborted upload from a typo.
 */
function reclassify(error: unknown): unknown {
  if (error instanceof UploadError && error.providerCode === 'NoSuchUpload' && error.kind === 'fatal') {
    return new UploadError({ ...error.toJSON(), code: 'session-expired', kind: 'session-expired' }, { cause: error });
  }
  return error;
}

/**
 * Browser client for S3-compatible storage (Amazon S3, MinIO, R2, COS XML…) through the
 * token-vending backend: the backend opens the multipart upload and presigns UploadPart URLs
 * just in time in small batches (S3PartUrls); the browser PUTs each part straight to storage
 * with exactly the signed headers (its Content-MD5 or `x-amz-checksum-crc32`, so storage
 * verifies every part), reads the `ETag`, and the backend lists parts (resume) and completes
 * (docs/protocol.md §S3, cloud-apis.md §4.3).
 *
 * - An expired or revoked URL (403 `AccessDenied`) is re-signed and the part sent once more
 *   inside `sendPart`; refused again, it is a retryable `forbidden` (bounded by the engine).
 * - When bucket CORS hides `ETag`, the part is still stored: its receipt goes without ETag,
 *   `complete` reads the missing ones with one ListParts and reports an `etag-hidden`
 *   diagnostic (`onDiagnostic`); parts ListParts lacks fail `complete` with `etag-hidden`.
 * - The part size is the backend's plan: the element's `chunk-size` is a preference, raised to
 *   the store's minimum (5 MiB on S3) and grown until the file fits 10 000 parts.
 * - Tickets are renewed shortly before they expire, or once when the backend says they have.
 *
 * @example
 * const provider = createS3Client({ endpoint: '/upload' });
 * // <cloud-chunk-uploader provider="s3" target="uploads/2026">: upload-success → result.bucket, result.key, result.etag
 */
export function createS3Client(options: S3ClientOptions): ProviderClient {
  const api = new SessionApi(options);
  const send = options.sendBody ?? defaultSendBody;
  const now = options.now ?? Date.now;
  const tickets = new SessionTickets(api, now);
  // Sessions already diagnosed with hidden ETags (once each).
  const hiddenEtags = new WeakSet<UploadSession>();
  let warned = false;
  const diagnose = options.onDiagnostic ?? ((diagnostic: UploadError): void => {
    if (warned) return;
    warned = true;
    console.warn(`cloud-chunk-uploader (s3): ${diagnostic.message}`);
  });


  // Every backend call with the session's ticket, its S3 answers reclassified.
  const withTicket = <T>(session: UploadSession, signal: AbortSignal, call: (ticket: string) => Promise<T>): Promise<T> =>
    tickets.call(session, signal, call).catch((error: unknown) => {
      throw reclassify(error);
    });

  const urls = new S3PartUrls((session, request, signal) => withTicket(session, signal, (ticket) => api.partUrls(ticket, request, signal)).then((r) => r.urls), now);

  const listParts = (session: UploadSession, signal: AbortSignal): Promise<PartReceipt[]> => withTicket(session, signal, (ticket) => api.listParts(ticket, signal));

  return {
    name: 's3',
    // S3 stores empty objects: an empty file is one empty part (docs/protocol.md §S3 "Plan").
    acceptsEmptyFiles: true,
    async createSession(request, signal) {
      // S3 takes no whole-file hashes and no provider options (the backend refuses any).
      const { hashes: _hashes, ...rest } = request;
      const response = await api.createSession({ ...rest, provider: 's3' }, signal);
      if (response.transport !== 'direct') {
        throw new UploadError({ code: 'bad-response', kind: 'fatal', message: `The backend offered ${response.transport} transport; S3 parts go straight to storage` });
      }
      if (response.result === undefined && !isS3SessionData(response.providerData)) {
        throw new UploadError({ code: 'bad-response', kind: 'fatal', message: 'The backend sent an S3 session without its bucket, key and URL batch size' });
      }
      return { ...response, provider: 's3' };
    },

    async sendPart(session, part, onProgress, signal) {
      const wanted = { index: part.index, ...(part.checksum !== undefined && { checksum: part.checksum }) };
      let resigned = false;
      for (;;) {
        const url = await urls.get(session, wanted, part.upcoming ?? [], signal);
        // Exactly the signed headers: another x-amz-* header or a changed one is refused (§4.3 step 2).
        const answer = await send({ url: url.url, method: url.method, headers: url.headers, body: part.body }, onProgress, signal);
        if (answer.status >= 200 && answer.status < 300) {
          urls.consume(session, part.index);
          const etag = answer.header('etag');
          if ((etag === null || etag === '') && !hiddenEtags.has(session)) {
            hiddenEtags.add(session);
            diagnose(etagHidden());
          }
          return {
            index: part.index,
            ...(etag !== null && etag !== '' && { etag }),
            ...(part.checksum !== undefined && { checksum: part.checksum }),
          };
        }
        const failure = s3StorageFailure(answer);
        if (failure.resign && !resigned) {
          // Expired or revoked: every URL cached for this session was signed no later.
          resigned = true;
          urls.invalidate(session);
          onProgress(0);
          continue;
        }
        throw failure.error;
      }
    },

    listParts,

    async complete(session, request, signal): Promise<UploadResult> {
      let parts = request.parts;
      const missing = parts.filter((p) => p.etag === undefined || p.etag === '');
      if (missing.length > 0) {
        // Bucket CORS hid the ETags (or a receipt was stored without one): storage has them.
        const listed = new Map((await listParts(session, signal)).map((p) => [p.index, p]));
        parts = parts.map((p) => (p.etag === undefined || p.etag === '' ? { ...p, ...(listed.get(p.index)?.etag !== undefined && { etag: listed.get(p.index)?.etag }) } : p));
        const still = parts.filter((p) => p.etag === undefined || p.etag === '').map((p) => p.index);
        if (still.length > 0) throw etagHidden(still);
      }
      return withTicket(session, signal, (ticket) => api.complete(ticket, { ...request, parts }, signal));
    },

    abort(session) {
      return api.abort(session.ticket);
    },
  };
}
