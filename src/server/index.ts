/**
 * Node entry of the token-vending backend (package export `./server`): session protocol v1,
 * docs/protocol.md.
 */
export {
  createUploadHandler,
  DEFAULT_TICKET_TTL_MS,
  DOWNLOAD_TICKET_TTL_MS,
  type AuthenticatedCaller,
  type UploadHandlerOptions,
} from './create-upload-handler.js';
export { serverOptionsFromEnv, type ServerOptionsFromEnv } from './server-options-from-env.js';
export { startUploadServer, type RunningUploadServer } from './start-upload-server.js';
export { localOnlyAuthenticate } from './local-only-authenticate.js';
export { HttpError } from './http-error.js';
export { TicketSigner, type UploadTicket, type DownloadTicket } from './ticket-signer.js';
export { FEISHU_UPLOAD_QPS, type FeishuServerConfig } from './providers/feishu-provider.js';
export { CosLegacyProvider, COS_LEGACY_SIGNATURE_TTL_S, COS_LEGACY_SLICE_SIZES, type CosLegacyServerConfig } from './providers/cos-legacy-provider.js';
export { cosLegacyServerConfigFromEnv } from './providers/cos-legacy-config-from-env.js';
export { PdsProvider, pdsPartPlan, pdsProofRange, type PdsServerConfig, type PdsCheckNameMode } from './providers/pds-provider.js';
export type { PdsJwtApp } from './providers/pds-jwt-assertion.js';
export { pdsServerConfigFromEnv } from './providers/pds-config-from-env.js';
export { S3Provider, s3PartPlan, s3ObjectKey, S3_PART_URL_TTL_SEC, S3_MAX_URLS_PER_REQUEST, type S3ServerConfig, type S3PartChecksumMode, type S3ProviderData } from './providers/s3-provider.js';
export { s3ServerConfigFromEnv } from './providers/s3-config-from-env.js';
export { S3RequestSigner } from './providers/s3-request-signer.js';
export type { ServerProvidersConfig } from './providers/server-provider-registry.js';
export type { ServerProvider } from './providers/server-provider.js';
