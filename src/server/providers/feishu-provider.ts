import type { CompleteRequest, PartReceipt, UploadResult } from '../../core/index.js';
import { HttpError } from '../http-error.js';
import { PacingQueue } from '../pacing-queue.js';
import type { UploadTicket } from '../ticket-signer.js';
import { FEISHU_AUTH_CODES, feishuError } from './feishu-error-table.js';
import { FeishuTokenCache } from './feishu-token-cache.js';
import { multipartStream } from './multipart-stream.js';
import type { ProviderCreateInput, ProviderDownload, ProviderSession, RelayPartInput, ServerProvider } from './server-provider.js';
import { fetchUpstream, readJsonEnvelope } from './upstream.js';

/** One Feishu (or Lark) app the backend uploads as. */
export interface FeishuServerConfig {
  /** `https://open.feishu.cn`, `https://open.larksuite.com`, or the emulator's URL. */
  baseUrl: string;
  appId: string;
  appSecret: string;
  /** Upload calls per second per endpoint, app-wide. Default FEISHU_UPLOAD_QPS (5). */
  rateLimitQps?: number;
}

/** "5 QPS and 10 000 calls/day" per drive upload endpoint (cloud-apis.md §1.8, §1.12). */
export const FEISHU_UPLOAD_QPS = 5;

/**
 * Added to the 200 ms spacing so our start clock and Feishu's arrival clock can disagree
 * without six calls landing in one second: five gaps of 205 ms leave 25 ms of latency
 * variation per second-long window, while costing only 2.4 % of the allowed rate (the
 * schedule is absolute, so the margin does not compound). A 429 that still slips through is
 * retried after the wait Feishu asks for. [infer]
 */
export const FEISHU_PACING_MARGIN_MS = 5;

/** Upload id and progress stay valid 24 h (cloud-apis.md §1.3). */
export const FEISHU_UPLOAD_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** A relay that would queue longer than this is answered 429 at once (ms). */
export const FEISHU_MAX_QUEUE_WAIT_MS = 2000;

/** Files API: `parent_type` is fixed to "explorer" (a My Space folder), cloud-apis.md §1.3. */
const FILES_PARENT_TYPE = 'explorer';

/** Media `parent_type` values (cloud-apis.md §1.3). */
const MEDIA_PARENT_TYPES: ReadonlySet<string> = new Set([
  'doc_image', 'docx_image', 'sheet_image', 'doc_file', 'docx_file', 'sheet_file',
  'vc_virtual_background', 'bitable_image', 'bitable_file', 'moments', 'ccm_import_open',
]);

/** Longest `extra` JSON string we pass on (ours; Feishu states none). */
const MAX_EXTRA_LENGTH = 1024;

type FeishuApi = 'files' | 'medias';

/** Dependencies the handler shares with every provider. */
export interface FeishuProviderContext {
  fetch: typeof fetch;
  now: () => number;
}

/**
 * Feishu/Lark Drive behind the token-vending backend: the browser never sees the tenant
 * token, so parts are relayed (cloud-apis.md §1.11) and every upload call is paced app-wide.
 * One instance per configured app (`feishu`, `lark`), each with its own token cache and queues.
 *
 * @example
 * const feishu = new FeishuProvider('feishu', { baseUrl, appId, appSecret }, { fetch, now: Date.now });
 */
export class FeishuProvider implements ServerProvider {
  readonly name: 'feishu' | 'lark';
  readonly uploadLifetimeMs = FEISHU_UPLOAD_LIFETIME_MS;
  #config: FeishuServerConfig;
  #fetch: typeof fetch;
  #tokens: FeishuTokenCache;
  /** One queue per endpoint: the 5 QPS budget is counted per endpoint (§1.8). */
  #pacers: Record<'prepare' | 'part' | 'finish', PacingQueue>;

  constructor(name: 'feishu' | 'lark', config: FeishuServerConfig, context: FeishuProviderContext) {
    this.name = name;
    this.#config = config;
    this.#fetch = context.fetch;
    this.#tokens = new FeishuTokenCache({ ...config, fetch: context.fetch, now: context.now });
    const pacer = () => new PacingQueue({
      ratePerSecond: config.rateLimitQps ?? FEISHU_UPLOAD_QPS,
      maxWaitMs: FEISHU_MAX_QUEUE_WAIT_MS,
      marginMs: FEISHU_PACING_MARGIN_MS,
    });
    this.#pacers = { prepare: pacer(), part: pacer(), finish: pacer() };
  }

  async createSession(input: ProviderCreateInput, signal: AbortSignal): Promise<ProviderSession> {
    const { api, parentType, extra } = parseOptions(input.providerOptions);
    const release = await this.#pacers.prepare.acquire(undefined, signal);
    let data: Record<string, unknown>;
    try {
      data = await this.#json(`/open-apis/drive/v1/${api}/upload_prepare`, {
        file_name: input.fileName,
        parent_type: parentType,
        parent_node: input.target,
        size: input.size,
        ...(extra !== undefined && { extra }),
      }, signal);
    } finally {
      release();
    }
    const uploadId = typeof data['upload_id'] === 'string' ? data['upload_id'] : null;
    const blockSize = data['block_size'];
    const blockNum = data['block_num'];
    // Follow the server's plan exactly (§1.3: "clients must use the returned block_size"),
    // but only if it describes this file: every part but the last full, the last non-empty.
    if (uploadId === null || uploadId === '' || !isCount(blockSize) || blockSize === 0 || !isCount(blockNum)
      || !planFits(input.size, blockSize, blockNum)) {
      throw new HttpError(502, { code: 'bad-response', kind: 'retry', message: 'The provider sent an unusable upload plan' });
    }
    return {
      uploadId,
      api,
      plan: { partSize: blockSize, partCount: blockNum },
      // No concurrent calls on one files upload, 5 QPS (§1.4, §1.8).
      traffic: { maxConcurrency: 1, minIntervalMs: Math.ceil(1000 / (this.#config.rateLimitQps ?? FEISHU_UPLOAD_QPS)) },
      transport: 'relay',
      partChecksum: 'adler32',
    };
  }

  async relayPart(input: RelayPartInput): Promise<PartReceipt> {
    const { ticket, index, length, checksum, body, signal } = input;
    // Adler-32 as an unsigned 32-bit decimal (§1.7); checked before anything is sent upstream.
    if (checksum !== undefined && !(/^\d{1,10}$/.test(checksum) && Number(checksum) <= 0xffffffff)) {
      throw new HttpError(400, { code: 'bad-request', kind: 'fatal', message: 'X-Part-Checksum must be the Adler-32 of the part as an unsigned decimal' });
    }
    const token = await this.#tokens.get();
    const release = await this.#pacers.part.acquire(ticket.uploadId, signal);
    try {
      // Field order as the SDKs: upload_id, seq, size, checksum, file last (§1.4).
      const fields: [string, string][] = [['upload_id', ticket.uploadId], ['seq', String(index)], ['size', String(length)]];
      if (checksum !== undefined) fields.push(['checksum', checksum]);
      const form = multipartStream(fields, { name: 'file', fileName: ticket.fileName, contentType: 'application/octet-stream', length, body });
      const response = await this.#send(`/open-apis/drive/v1/${ticket.api}/upload_part`, token, {
        method: 'POST',
        headers: { 'content-type': form.contentType, 'content-length': String(form.contentLength) },
        body: form.body,
        // Node's fetch streams a ReadableStream body only in half-duplex mode.
        duplex: 'half',
        signal,
      } as RequestInit);
      const envelope = await readJsonEnvelope(response, 'The provider');
      if (envelope.code !== 0 && FEISHU_AUTH_CODES.has(envelope.code)) {
        // The part stream is spent, so it cannot be replayed here: refresh the token and
        // let the browser send the part again (docs/protocol.md §Tokens).
        this.#tokens.invalidate(token);
      }
      if (envelope.code !== 0) throw feishuError(envelope.code, response.status, response.headers);
      return { index, ...(checksum !== undefined && { checksum }) };
    } finally {
      release();
    }
  }

  async complete(ticket: UploadTicket, _request: CompleteRequest, signal: AbortSignal): Promise<UploadResult> {
    const release = await this.#pacers.finish.acquire(ticket.uploadId, signal);
    let data: Record<string, unknown>;
    try {
      // block_num must be the value prepare returned (§1.5): it is in the signed ticket.
      data = await this.#json(`/open-apis/drive/v1/${ticket.api}/upload_finish`, { upload_id: ticket.uploadId, block_num: ticket.partCount }, signal);
    } finally {
      release();
    }
    const fileToken = data['file_token'];
    if (typeof fileToken !== 'string' || fileToken === '') {
      throw new HttpError(502, { code: 'bad-response', kind: 'retry', message: 'The provider did not return a file token' });
    }
    return { provider: this.name, name: ticket.fileName, size: ticket.size, fileToken };
  }

  /** Feishu has no abort call: the upload id simply lapses after 24 h (§1.3). */
  abort(): Promise<void> {
    return Promise.resolve();
  }

  async download(fileToken: string, api: string, signal: AbortSignal): Promise<ProviderDownload> {
    const path = `/open-apis/drive/v1/${api}/${encodeURIComponent(fileToken)}/download`;
    for (let attempt = 0; ; attempt++) {
      const token = await this.#tokens.get();
      const response = await this.#send(path, token, { method: 'GET', signal });
      const type = response.headers.get('content-type') ?? 'application/octet-stream';
      if (response.ok && !type.startsWith('application/json')) {
        const length = Number(response.headers.get('content-length'));
        return { body: response.body, contentType: type, ...(response.headers.has('content-length') && Number.isSafeInteger(length) && { contentLength: length }) };
      }
      const envelope = await readJsonEnvelope(response, 'The provider');
      if (envelope.code === 0) throw new HttpError(502, { code: 'bad-response', kind: 'retry', message: 'The provider answered a download with JSON' });
      if (FEISHU_AUTH_CODES.has(envelope.code) && attempt === 0) {
        this.#tokens.invalidate(token);
        continue;
      }
      throw feishuError(envelope.code, response.status, response.headers);
    }
  }

  /** A JSON call with one token refresh on an auth error (safe: the body can be re-sent). */
  async #json(path: string, payload: unknown, signal: AbortSignal): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.#tokens.get();
      const response = await this.#send(path, token, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(payload),
        signal,
      });
      const envelope = await readJsonEnvelope(response, 'The provider');
      if (envelope.code === 0) return envelope.data;
      if (FEISHU_AUTH_CODES.has(envelope.code) && attempt === 0) {
        this.#tokens.invalidate(token);
        continue;
      }
      throw feishuError(envelope.code, response.status, response.headers);
    }
  }

  async #send(path: string, token: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetchUpstream(this.#fetch, new URL(path, this.#config.baseUrl), { ...init, headers }, 'The backend could not reach the provider');
  }
}

function parseOptions(options: Record<string, string | number | boolean>): { api: FeishuApi; parentType: string; extra?: string } {
  const known = new Set(['api', 'parentType', 'extra']);
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  if (unknown.length > 0) throw badOption(`Unknown providerOptions for Feishu: ${unknown.join(', ')}`);
  const api = options['api'] ?? 'files';
  if (api !== 'files' && api !== 'medias') throw badOption('providerOptions.api must be "files" or "medias"');
  const parentType = options['parentType'];
  const extra = options['extra'];
  if (api === 'files') {
    if (parentType !== undefined && parentType !== FILES_PARENT_TYPE) throw badOption('providerOptions.parentType must be "explorer" for the files API');
    if (extra !== undefined) throw badOption('providerOptions.extra is only for the medias API');
    return { api, parentType: FILES_PARENT_TYPE };
  }
  if (typeof parentType !== 'string' || !MEDIA_PARENT_TYPES.has(parentType)) {
    throw badOption(`providerOptions.parentType must be one of ${[...MEDIA_PARENT_TYPES].join(', ')} for the medias API`);
  }
  if (extra === undefined) return { api, parentType };
  // `extra` is JSON serialised into a string (§1.3), e.g. {"drive_route_token":"doxcn…"}.
  if (typeof extra !== 'string' || extra.length > MAX_EXTRA_LENGTH || !isJsonObject(extra)) {
    throw badOption('providerOptions.extra must be a JSON object serialised into a string (at most 1024 characters)');
  }
  return { api, parentType, extra };
}

function badOption(message: string): HttpError {
  return new HttpError(400, { code: 'bad-request', kind: 'fatal', message });
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** True when `count` parts of `partSize` bytes cover `size` with a non-empty last part. */
function planFits(size: number, partSize: number, count: number): boolean {
  // Size 0 is unconfirmed in the docs (§8): accept 0 parts or one empty part.
  if (size === 0) return count <= 1;
  return count === Math.ceil(size / partSize);
}
