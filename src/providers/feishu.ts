import { UploadError } from '../core/index.js';
import type { ProviderClient, UploadSession } from '../core/index.js';
import type { BodySender } from './send-body.js';
import { SessionApi } from './session-api.js';
import { SessionTickets } from './session-tickets.js';

/** Options of createFeishuClient. */
export interface FeishuClientOptions {
  /** The backend's base URL (the element's `endpoint`). */
  endpoint: string;
  /** Feishu (open.feishu.cn) or Lark (open.larksuite.com): same API, another host on the backend. */
  flavour?: 'feishu' | 'lark';
  fetch?: typeof fetch;
  sendBody?: BodySender;
  /** Clock (ms since epoch) for ticket expiry; injectable for tests. */
  now?: () => number;
}


/**
 * Browser client for Feishu and Lark Drive. Their open API has no browser CORS and its
 * tenant token must stay on the server (specs/cloud-apis.md §1.11), so every part goes
 * through the backend (relay transport): `PUT {endpoint}/v1/sessions/parts/{index}` with
 * the ticket and the part's Adler-32 in `X-Part-Checksum`. Feishu cannot list uploaded
 * parts, so there is no `listParts`, and its files API refuses empty files (§1.6).
 *
 * The ticket is renewed shortly before it expires, or once when the backend says it has;
 * the fresh ticket is written into the session in place, so a stored session stays usable.
 *
 * @example
 * const provider = createFeishuClient({ endpoint: '/upload', flavour: 'lark' });
 */
export function createFeishuClient(options: FeishuClientOptions): ProviderClient {
  const name = options.flavour ?? 'feishu';
  const api = new SessionApi(options);
  const now = options.now ?? Date.now;
  const tickets = new SessionTickets(api, now);


  const withTicket = <T>(session: UploadSession, signal: AbortSignal, call: (ticket: string) => Promise<T>): Promise<T> =>
    tickets.call(session, signal, call);

  return {
    name,
    acceptsEmptyFiles: false,
    async createSession(request, signal) {
      const response = await api.createSession({ ...request, provider: name }, signal);
      if (response.transport !== 'relay') {
        throw new UploadError({ code: 'bad-response', kind: 'fatal', message: `The backend offered ${response.transport} transport; ${name} parts must be relayed` });
      }
      return { ...response, provider: name };
    },
    sendPart(session, part, onProgress, signal) {
      return withTicket(session, signal, (ticket) => api.relayPart(ticket, part.index, part.body, part.checksum, onProgress, signal));
    },
    complete(session, request, signal) {
      return withTicket(session, signal, (ticket) => api.complete(ticket, request, signal));
    },
    abort(session) {
      return api.abort(session.ticket);
    },
  };
}
