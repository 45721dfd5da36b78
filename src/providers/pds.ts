import { UploadError } from '../core/index.js';
import type { PartReceipt, ProviderClient, UploadSession } from '../core/index.js';
import { SessionTickets } from './session-tickets.js';
import { PdsPartUrls } from './pds-part-urls.js';
import { pdsRapidUpload } from './pds-rapid-upload.js';
import { pdsStorageError } from './pds-storage-error.js';
import { sendBody as defaultSendBody } from './send-body.js';
import type { BodySender } from './send-body.js';
import { SessionApi } from './session-api.js';

/**
 * New URLs asked for one part after storage said its URL expired, before the failure goes
 * to the engine (which retries with backoff and asks again).
 */
export const PDS_MAX_URL_RESIGNS = 2;

/** Options of createPdsClient. */
export interface PdsClientOptions {
  /** The backend's base URL (the element's `endpoint`). */
  endpoint: string;
  fetch?: typeof fetch;
  /** Sender of part bodies (XHR in browsers, for byte progress); injectable for tests. */
  sendBody?: BodySender;
  /** Clock (ms since epoch) for ticket and URL expiry; injectable for tests. */
  now?: () => number;
}

/** The diagnostic for a part storage took but whose ETag the browser may not read (cloud-apis.md §2.5, §2.12). */
function etagHidden(index: number): UploadError {
  return new UploadError({
    code: 'etag-hidden',
    kind: 'fatal',
    status: 200,
    message: `Storage accepted part ${index + 1} but the browser may not read its ETag header. `
      + 'The storage bucket\'s CORS rule must expose ETag (add "ETag" to ExposeHeaders / Access-Control-Expose-Headers); ask the storage administrator.',
  });
}

/**
 * Browser client for Aliyun PDS (cloud-apis.md §2; docs/protocol.md §PDS). The backend
 * creates the file with its own token and vends presigned OSS part URLs; the browser PUTs
 * part bytes straight to storage with byte progress (XHR) and keeps each part's `ETag` as
 * its receipt. Modes, as the session says:
 * - parallel (`partChecksum: 'sha1-ctx'`): parts in any order, each URL signed with the SHA-1
 *   context the hash pool computed ahead of the network;
 * - serial (`partChecksum: null`, one part in flight): when PDS refuses parallel uploads.
 * Rapid upload: `createSession` sends the first KiB's SHA-1 and, only when PDS has a match,
 * the whole file's SHA-1 and the proof bytes (pdsRapidUpload); the session then carries a
 * result and no part is sent. An expired URL is re-signed inside `sendPart`; a part serial
 * storage already holds is taken from `listParts`. Empty files are stored (one empty part).
 *
 * @example
 * const provider = createPdsClient({ endpoint: '/upload' });
 * const engine = new UploadEngine({ provider, hasher: new HashPool(), target: 'root' });
 */
export function createPdsClient(options: PdsClientOptions): ProviderClient {
  const api = new SessionApi(options);
  const sendBody = options.sendBody ?? defaultSendBody;
  const now = options.now ?? Date.now;
  const tickets = new SessionTickets(api, now);


  const withTicket = <T>(session: UploadSession, signal: AbortSignal, call: (ticket: string) => Promise<T>): Promise<T> =>
    tickets.call(session, signal, call);

  const urls = new PdsPartUrls(
    (session, request, signal) => withTicket(session, signal, (ticket) => api.partUrls(ticket, request, signal)).then((answer) => answer.urls),
    now,
  );
  const listParts = (session: UploadSession, signal: AbortSignal): Promise<PartReceipt[]> =>
    withTicket(session, signal, (ticket) => api.listParts(ticket, signal));

  return {
    name: 'pds',
    acceptsEmptyFiles: true,
    async createSession(request, signal, context) {
      const response = await pdsRapidUpload({ ...request, provider: 'pds' }, context, (body) => api.createSession(body, signal), signal);
      if (response.result === undefined) {
        if (response.transport !== 'direct') {
          throw new UploadError({ code: 'bad-response', kind: 'fatal', message: `The backend offered ${response.transport} transport; PDS parts go straight to storage` });
        }
        if (response.uploadId === '') throw new UploadError({ code: 'bad-response', kind: 'retry', message: 'The upload backend sent a PDS session without an upload' });
      }
      return { ...response, provider: 'pds' };
    },
    async sendPart(session, part, onProgress, signal) {
      for (let resigns = 0; ; resigns += 1) {
        const wanted = { index: part.index, ...(part.checksum !== undefined && { checksum: part.checksum }) };
        const url = await urls.get(session, wanted, resigns === 0 ? part.upcoming : [], signal);
        // Exactly the signed headers (normally none: OSS signs the empty Content-Type, and a
        // Blob from file.slice() has no type), cloud-apis.md §2.5.
        const answer = await sendBody({ url: url.url, method: url.method, headers: { ...url.headers }, body: part.body }, onProgress, signal);
        if (answer.status >= 200 && answer.status < 300) {
          const etag = answer.header('etag');
          if (etag === null || etag === '') throw etagHidden(part.index);
          return { index: part.index, etag, ...(part.checksum !== undefined && { checksum: part.checksum }) };
        }
        const failure = pdsStorageError(answer.status, answer.text);
        if (failure.urlExpired) {
          urls.forget(session, part.index);
          if (resigns < PDS_MAX_URL_RESIGNS) continue;
        } else if (failure.partExists) {
          // Serial mode re-send of a stored part (its answer was lost): take its etag (cloud-apis.md §2.5, §2.11).
          const held = (await listParts(session, signal)).find((receipt) => receipt.index === part.index);
          if (held?.etag !== undefined && held.etag !== '') return { index: part.index, etag: held.etag };
        }
        throw failure.error;
      }
    },
    listParts,
    complete(session, request, signal) {
      return withTicket(session, signal, (ticket) => api.complete(ticket, request, signal));
    },
    abort(session) {
      // A rapid-upload step or a finished rapid upload has no upload to drop.
      return session.uploadId === '' ? Promise.resolve() : api.abort(session.ticket);
    },
  };
}
