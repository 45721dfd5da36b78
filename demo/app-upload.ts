// What the React and Vue demo apps share: the app's own row for an upload (plain data built
// from the element's events, so no framework makes the element's frozen snapshots reactive)
// and the choices the apps offer.
import type { UploadSnapshot } from '../src/index.js';

/** One row of the app's own list, built from the element's events. */
export interface AppUpload {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly status: UploadSnapshot['status'];
  /** Whole percent acknowledged by the provider. */
  readonly percent: number;
  /** Where the provider stored it (file token, file id, key or resource path), once done. */
  readonly stored?: string;
  /** Why it failed, in the element's words. */
  readonly problem?: string;
}

const MiB = 1024 * 1024;

/** Part sizes the apps offer (a preference: Feishu and Lark dictate 4 MiB and ignore it). */
export const CHUNK_SIZES: readonly { label: string; bytes: number | undefined }[] = [
  { label: 'provider default', bytes: undefined },
  { label: '8 MiB', bytes: 8 * MiB },
  { label: '16 MiB', bytes: 16 * MiB },
];

/** Languages the apps offer. */
export const LANGUAGES: readonly { label: string; lang: string }[] = [
  { label: 'English', lang: 'en' },
  { label: '中文', lang: 'zh-CN' },
];

function storedAs(upload: UploadSnapshot): string | undefined {
  const result = upload.result;
  return result?.fileToken ?? result?.fileId ?? result?.key ?? result?.resourcePath;
}

/** The app's row for a snapshot. */
export function toAppUpload(upload: UploadSnapshot): AppUpload {
  const stored = storedAs(upload);
  return {
    id: upload.id,
    name: upload.name,
    size: upload.size,
    status: upload.status,
    percent: Math.floor(upload.progress * 100),
    ...(stored !== undefined && { stored }),
    ...(upload.error !== undefined && { problem: upload.error.message }),
  };
}

/** The row's state as the apps show it. */
export function appUploadState(row: AppUpload): string {
  if (row.status === 'done') return `stored as ${row.stored ?? '?'}`;
  if (row.status === 'failed') return `failed: ${row.problem ?? 'unknown error'}`;
  return `${row.status} ${String(row.percent)} %`;
}
