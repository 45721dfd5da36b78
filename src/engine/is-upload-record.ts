import { isProviderName } from '../core/index.js';
import type { UploadStatus } from '../core/index.js';
import type { UploadRecord } from './upload-record.js';

const STATUSES: readonly UploadStatus[] = ['queued', 'preparing', 'uploading', 'paused', 'completing', 'done', 'failed', 'cancelled'];
const COUNTERS = ['bytesSent', 'bytesResent', 'bytesHashed', 'bytesRehashed', 'retries', 'sessionRenewals'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isSession(value: unknown): boolean {
  if (!isObject(value)) return false;
  const { plan, traffic } = value;
  return typeof value['ticket'] === 'string' && typeof value['uploadId'] === 'string' && typeof value['expiresAt'] === 'number'
    && isObject(plan) && isCount(plan['partSize']) && isCount(plan['partCount'])
    && isObject(traffic) && typeof traffic['maxConcurrency'] === 'number' && typeof traffic['minIntervalMs'] === 'number'
    && (value['partChecksum'] === null || typeof value['partChecksum'] === 'string')
    && isProviderName(value['provider']);
}

/**
 * Whether a value read back from storage is an UploadRecord this engine can resume. Storage
 * outlives code: a record written by another version, or damaged, fails here and is deleted
 * instead of breaking the page (the store's `isValid`).
 */
export function isUploadRecord(value: unknown): value is UploadRecord {
  if (!isObject(value)) return false;
  const { counters, sha1 } = value;
  return typeof value['id'] === 'string' && typeof value['name'] === 'string' && isCount(value['size'])
    && typeof value['type'] === 'string' && typeof value['lastModified'] === 'number'
    && isProviderName(value['provider']) && typeof value['target'] === 'string' && typeof value['scope'] === 'string'
    && STATUSES.includes(value['status'] as UploadStatus)
    && isObject(value['receipts']) && Object.values(value['receipts']).every((r) => isObject(r) && isCount(r['index']))
    && isObject(value['checksums']) && Object.values(value['checksums']).every((c) => typeof c === 'string')
    && isObject(value['sentParts'])
    && isObject(counters) && COUNTERS.every((name) => isCount(counters[name]))
    && Array.isArray(value['history'])
    && typeof value['createdAt'] === 'number' && typeof value['updatedAt'] === 'number'
    && typeof value['expiresAt'] === 'number' && Number.isFinite(value['expiresAt'])
    && (value['fingerprint'] === undefined || typeof value['fingerprint'] === 'string')
    && (value['session'] === undefined || isSession(value['session']))
    && (sha1 === undefined || (isObject(sha1) && isCount(sha1['offset']) && typeof sha1['state'] === 'string' && /^(?:[0-9a-f]{2})+$/.test(sha1['state'])));
}
