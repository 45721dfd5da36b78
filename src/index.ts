/**
 * Browser entry (package export `.`): the `<cloud-chunk-uploader>` element, the headless
 * engine for apps that bring their own UI, the provider registry, the hash pool and the
 * shared core types. Importing it defines the element.
 *
 * @example
 * import 'cloud-chunk-uploader';                         // just the element
 * import { UploadEngine, createProviderClient, HashPool } from 'cloud-chunk-uploader';
 * // resume after reload for a headless engine:
 * import { IdbRecordStore, isUploadRecord } from 'cloud-chunk-uploader';
 */
export * from './core/index.js';
export * from './engine/index.js';
export * from './persistence/index.js';
export * from './providers/registry.js';
export { HashPool, type HashPoolOptions } from './hashing/index.js';
export { CloudChunkUploader, CLOUD_CHUNK_UPLOADER_TAG } from './element/cloud-chunk-uploader.js';
export { UPLOAD_EVENT_TYPES, type ForwardedEventType, type UploadEventDetailMap, type UploadEventType } from './element/upload-controller.js';
export { i18n, resolveLocale, type Locale, type Messages } from './element/i18n.js';
export { formatBytes } from './element/format-bytes.js';
