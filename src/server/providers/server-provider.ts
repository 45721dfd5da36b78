import type {
  CompleteRequest,
  PartChecksumKind,
  PartPlan,
  PartReceipt,
  PartTransport,
  PartUrlsRequest,
  PartUrlsResponse,
  ProviderName,
  TrafficBudget,
  UploadResult,
} from '../../core/index.js';
import type { UploadTicket } from '../ticket-signer.js';

/** A create-session request after the handler validated the fields common to all providers. */
export interface ProviderCreateInput {
  target: string;
  /** Sanitised, 1..250 characters. */
  fileName: string;
  size: number;
  mimeType?: string;
  partSize?: number;
  hashes?: Record<string, string | undefined>;
  /** Not yet validated: each provider checks its own knobs (400 `bad-request` when wrong). */
  providerOptions: Record<string, string | number | boolean>;
}

/** What the provider created; the handler signs it into a ticket and answers the browser. */
export interface ProviderSession {
  uploadId: string;
  plan: PartPlan;
  /** Provider API variant, stored in the ticket (Feishu `files` | `medias`). */
  api: string;
  traffic: TrafficBudget;
  transport: PartTransport;
  partChecksum: PartChecksumKind | null;
  /** Rapid upload: the file is already stored. */
  result?: UploadResult;
  uploadedParts?: PartReceipt[];
  providerData?: Record<string, unknown>;
}

/** One relayed part: its bytes stream through, counted, never buffered whole. */
export interface RelayPartInput {
  ticket: UploadTicket;
  /** 0-based. */
  index: number;
  /** Exact byte length the plan requires for this part. */
  length: number;
  /** The `X-Part-Checksum` header as sent; the provider checks its syntax before any call. */
  checksum?: string;
  /** The part bytes; errors if the client sends more or fewer than `length`. */
  body: ReadableStream<Uint8Array>;
  signal: AbortSignal;
}

/** A stored file the backend can stream back (behind a download ticket). */
export interface ProviderDownload {
  /** The provider's response, body unread. */
  body: ReadableStream<Uint8Array> | null;
  contentType: string;
  contentLength?: number;
}

/**
 * One provider on the backend side. Each provider is a sibling module in src/server/providers/
 * implementing this; the handler never knows provider details, so adding PDS, COS or S3 touches
 * no other module. Every method throws HttpError (status + UploadErrorData) on failure,
 * classified from the provider's table of documented codes.
 */
export interface ServerProvider {
  readonly name: ProviderName;
  /** How long an upload id lives at the provider (ms), or null for no stated limit; bounds renewals. */
  readonly uploadLifetimeMs: number | null;
  /** Create the upload at the provider (Feishu upload_prepare). */
  createSession(input: ProviderCreateInput, signal: AbortSignal): Promise<ProviderSession>;
  /** Relay transport: forward one part (Feishu upload_part). */
  relayPart?(input: RelayPartInput): Promise<PartReceipt>;
  /** Direct transport: presigned URLs for these parts; absent for relay-only providers (→ 501). */
  partUrls?(ticket: UploadTicket, request: PartUrlsRequest, signal: AbortSignal): Promise<PartUrlsResponse>;
  /** Parts the provider holds; absent where the provider cannot list (Feishu → 501). */
  listParts?(ticket: UploadTicket, signal: AbortSignal): Promise<PartReceipt[]>;
  /** Finish the upload (Feishu upload_finish). `downloadUrl` is filled in by the handler. */
  complete(ticket: UploadTicket, request: CompleteRequest, signal: AbortSignal): Promise<UploadResult>;
  /** Drop the upload at the provider, where it has an abort call; otherwise a no-op. */
  abort(ticket: UploadTicket, signal: AbortSignal): Promise<void>;
  /** Stream a stored file; present only where the backend can download it with its own credential. */
  download?(fileToken: string, api: string, signal: AbortSignal): Promise<ProviderDownload>;
}
