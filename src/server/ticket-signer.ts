import { isProviderName, type ProviderName } from '../core/index.js';
import { HttpError } from './http-error.js';

/** Format version inside every ticket; bumped if the payload changes incompatibly. */
const TICKET_VERSION = 1;

/**
 * What an upload ticket authorizes: one upload, as created by `POST v1/sessions`.
 * The backend keeps no session table; every later route trusts only this signed scope.
 */
export interface UploadTicket {
  typ: 'upload';
  v: typeof TICKET_VERSION;
  provider: ProviderName;
  target: string;
  fileName: string;
  /** Bytes. */
  size: number;
  uploadId: string;
  partSize: number;
  partCount: number;
  /** Provider API variant, e.g. Feishu `files` or `medias`. */
  api: string;
  /** Who created the upload (the `authenticate` hook's subject). */
  subject: string;
  /** ms since epoch when the provider created the upload id; bounds renewals. */
  createdAt: number;
  /** ms since epoch. */
  expiresAt: number;
}

/** Byte length of part `index` under an upload ticket's plan: every part full but the last. */
export function partLength(ticket: UploadTicket, index: number): number {
  if (index < ticket.partCount - 1) return ticket.partSize;
  return ticket.size - ticket.partSize * (ticket.partCount - 1);
}

/** What a download ticket authorizes: reading one stored file through the backend. */
export interface DownloadTicket {
  typ: 'download';
  v: typeof TICKET_VERSION;
  provider: ProviderName;
  /** Provider file id (Feishu file_token). */
  fileToken: string;
  api: string;
  fileName: string;
  subject: string;
  /** ms since epoch. */
  expiresAt: number;
}

/** Either kind of ticket, discriminated by `typ`. */
export type AnyTicket = UploadTicket | DownloadTicket;

/** What `verify` checks beyond the signature. */
export interface TicketExpectation<T extends AnyTicket['typ']> {
  typ: T;
  /** Reject a ticket scoped to another provider. */
  provider?: ProviderName;
  /** Accept an expired ticket (abort and renew, which re-authenticate or do nothing). */
  allowExpired?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Signs and verifies tickets: `base64url(JSON payload) "." base64url(HMAC-SHA256(secret, first part))`.
 * Uses Web Crypto only, so the handler also runs on edge runtimes. Signatures are compared
 * in constant time. docs/protocol.md §Tickets is the normative description.
 *
 * @example
 * const signer = new TicketSigner(process.env.UPLOAD_TICKET_SECRET!, () => Date.now());
 * const token = await signer.sign(ticket);
 * const back = await signer.verify(token, { typ: 'upload', provider: 'feishu' });
 */
export class TicketSigner {
  #key: Promise<CryptoKey>;
  #now: () => number;

  /** `secret`: the HMAC key (UPLOAD_TICKET_SECRET), at least 32 bytes recommended. */
  constructor(secret: string, now: () => number = Date.now) {
    if (secret.length === 0) throw new TypeError('createUploadHandler: `secret` must not be empty');
    this.#now = now;
    this.#key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  }

  /** The signed token for a payload. */
  async sign(ticket: AnyTicket): Promise<string> {
    const body = toBase64Url(encoder.encode(JSON.stringify(ticket)));
    return `${body}.${toBase64Url(await this.#mac(body))}`;
  }

  /**
   * The payload of a genuine, unexpired ticket of the expected kind. Throws HttpError 401
   * `ticket-invalid` (malformed, forged, tampered, wrong kind or provider) or `ticket-expired`.
   */
  async verify<T extends AnyTicket['typ']>(token: string, expect: TicketExpectation<T>): Promise<Extract<AnyTicket, { typ: T }>> {
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) throw invalid('The ticket is malformed');
    const body = token.slice(0, dot);
    const given = fromBase64Url(token.slice(dot + 1));
    if (given === null || !constantTimeEqual(given, await this.#mac(body))) throw invalid('The ticket signature does not match');
    // Only a payload we signed reaches this point, but its shape is still checked: a ticket
    // minted by an older version of this code must fail cleanly, not crash a route.
    const payload = parsePayload(body);
    if (payload === null || payload.typ !== expect.typ) throw invalid('The ticket is not valid for this route');
    if (expect.provider !== undefined && payload.provider !== expect.provider) throw invalid('The ticket belongs to another provider');
    if (expect.allowExpired !== true && payload.expiresAt <= this.#now()) {
      throw new HttpError(401, { code: 'ticket-expired', kind: 'retry', message: 'The upload ticket has expired; renew it with v1/sessions/renew' });
    }
    return payload as Extract<AnyTicket, { typ: T }>;
  }

  async #mac(body: string): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.sign('HMAC', await this.#key, encoder.encode(body)));
  }
}

function invalid(message: string): HttpError {
  return new HttpError(401, { code: 'ticket-invalid', kind: 'fatal', message });
}

/** Equal length and equal bytes, in time that depends only on the length. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function parsePayload(body: string): AnyTicket | null {
  const bytes = fromBase64Url(body);
  if (bytes === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const t = value as Record<string, unknown>;
  const strings = (...keys: string[]) => keys.every((k) => typeof t[k] === 'string');
  const integers = (...keys: string[]) => keys.every((k) => Number.isSafeInteger(t[k]));
  if (t['v'] !== TICKET_VERSION || !isProviderName(t['provider']) || !integers('expiresAt')) return null;
  if (t['typ'] === 'upload' && strings('target', 'fileName', 'uploadId', 'api', 'subject') && integers('size', 'partSize', 'partCount', 'createdAt')) {
    return value as UploadTicket;
  }
  if (t['typ'] === 'download' && strings('fileToken', 'api', 'fileName', 'subject')) return value as DownloadTicket;
  return null;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
