import type { HashHandle } from './hash-service.js';
import type { ProviderName } from './provider-name.js';
import type {
  CompleteRequest,
  CreateSessionRequest,
  CreateSessionResponse,
  PartReceipt,
  UploadResult,
} from './protocol.js';

/** One open upload session as the engine holds it (the backend's answer plus where it lives). */
export interface UploadSession extends CreateSessionResponse {
  provider: ProviderName;
}

/** One part, ready to send: the engine slices, the hash pool checksums. */
export interface PartPayload {
  index: number;
  /** Byte range [start, end) of the file. */
  start: number;
  end: number;
  /** `file.slice(start, end)`: a reference, not a copy. */
  body: Blob;
  /** Value of the session's `partChecksum` kind for this part, when it has one. */
  checksum?: string;
  /**
   * The parts this upload sends next, nearest first (a few at most), each with its checksum
   * when the hash pool already has it. A hint, possibly empty: a provider may prepare them in
   * the same request, e.g. presign their URLs in one small batch (docs/protocol.md §S3).
   */
  upcoming?: readonly UpcomingPart[];
}

/** A part the engine will send soon (PartPayload.upcoming). */
export interface UpcomingPart {
  index: number;
  /** Its checksum, when already computed. */
  checksum?: string;
}

/**
 * What a provider may use while opening a session, beyond the request: the file's handle in
 * the hash pool, for providers that must hash before they create (PDS rapid upload's
 * pre_hash / SHA-1, COS legacy's uploadparts). Providers never hash on the main thread.
 */
export interface SessionContext {
  readonly hash: HashHandle;
  /** The file itself, e.g. to slice the few proof bytes PDS rapid upload asks for. */
  readonly file: Blob;
}

/** Called with bytes of this part the network has taken so far (XHR upload progress). */
export type PartProgress = (loadedBytes: number) => void;

/**
 * What the engine needs from a provider. One small module per provider implements it;
 * the engine never imports providers. Every failure is thrown as an UploadError whose
 * `kind` the provider chose from its table of documented codes.
 */
export interface ProviderClient {
  readonly name: ProviderName;
  /**
   * True when the provider stores 0-byte files. Unset means false: the engine refuses
   * empty files with `file-empty` before any request (Feishu's files API rejects them,
   * specs/cloud-apis.md §1.6).
   */
  readonly acceptsEmptyFiles?: boolean;
  /**
   * How long the provider keeps an unfinished upload (ms). Stored resume records expire
   * with it. Unset: the engine assumes Feishu's 24 h, the shortest documented lifetime
   * (specs/cloud-apis.md §1, "Session lifetime").
   */
  readonly sessionLifetimeMs?: number;
  /** `context` is always given by the engine; providers that do not hash ignore it. */
  createSession(request: CreateSessionRequest, signal: AbortSignal, context?: SessionContext): Promise<UploadSession>;
  sendPart(session: UploadSession, part: PartPayload, onProgress: PartProgress, signal: AbortSignal): Promise<PartReceipt>;
  /** Parts the provider holds, where it can list them; undefined where it cannot (Feishu). */
  listParts?(session: UploadSession, signal: AbortSignal): Promise<PartReceipt[]>;
  complete(session: UploadSession, request: CompleteRequest, signal: AbortSignal): Promise<UploadResult>;
  /** Best effort: tell the backend to drop the session. Never throws. */
  abort(session: UploadSession): Promise<void>;
}
