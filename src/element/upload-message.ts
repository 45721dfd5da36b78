import type { UploadErrorCode } from '../core/upload-error.js';
import type { UploadSnapshot } from '../core/upload-snapshot.js';
import { formatBytes } from './format-bytes.js';
import type { Messages } from './i18n.js';

/** Codes that mean the link to the server dropped, so the text says "connection lost". */
const CONNECTION_CODES: ReadonlySet<UploadErrorCode> = new Set(['network', 'offline', 'timeout', 'stalled', 'bad-response']);

/** What the element knows beyond the snapshot when it words a message. */
export interface UploadMessageContext {
  /** The element's `max-file-size`, to say which limit a file broke. */
  readonly maxFileSize: number | undefined;
  /** ms since epoch; the retry countdown is measured from it. */
  readonly now: number;
}

/**
 * The per-file problem to show, in the user's language, or undefined when there is none.
 * Chosen by `error.code` (never by message text); a code without a string falls back
 * to the error's own message. A scheduled retry (`retryAt`) shows a countdown.
 *
 * @example
 * uploadMessage(snapshot, i18n.en, { maxFileSize: 2 * 1024 ** 3, now: Date.now() });
 * // "File is larger than 2 GB"
 */
export function uploadMessage(upload: UploadSnapshot, messages: Messages, context: UploadMessageContext): string | undefined {
  const { error } = upload;
  const waiting = upload.retryAt !== undefined && upload.status !== 'failed' && upload.status !== 'cancelled' && upload.status !== 'done';
  if (waiting && upload.retryAt !== undefined) {
    // Round up so the countdown never shows "0 s" while the retry is still pending.
    const seconds = Math.max(0, Math.ceil((upload.retryAt - context.now) / 1000));
    if (error === undefined || CONNECTION_CODES.has(error.code)) return messages.connectionRetry(seconds);
    if (error.code === 'rate-limited') return messages.busyRetry(seconds);
    return messages.genericRetry(errorText(error.code, error.message, messages, context), seconds);
  }
  // An error on a running upload is history (the retry worked); only a failed upload, or one
  // the engine paused because of it (offline), still has a problem to show.
  if (error === undefined || (upload.status !== 'failed' && upload.status !== 'paused')) return undefined;
  return errorText(error.code, error.message, messages, context);
}

function errorText(code: UploadErrorCode, message: string, messages: Messages, context: UploadMessageContext): string {
  if (code === 'file-too-large') {
    return context.maxFileSize !== undefined && context.maxFileSize > 0 ? messages.fileTooLarge(formatBytes(context.maxFileSize)) : message;
  }
  return messages.errors[code] ?? message;
}

/** The state word of a row: the status, or "instant" for a rapid upload (the provider had the content). */
export function uploadStatusText(upload: UploadSnapshot, messages: Messages): string {
  return upload.status === 'done' && upload.result?.rapid === true ? messages.instant : messages.status[upload.status];
}
