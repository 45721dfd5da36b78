import { UploadError } from '../../core/index.js';
import type {
  CompleteRequest,
  CreateSessionRequest,
  PartChecksumKind,
  PartPayload,
  PartProgress,
  PartReceipt,
  ProviderClient,
  ProviderName,
  UploadResult,
  UploadSession,
} from '../../core/index.js';
import { sleep } from '../../core/sleep.js';
import { untilAborted } from '../../core/until-aborted.js';
import { adler32 } from './adler32.js';

/** Provider methods a fault can target. */
export type FakeMethod = 'createSession' | 'sendPart' | 'complete' | 'listParts';

/** One call the fake received, with how it ended. */
export interface FakeCall {
  method: FakeMethod;
  fileName: string;
  uploadId?: string;
  /** Part index (sendPart). */
  index?: number;
  /** Checksum sent with the part. */
  checksum?: string;
  /** ms since epoch. */
  startedAt: number;
  endedAt?: number;
  outcome?: 'ok' | 'error' | 'aborted';
}

/** Options of a fault injected with `fail`. */
export interface FakeFaultOptions {
  /** How many calls fail (default 1). */
  times?: number;
  /** Only calls for which this is true fail. */
  when?: (call: FakeCall) => boolean;
  /** sendPart: report this much upload progress before failing. */
  afterBytes?: number;
}

/** Options of FakeProviderClient. */
export interface FakeProviderOptions {
  name?: ProviderName;
  /** Part size the fake dictates (default 8 bytes), unless `honourPartSize` and the request has one. */
  partSize?: number;
  honourPartSize?: boolean;
  maxConcurrency?: number;
  minIntervalMs?: number;
  /** Default 'adler32' (Feishu); null for none. */
  partChecksum?: PartChecksumKind | null;
  acceptsEmptyFiles?: boolean;
  /** How long one part takes (ms, default 2). */
  sendDelayMs?: number;
  /** A new session for a file keeps the parts an earlier session of that file received. */
  keepPartsAcrossSessions?: boolean;
  /** Implement listParts (Feishu cannot). */
  canListParts?: boolean;
  /** Answer createSession with a finished result for these requests (rapid upload). */
  rapid?: (request: CreateSessionRequest) => boolean;
}

interface SessionState {
  request: CreateSessionRequest;
  partSize: number;
  partCount: number;
  parts: Map<number, Uint8Array>;
  expired: boolean;
  finished: boolean;
}

/**
 * An in-memory ProviderClient for engine tests: stores parts, verifies Adler-32 and sizes,
 * assembles files on complete, records every call with timing, counts requests in flight,
 * and fails on demand with any UploadError kind.
 *
 * @example
 * const provider = new FakeProviderClient({ partSize: 4 });
 * provider.fail('sendPart', new UploadError({ code: 'network', kind: 'retry', message: 'down' }), { times: 2 });
 */
export class FakeProviderClient implements ProviderClient {
  readonly name: ProviderName;
  readonly acceptsEmptyFiles: boolean;
  readonly calls: FakeCall[] = [];
  /** Every createSession request, in order. */
  readonly sessionRequests: CreateSessionRequest[] = [];
  /** Sessions passed to abort(). */
  readonly aborted: UploadSession[] = [];
  /** Assembled files by file token. */
  readonly stored = new Map<string, Uint8Array>();
  inFlight = 0;
  maxInFlight = 0;
  /** Part requests in flight per upload id, and the most seen at once. */
  readonly maxInFlightPerSession = new Map<string, number>();
  readonly listParts: ((session: UploadSession, signal: AbortSignal) => Promise<PartReceipt[]>) | undefined;
  #options: FakeProviderOptions;
  #faults: Array<{ method: FakeMethod; error: UploadError; times: number; when?: (call: FakeCall) => boolean; afterBytes?: number }> = [];
  #sessions = new Map<string, SessionState>();
  #inFlightPerSession = new Map<string, number>();
  #gate: { promise: Promise<void>; open: () => void; when?: (call: FakeCall) => boolean } | undefined;
  #nextId = 0;

  constructor(options: FakeProviderOptions = {}) {
    this.#options = options;
    this.name = options.name ?? 'feishu';
    this.acceptsEmptyFiles = options.acceptsEmptyFiles ?? false;
    this.listParts = options.canListParts === true ? (session, signal) => this.#listParts(session, signal) : undefined;
  }

  /** Make the next matching calls of `method` throw `error`. */
  fail(method: FakeMethod, error: UploadError, options: FakeFaultOptions = {}): void {
    this.#faults.push({
      method,
      error,
      times: options.times ?? 1,
      ...(options.when !== undefined && { when: options.when }),
      ...(options.afterBytes !== undefined && { afterBytes: options.afterBytes }),
    });
  }

  /**
   * Hold part requests (after they started) until the returned function is called;
   * with `when`, only the calls it selects are held.
   */
  hold(when?: (call: FakeCall) => boolean): () => void {
    let open = (): void => {};
    const promise = new Promise<void>((resolve) => {
      open = resolve;
    });
    const gate = { promise, open, ...(when !== undefined && { when }) };
    this.#gate = gate;
    return () => {
      if (this.#gate === gate) this.#gate = undefined;
      gate.open();
    };
  }

  /** Every open session expires: its next part or complete call answers `session-expired`. */
  expireSessions(): void {
    for (const state of this.#sessions.values()) state.expired = true;
  }

  /** Part calls, optionally for one file, in start order. */
  partCalls(fileName?: string): FakeCall[] {
    return this.calls.filter((c) => c.method === 'sendPart' && (fileName === undefined || c.fileName === fileName));
  }

  async createSession(request: CreateSessionRequest, signal: AbortSignal): Promise<UploadSession> {
    this.sessionRequests.push(request);
    const call = this.#record({ method: 'createSession', fileName: request.fileName });
    return this.#settle(call, async () => {
      await sleep(0, signal);
      this.#throwFault(call);
      const uploadId = `up-${(this.#nextId += 1)}`;
      if (this.#options.rapid?.(request) === true) {
        return this.#session(request, uploadId, 0, 0, { provider: this.name, name: request.fileName, size: request.size, fileToken: `rapid-${uploadId}`, rapid: true });
      }
      const partSize = this.#options.honourPartSize === true && request.partSize !== undefined ? request.partSize : this.#options.partSize ?? 8;
      const partCount = Math.ceil(request.size / partSize);
      const state: SessionState = { request, partSize, partCount, parts: new Map(), expired: false, finished: false };
      if (this.#options.keepPartsAcrossSessions === true) {
        for (const old of this.#sessions.values()) {
          if (old.request.fileName === request.fileName && old.partSize === partSize && !old.finished) {
            for (const [index, bytes] of old.parts) state.parts.set(index, bytes);
          }
        }
      }
      this.#sessions.set(uploadId, state);
      const session = this.#session(request, uploadId, partSize, partCount);
      if (state.parts.size > 0) session.uploadedParts = [...state.parts.keys()].map((index) => ({ index }));
      return session;
    });
  }

  async sendPart(session: UploadSession, part: PartPayload, onProgress: PartProgress, signal: AbortSignal): Promise<PartReceipt> {
    const state = this.#sessions.get(session.uploadId);
    const call = this.#record({
      method: 'sendPart',
      fileName: state?.request.fileName ?? '?',
      uploadId: session.uploadId,
      index: part.index,
      ...(part.checksum !== undefined && { checksum: part.checksum }),
    });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const perSession = (this.#inFlightPerSession.get(session.uploadId) ?? 0) + 1;
    this.#inFlightPerSession.set(session.uploadId, perSession);
    this.maxInFlightPerSession.set(session.uploadId, Math.max(this.maxInFlightPerSession.get(session.uploadId) ?? 0, perSession));
    try {
      return await this.#settle(call, async () => {
        const delay = this.#options.sendDelayMs ?? 2;
        const gate = this.#gate;
        if (gate !== undefined && (gate.when?.(call) ?? true)) await untilAborted(gate.promise, signal);
        const fault = this.#takeFault(call);
        if (fault?.afterBytes !== undefined) onProgress(fault.afterBytes);
        if (fault !== undefined) throw fault.error;
        if (state === undefined || state.expired || state.finished) throw this.#expired();
        const bytes = new Uint8Array(await part.body.arrayBuffer());
        const expected = Math.min(state.request.size, (part.index + 1) * state.partSize) - part.index * state.partSize;
        if (part.index < 0 || part.index >= state.partCount || bytes.length !== expected || part.start !== part.index * state.partSize) {
          throw new UploadError({ code: 'size-mismatch', kind: 'fatal', message: `part ${part.index}: ${bytes.length} bytes, expected ${expected}` });
        }
        if (session.partChecksum === 'adler32' && part.checksum !== adler32(bytes)) {
          throw new UploadError({ code: 'checksum-mismatch', kind: 'checksum-mismatch', message: 'checksum param Invalid.', providerCode: '1062008', status: 400 });
        }
        onProgress(Math.floor(bytes.length / 2));
        await sleep(delay, signal);
        onProgress(bytes.length);
        state.parts.set(part.index, bytes);
        return { index: part.index, ...(part.checksum !== undefined && { checksum: part.checksum }) };
      });
    } finally {
      this.inFlight -= 1;
      this.#inFlightPerSession.set(session.uploadId, (this.#inFlightPerSession.get(session.uploadId) ?? 1) - 1);
    }
  }

  async complete(session: UploadSession, request: CompleteRequest, signal: AbortSignal): Promise<UploadResult> {
    const state = this.#sessions.get(session.uploadId);
    const call = this.#record({ method: 'complete', fileName: state?.request.fileName ?? '?', uploadId: session.uploadId });
    return this.#settle(call, async () => {
      await sleep(0, signal);
      this.#throwFault(call);
      if (state === undefined || state.expired || state.finished) throw this.#expired();
      const indexes = request.parts.map((p) => p.index);
      const complete = indexes.length === state.partCount && indexes.every((index, i) => index === i && state.parts.has(index));
      if (!complete) throw new UploadError({ code: 'parts-missing', kind: 'fatal', message: 'block missing, please upload all blocks.', providerCode: '1062010' });
      const file = new Uint8Array(state.request.size);
      for (const [index, bytes] of state.parts) file.set(bytes, index * state.partSize);
      state.finished = true;
      const fileToken = `box-${session.uploadId}`;
      this.stored.set(fileToken, file);
      return { provider: this.name, name: state.request.fileName, size: state.request.size, fileToken };
    });
  }

  abort(session: UploadSession): Promise<void> {
    this.aborted.push(session);
    this.#sessions.delete(session.uploadId);
    return Promise.resolve();
  }

  async #listParts(session: UploadSession, signal: AbortSignal): Promise<PartReceipt[]> {
    const state = this.#sessions.get(session.uploadId);
    const call = this.#record({ method: 'listParts', fileName: state?.request.fileName ?? '?', uploadId: session.uploadId });
    return this.#settle(call, async () => {
      await sleep(0, signal);
      this.#throwFault(call);
      if (state === undefined || state.expired) throw this.#expired();
      return [...state.parts.keys()].map((index) => ({ index }));
    });
  }

  #session(request: CreateSessionRequest, uploadId: string, partSize: number, partCount: number, result?: UploadResult): UploadSession {
    return {
      protocol: 1,
      provider: this.name,
      ticket: `ticket-${uploadId}`,
      expiresAt: Date.now() + 3_600_000,
      uploadId,
      plan: { partSize, partCount },
      traffic: { maxConcurrency: this.#options.maxConcurrency ?? 10, minIntervalMs: this.#options.minIntervalMs ?? 0 },
      transport: 'relay',
      partChecksum: this.#options.partChecksum === undefined ? 'adler32' : this.#options.partChecksum,
      ...(result !== undefined && { result }),
    };
  }

  #expired(): UploadError {
    return new UploadError({ code: 'session-expired', kind: 'session-expired', message: 'upload id expire', providerCode: '1061021', status: 400 });
  }

  #record(call: Omit<FakeCall, 'startedAt'>): FakeCall {
    const full: FakeCall = { ...call, startedAt: Date.now() };
    this.calls.push(full);
    return full;
  }

  async #settle<T>(call: FakeCall, body: () => Promise<T>): Promise<T> {
    try {
      const value = await body();
      call.outcome = 'ok';
      return value;
    } catch (error) {
      call.outcome = error instanceof UploadError ? 'error' : 'aborted';
      throw error;
    } finally {
      call.endedAt = Date.now();
    }
  }

  #takeFault(call: FakeCall): { error: UploadError; afterBytes?: number } | undefined {
    const fault = this.#faults.find((f) => f.method === call.method && f.times > 0 && (f.when?.(call) ?? true));
    if (fault === undefined) return undefined;
    fault.times -= 1;
    return fault;
  }

  #throwFault(call: FakeCall): void {
    const fault = this.#takeFault(call);
    if (fault !== undefined) throw fault.error;
  }
}
