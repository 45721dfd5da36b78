import { UploadError } from '../core/index.js';
import type { UploadSession } from '../core/index.js';
import type { SessionApi } from './session-api.js';
import { untilAborted } from '../core/until-aborted.js';

/**
 * Renew the ticket when less than this is left (ms). Tickets live an hour by default
 * (src/server DEFAULT_TICKET_TTL_MS); five minutes covers a slow part plus clock skew.
 */
export const TICKET_RENEW_MARGIN_MS = 5 * 60 * 1000;

/**
 * Keeps every session's ticket fresh for the backend calls made with it: renewed shortly
 * before it expires, or once when the backend says it has (its clock decides, e.g. after a
 * long pause). One renewal per session at a time, shared by its parts; each caller may still
 * abort its own wait. The fresh ticket is written into the session in place, so a stored
 * session stays usable.
 *
 * @example
 * const tickets = new SessionTickets(api);
 * await tickets.call(session, signal, (ticket) => api.complete(ticket, request, signal));
 */
export class SessionTickets {
  readonly #api: Pick<SessionApi, 'renew'>;
  readonly #now: () => number;
  readonly #marginMs: number;
  readonly #renewals = new WeakMap<UploadSession, Promise<void>>();

  constructor(api: Pick<SessionApi, 'renew'>, now: () => number = Date.now, marginMs = TICKET_RENEW_MARGIN_MS) {
    this.#api = api;
    this.#now = now;
    this.#marginMs = marginMs;
  }

  /** Run `call` with the session's current ticket, renewing it before or once after as needed. */
  async call<T>(session: UploadSession, signal: AbortSignal, call: (ticket: string) => Promise<T>): Promise<T> {
    if (session.expiresAt - this.#now() < this.#marginMs) await this.renew(session, signal);
    try {
      return await call(session.ticket);
    } catch (error) {
      if (!(error instanceof UploadError) || error.code !== 'ticket-expired' || signal.aborted) throw error;
      await this.renew(session, signal);
      return call(session.ticket);
    }
  }

  /** Renew the session's ticket now (joining a renewal already under way). */
  renew(session: UploadSession, signal: AbortSignal): Promise<void> {
    let renewal = this.#renewals.get(session);
    if (renewal === undefined) {
      const stale = session.ticket;
      // Not tied to one caller's signal: other parts of the session wait for the same renewal.
      renewal = this.#api.renew(stale, new AbortController().signal).then((fresh) => {
        if (session.ticket === stale) {
          session.ticket = fresh.ticket;
          session.expiresAt = fresh.expiresAt;
        }
      }).finally(() => this.#renewals.delete(session));
      this.#renewals.set(session, renewal);
    }
    return untilAborted(renewal, signal);
  }
}
