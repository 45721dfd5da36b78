import { Hono, type Context } from 'hono';
import {
  PROTOCOL_VERSION,
  isProviderName,
  type CompleteRequest,
  type CompleteResponse,
  type CreateSessionResponse,
  type ListPartsResponse,
  type PartUrlsRequest,
  type ProviderName,
  type RenewResponse,
  type UploadResult,
} from '../core/index.js';
import { cors } from './cors.js';
import { exactLengthStream } from './exact-length-stream.js';
import { HttpError } from './http-error.js';
import { localOnlyAuthenticate } from './local-only-authenticate.js';
import type { ServerProvider } from './providers/server-provider.js';
import { serverProviderRegistry, type ServerProvidersConfig } from './providers/server-provider-registry.js';
import { partLength, TicketSigner, type UploadTicket } from './ticket-signer.js';
import { MAX_CREATE_BODY_BYTES, validateCreateRequest } from './validate-create-request.js';

/** Default lifetime of an upload ticket (ms): 1 h, renewable. */
export const DEFAULT_TICKET_TTL_MS = 60 * 60 * 1000;

/** Lifetime of a download ticket inside `UploadResult.downloadUrl` (ms). */
export const DOWNLOAD_TICKET_TTL_MS = 60 * 60 * 1000;

/** Largest JSON body read by complete / part-urls (bytes; ours). */
const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** Who the caller is, as the embedding app's `authenticate` hook decides. */
export interface AuthenticatedCaller {
  /** Stable id of the user or tenant; stored in tickets, compared on renew. */
  subject: string;
}

/** Options of the token-vending backend. */
export interface UploadHandlerOptions {
  /** UPLOAD_TICKET_SECRET: the HMAC key for tickets; at least 32 random bytes recommended. */
  secret: string;
  /** Providers this backend serves; others answer 400 `unknown-provider`. */
  providers: ServerProvidersConfig;
  /**
   * Who may create (and renew) uploads. Return null to refuse (401). Default:
   * `localOnlyAuthenticate` (loopback callers only; a development default).
   */
  authenticate?: (request: Request) => Promise<AuthenticatedCaller | null> | AuthenticatedCaller | null;
  /** Browser origins allowed by CORS, exact (`https://app.example.com`); default none (same origin only). */
  allowedOrigins?: string[];
  /** Path prefix the routes live under, e.g. `/upload` → `/upload/v1/sessions`. Default ''. */
  basePath?: string;
  /** Upload ticket lifetime (ms). Default DEFAULT_TICKET_TTL_MS (1 h). */
  ticketTtlMs?: number;
  /** Largest file accepted (bytes). Default: no limit of ours; the provider's own applies. */
  maxFileSize?: number;
  /** Clock (ms since epoch) for tickets and token expiry. Default `Date.now`. */
  now?: () => number;
  /** fetch used to call providers; injectable for tests. Default global `fetch`. */
  fetch?: typeof fetch;
}

/**
 * The token-vending backend as a standard fetch handler: session protocol v1
 * (src/core/protocol.ts, docs/protocol.md). It keeps no session state: every upload is
 * described by the signed ticket the browser holds; the only state is each provider's
 * server-token cache and pacing queues. Mount it in Node (`startUploadServer`), any
 * fetch-based runtime, or behind Express via an adapter.
 *
 * @example
 * const handle = createUploadHandler({
 *   secret: process.env.UPLOAD_TICKET_SECRET!,
 *   providers: { feishu: { baseUrl: 'https://open.feishu.cn', appId, appSecret } },
 *   authenticate: async (req) => (await session(req)) ? { subject: userId } : null,
 *   allowedOrigins: ['https://app.example.com'],
 * });
 * // Deno.serve(handle) / export default { fetch: handle } / serve({ fetch: handle })
 */
export function createUploadHandler(options: UploadHandlerOptions): (request: Request) => Promise<Response> {
  const now = options.now ?? Date.now;
  const ttlMs = options.ticketTtlMs ?? DEFAULT_TICKET_TTL_MS;
  const maxFileSize = options.maxFileSize ?? Number.MAX_SAFE_INTEGER;
  const authenticate = options.authenticate ?? localOnlyAuthenticate;
  const basePath = normalizeBasePath(options.basePath ?? '');
  const signer = new TicketSigner(options.secret, now);
  const providers = serverProviderRegistry(options.providers, { fetch: options.fetch ?? ((input, init) => fetch(input, init)), now });

  const app = new Hono();
  const v1 = new Hono();

  const providerOf = (name: ProviderName): ServerProvider => {
    const provider = providers.get(name);
    if (provider === undefined) throw new HttpError(400, { code: 'unknown-provider', kind: 'fatal', message: `This backend does not serve provider "${name}"` });
    return provider;
  };

  const caller = async (request: Request): Promise<AuthenticatedCaller> => {
    const who = await authenticate(request);
    if (who === null || typeof who.subject !== 'string') {
      throw new HttpError(401, { code: 'unauthorized', kind: 'fatal', message: 'Sign in to upload files' });
    }
    return who;
  };

  const uploadTicket = async (c: Context, allowExpired = false): Promise<UploadTicket> => {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    if (match?.[1] === undefined) throw new HttpError(401, { code: 'ticket-invalid', kind: 'fatal', message: 'The request carries no upload ticket (Authorization: Bearer <ticket>)' });
    return signer.verify(match[1], { typ: 'upload', allowExpired });
  };

  const issue = async (ticket: UploadTicket): Promise<{ ticket: string; expiresAt: number }> => ({ ticket: await signer.sign(ticket), expiresAt: ticket.expiresAt });

  const expiryFor = (provider: ServerProvider, createdAt: number): number => {
    const expiresAt = now() + ttlMs;
    // A ticket never outlives the provider's upload id (Feishu: 24 h).
    return provider.uploadLifetimeMs === null ? expiresAt : Math.min(expiresAt, createdAt + provider.uploadLifetimeMs);
  };

  v1.post('/sessions', async (c) => {
    const who = await caller(c.req.raw);
    const { provider: name, input } = validateCreateRequest(await readJson(c.req.raw, MAX_CREATE_BODY_BYTES, true), maxFileSize);
    if (!isProviderName(name)) throw new HttpError(400, { code: 'unknown-provider', kind: 'fatal', message: `Unknown provider "${name}"` });
    const provider = providerOf(name);
    const session = await provider.createSession(input, c.req.raw.signal);
    const createdAt = now();
    const ticket: UploadTicket = {
      typ: 'upload',
      v: 1,
      provider: name,
      target: input.target,
      fileName: input.fileName,
      size: input.size,
      uploadId: session.uploadId,
      partSize: session.plan.partSize,
      partCount: session.plan.partCount,
      api: session.api,
      subject: who.subject,
      createdAt,
      expiresAt: expiryFor(provider, createdAt),
    };
    const body: CreateSessionResponse = {
      protocol: PROTOCOL_VERSION,
      ...(await issue(ticket)),
      uploadId: session.uploadId,
      plan: session.plan,
      traffic: session.traffic,
      transport: session.transport,
      partChecksum: session.partChecksum,
      ...(session.result !== undefined && { result: session.result }),
      ...(session.uploadedParts !== undefined && { uploadedParts: session.uploadedParts }),
      ...(session.providerData !== undefined && { providerData: session.providerData }),
    };
    return json(body, 201);
  });

  v1.put('/sessions/parts/:index', async (c) => {
    const ticket = await uploadTicket(c);
    const provider = providerOf(ticket.provider);
    if (provider.relayPart === undefined) {
      throw new HttpError(400, { code: 'bad-request', kind: 'fatal', message: 'This provider takes parts directly, not through the backend (use v1/sessions/part-urls)' });
    }
    const raw = c.req.param('index');
    const index = /^\d{1,9}$/.test(raw) ? Number(raw) : -1;
    if (index < 0 || index >= ticket.partCount) {
      throw new HttpError(400, { code: 'bad-request', kind: 'fatal', message: `Part index must be 0..${ticket.partCount - 1}` });
    }
    const length = partLength(ticket, index);
    // Refuse a wrong declared length before any byte is read or anything is sent upstream.
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) !== length) {
      throw sizeMismatch(index, length);
    }
    const body = exactLengthStream(c.req.raw.body, length);
    const checksum = c.req.header('x-part-checksum');
    try {
      const receipt = await provider.relayPart({
        ticket, index, length, body: body.stream, signal: c.req.raw.signal,
        ...(checksum !== undefined && { checksum }),
      });
      return json(receipt);
    } catch (error) {
      if (body.mismatch) throw sizeMismatch(index, length, error);
      throw error;
    }
  });

  v1.post('/sessions/part-urls', async (c) => {
    const ticket = await uploadTicket(c);
    const provider = providerOf(ticket.provider);
    if (provider.partUrls === undefined) throw notImplemented('This provider has no presigned part URLs; parts go through the backend (relay)');
    const request = await readJson(c.req.raw, MAX_JSON_BODY_BYTES, false);
    if (typeof request !== 'object' || request === null || !Array.isArray((request as PartUrlsRequest).indexes)) {
      throw new HttpError(400, { code: 'bad-request', kind: 'fatal', message: '`indexes` must be an array of part indexes' });
    }
    return json(await provider.partUrls(ticket, request as PartUrlsRequest, c.req.raw.signal));
  });

  v1.get('/sessions/parts', async (c) => {
    const ticket = await uploadTicket(c);
    const provider = providerOf(ticket.provider);
    if (provider.listParts === undefined) throw notImplemented('This provider cannot list uploaded parts; resume from local progress');
    const body: ListPartsResponse = { parts: await provider.listParts(ticket, c.req.raw.signal) };
    return json(body);
  });

  v1.post('/sessions/complete', async (c) => {
    const ticket = await uploadTicket(c);
    const provider = providerOf(ticket.provider);
    const raw = await readJson(c.req.raw, MAX_JSON_BODY_BYTES, false);
    const request = (raw ?? { parts: [] }) as CompleteRequest;
    if (typeof request !== 'object' || !Array.isArray(request.parts)) {
      throw new HttpError(400, { code: 'bad-request', kind: 'fatal', message: '`parts` must be an array of part receipts' });
    }
    const stored = await provider.complete(ticket, request, c.req.raw.signal);
    const result: UploadResult = { ...stored };
    if (provider.download !== undefined && stored.fileToken !== undefined) {
      result.downloadUrl = await downloadUrl(c.req.url, ticket, stored.fileToken);
    }
    const body: CompleteResponse = { result };
    return json(body);
  });

  v1.post('/sessions/renew', async (c) => {
    // The ticket proves the upload's scope; the hook proves the caller is still its owner.
    // An expired ticket may be renewed, so a long pause does not lose the upload.
    const ticket = await uploadTicket(c, true);
    const who = await caller(c.req.raw);
    if (who.subject !== ticket.subject) throw new HttpError(403, { code: 'forbidden', kind: 'fatal', message: 'This upload belongs to someone else' });
    const provider = providerOf(ticket.provider);
    if (provider.uploadLifetimeMs !== null && now() >= ticket.createdAt + provider.uploadLifetimeMs) {
      throw new HttpError(410, { code: 'session-expired', kind: 'session-expired', message: 'The upload expired at the provider; start a new upload session' });
    }
    const body: RenewResponse = await issue({ ...ticket, expiresAt: expiryFor(provider, ticket.createdAt) });
    return json(body);
  });

  v1.delete('/sessions', async (c) => {
    // Abort is best effort and harmless, so an expired (but genuine) ticket may still abort.
    const ticket = await uploadTicket(c, true);
    await providerOf(ticket.provider).abort(ticket, c.req.raw.signal);
    return new Response(null, { status: 204 });
  });

  v1.get('/files/:provider/:token/download', async (c) => {
    const name = c.req.param('provider');
    if (!isProviderName(name)) throw new HttpError(404, { code: 'not-found', kind: 'fatal', message: 'Unknown provider' });
    const ticket = await signer.verify(c.req.query('ticket') ?? '', { typ: 'download', provider: name });
    if (ticket.fileToken !== c.req.param('token')) throw new HttpError(401, { code: 'ticket-invalid', kind: 'fatal', message: 'The ticket is for another file' });
    const provider = providerOf(name);
    if (provider.download === undefined) throw notImplemented('This provider has no backend download');
    const file = await provider.download(ticket.fileToken, ticket.api, c.req.raw.signal);
    const headers = new Headers({
      'content-type': file.contentType,
      'content-disposition': `attachment; filename*=UTF-8''${encodeRfc5987(ticket.fileName)}`,
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    });
    if (file.contentLength !== undefined) headers.set('content-length', String(file.contentLength));
    return new Response(file.body, { status: 200, headers });
  });

  const downloadUrl = async (requestUrl: string, upload: UploadTicket, fileToken: string): Promise<string> => {
    const token = await signer.sign({
      typ: 'download',
      v: 1,
      provider: upload.provider,
      fileToken,
      api: upload.api,
      fileName: upload.fileName,
      subject: upload.subject,
      expiresAt: now() + DOWNLOAD_TICKET_TTL_MS,
    });
    const path = `${basePath}/v1/files/${upload.provider}/${encodeURIComponent(fileToken)}/download?ticket=${token}`;
    return new URL(path, requestUrl).href;
  };

  app.use('*', cors(options.allowedOrigins ?? []));
  app.route(`${basePath}/v1`, v1);
  app.notFound(() => new HttpError(404, { code: 'not-found', kind: 'fatal', message: 'No such route in session protocol v1' }).toResponse());
  app.onError((error) => {
    if (error instanceof HttpError) return error.toResponse();
    // The client went away: nobody reads this answer.
    if ((error as { name?: unknown }).name === 'AbortError') return new Response(null, { status: 499 });
    // Unexpected: say nothing specific (the error may quote upstream data).
    return new HttpError(500, { code: 'server-error', kind: 'retry', message: 'The upload backend failed unexpectedly' }).toResponse();
  });

  return async (request) => app.fetch(request);
}

function sizeMismatch(index: number, length: number, cause?: unknown): HttpError {
  return new HttpError(400, { code: 'size-mismatch', kind: 'fatal', message: `Part ${index} must be exactly ${length} bytes` }, { cause });
}

function notImplemented(message: string): HttpError {
  return new HttpError(501, { code: 'bad-request', kind: 'fatal', message });
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });
}

/**
 * The JSON body, read up to `limit` bytes (413 beyond). `requireJsonType`: refuse other content
 * types (415) so a cross-site form cannot post without a CORS preflight. Empty body → null.
 */
async function readJson(request: Request, limit: number, requireJsonType: boolean): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (requireJsonType && !/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, { code: 'bad-request', kind: 'fatal', message: 'Send the request as Content-Type: application/json' });
  }
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > limit) throw new HttpError(413, { code: 'bad-request', kind: 'fatal', message: 'The request body is too large' });
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (request.body !== null) {
    for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > limit) throw new HttpError(413, { code: 'bad-request', kind: 'fatal', message: 'The request body is too large' });
      chunks.push(chunk);
    }
  }
  if (total === 0) {
    if (requireJsonType) throw new HttpError(400, { code: 'bad-request', kind: 'fatal', message: 'The request body is empty' });
    return null;
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, { code: 'bad-request', kind: 'fatal', message: 'The request body is not valid JSON' });
  }
}

function normalizeBasePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** RFC 5987 `ext-value` encoding for `filename*`. */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
