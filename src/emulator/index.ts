/**
 * Local emulators of the providers' HTTP APIs (node entry `cloud-chunk-uploader/emulator`).
 * Written from ../shared/specs/cloud-apis.md alone: nothing here imports the rest of src/.
 * See docs/emulator.md.
 */
export { startEmulator } from './start-emulator.js';
export { emulatorOptionsFromEnv, EMULATOR_DEFAULT_DATA_DIR } from './emulator-options-from-env.js';
export { EMULATOR_DEFAULT_HOST, EMULATOR_DEFAULT_PORT } from './emulator-options.js';
export type { EmulatorOptions, RunningEmulator } from './emulator-options.js';
export { FaultController, FaultConfigError, DEFAULT_DROP_AFTER_BYTES } from './infra/fault-controller.js';
export type { FaultConfig, RouteFaults } from './infra/fault-controller.js';
export { RequestLog } from './infra/request-log.js';
export type { RequestLogEntry } from './infra/request-log.js';
export { FeishuEmulator, FEISHU_MEDIA_PARENT_TYPES } from './feishu/feishu-emulator.js';
export { FEISHU_DEFAULTS } from './feishu/feishu-config.js';
export type { FeishuEmulatorConfig, FeishuEmulatorOptions, FeishuRateLimitConfig } from './feishu/feishu-config.js';
export type { FeishuFileRecord } from './feishu/feishu-state.js';
export { FEISHU_CODES } from './feishu/feishu-codes.js';
export { Adler32 } from './feishu/adler32.js';
export { PdsEmulator, PDS_STORAGE_PREFIX } from './pds/pds-emulator.js';
export type { PdsRuntimeSettings } from './pds/pds-emulator.js';
export { PDS_DEFAULTS } from './pds/pds-config.js';
export type { PdsEmulatorConfig, PdsEmulatorOptions, PdsJwtAppConfig, PdsRateLimitConfig } from './pds/pds-config.js';
export type { PdsFileRecord, Sha1Ctx } from './pds/pds-state.js';
export { PDS_CODE_STATUS, OSS_CODE_STATUS } from './pds/pds-codes.js';
export { pdsProofRange } from './pds/pds-proof.js';
export { CosLegacyEmulator, COS_LEGACY_OPS } from './cos-legacy/cos-legacy-emulator.js';
export { COS_LEGACY_DEFAULTS, COS_LEGACY_SLICE_SIZES } from './cos-legacy/cos-legacy-config.js';
export type { CosLegacyEmulatorConfig, CosLegacyEmulatorOptions, CosLegacyCorsConfig } from './cos-legacy/cos-legacy-config.js';
export type { CosLegacyFileRecord, CosLegacySessionRecord, CosLegacySlice } from './cos-legacy/cos-legacy-state.js';
export { COS_LEGACY_CODES } from './cos-legacy/cos-legacy-codes.js';
export { Sha1Compressor } from './infra/sha1-compressor.js';
export { Crc64Ecma } from './infra/crc64-ecma.js';
export { S3Emulator } from './s3/s3-emulator.js';
export { S3_DEFAULTS, S3_DEFAULT_PORT, S3_MIN_PART_SIZE, S3_MAX_PART_SIZE, S3_MAX_PARTS, S3_MAX_LIST_PARTS } from './s3/s3-config.js';
export type { S3EmulatorConfig, S3EmulatorOptions, S3CorsConfig, S3TemporaryCredentials } from './s3/s3-config.js';
export type { S3ObjectRecord, S3UploadRecord, S3PartRecord, S3ObjectChecksum } from './s3/s3-state.js';
export { S3_CODES } from './s3/s3-codes.js';
export { createS3ChecksumHasher, S3_CHECKSUM_ALGORITHMS } from './s3/s3-checksums.js';
export type { S3ChecksumAlgorithm, S3ChecksumHasher } from './s3/s3-checksums.js';
export { SigV4Verifier } from './s3/sigv4-verifier.js';
export { AwsChunkedDecoder, AwsChunkedError } from './s3/aws-chunked-decoder.js';
// Shared building blocks for the sibling flavours (pds/, cos-legacy/, s3/).
export { BlobStore, TempBlob } from './infra/blob-store.js';
export { JsonStateFile } from './infra/json-state-file.js';
export { EmulatorContext } from './infra/emulator-context.js';
export type { EmulatorFlavour, EmulatorRoute } from './infra/emulator-route.js';
export { parseMultipart, multipartBoundary, MultipartError } from './infra/multipart-parser.js';
export { RateLimiter } from './infra/rate-limiter.js';
export type { RateLimit } from './infra/rate-limiter.js';
