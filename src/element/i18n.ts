import type { UploadErrorCode } from '../core/upload-error.js';
import type { UploadStatus } from '../core/upload-snapshot.js';

/** Languages the element ships strings for. */
export type Locale = 'en' | 'zh-CN';

/** Every string the element shows or announces, for one language. */
export interface Messages {
  /** Text of the drop zone; also its accessible name (it acts as the "choose files" button). */
  readonly dropZone: string;
  readonly fileList: string;
  readonly totalProgress: string;
  readonly start: string;
  readonly pause: string;
  readonly resume: string;
  readonly cancel: string;
  readonly retry: string;
  /** Accessible name of a per-file button: says which file it acts on (uppy#5645). */
  readonly buttonLabel: (action: string, name: string) => string;
  readonly progressLabel: (name: string) => string;
  readonly status: Readonly<Record<UploadStatus, string>>;
  /** Shown instead of "Done" when the provider already had the content (rapid upload). */
  readonly instant: string;
  readonly speed: (perSecond: string) => string;
  readonly eta: (duration: string) => string;
  readonly duration: (seconds: number) => string;
  readonly fileTooLarge: (limit: string) => string;
  readonly connectionRetry: (seconds: number) => string;
  readonly busyRetry: (seconds: number) => string;
  readonly genericRetry: (reason: string, seconds: number) => string;
  readonly unknownProvider: (name: string) => string;
  /** Summary notice after a reload: this many uploads wait for their files. */
  readonly canContinue: (count: number) => string;
  /** Row of a restored upload that needs its file picked or dropped again. */
  readonly pickAgain: string;
  /** Row of a restored upload with a stored file handle: Resume reopens it (maybe after a permission prompt). */
  readonly allowAccess: string;
  /** Row of an upload whose file another tab is uploading. */
  readonly otherTab: string;
  /** Notice when records cannot be stored (no IndexedDB, or storage full). */
  readonly resumeUnavailable: string;
  /** Text per error code; codes without an entry fall back to the error's own message. */
  readonly errors: Readonly<Partial<Record<UploadErrorCode, string>>>;
  readonly announceDone: (name: string) => string;
  readonly announceFailed: (name: string, reason: string) => string;
}

function englishDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${String(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${String(m)} min ${String(s % 60)} s`;
  return `${String(Math.floor(m / 60))} h ${String(m % 60)} min`;
}

function chineseDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${String(s)} 秒`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${String(m)} 分 ${String(s % 60)} 秒`;
  return `${String(Math.floor(m / 60))} 小时 ${String(m % 60)} 分`;
}

const en: Messages = {
  dropZone: 'Drop files here, paste, or click to choose',
  fileList: 'Uploads',
  totalProgress: 'Total upload progress',
  start: 'Start upload',
  pause: 'Pause',
  resume: 'Resume',
  cancel: 'Cancel',
  retry: 'Retry',
  buttonLabel: (action, name) => `${action} ${name}`,
  progressLabel: (name) => `Upload progress of ${name}`,
  status: {
    queued: 'Queued',
    preparing: 'Preparing',
    uploading: 'Uploading',
    paused: 'Paused',
    completing: 'Finishing',
    done: 'Done',
    failed: 'Failed',
    cancelled: 'Cancelled',
  },
  instant: 'Done (instant)',
  speed: (perSecond) => `${perSecond}/s`,
  eta: (duration) => `${duration} left`,
  duration: englishDuration,
  fileTooLarge: (limit) => `File is larger than ${limit}`,
  connectionRetry: (seconds) => `Connection lost — retrying in ${String(seconds)} s`,
  busyRetry: (seconds) => `Server is busy — retrying in ${String(seconds)} s`,
  genericRetry: (reason, seconds) => `${reason} — retrying in ${String(seconds)} s`,
  unknownProvider: (name) => `Unknown storage provider "${name}"`,
  canContinue: (count) => `${String(count)} ${count === 1 ? 'upload' : 'uploads'} can continue — choose or drop the same ${count === 1 ? 'file' : 'files'} again`,
  pickAgain: 'Choose or drop this file again to continue',
  allowAccess: 'Press Resume to continue (the browser may ask to read the file)',
  otherTab: 'Uploading in another tab',
  resumeUnavailable: 'Browser storage is unavailable or full: uploads cannot continue after a reload',
  errors: {
    'file-empty': 'Empty files cannot be uploaded',
    'file-type-rejected': 'This file type is not accepted',
    'invalid-name': 'This file name is not allowed',
    network: 'Cannot reach the upload server',
    'bad-response': 'Cannot reach the upload server',
    offline: 'You are offline — the upload continues when the connection returns',
    timeout: 'The upload server did not answer in time',
    stalled: 'The upload stalled',
    'rate-limited': 'Too many requests — try again later',
    'session-expired': 'The upload session expired',
    'checksum-mismatch': 'Server rejected the part checksum',
    'size-mismatch': 'The stored size does not match the file',
    'parts-missing': 'Some parts of the file did not arrive',
    unauthorized: 'Not signed in to the upload server',
    forbidden: 'No permission to upload to this folder',
    'not-found': 'The target folder was not found',
    'quota-exceeded': 'Storage quota exceeded',
    'server-error': 'The storage service failed',
    'etag-hidden': 'Storage hides the ETag header (check its CORS rules)',
    'unknown-provider': 'Unknown storage provider',
    'ticket-invalid': 'The upload server rejected the upload ticket',
    'ticket-expired': 'The upload ticket expired',
  },
  announceDone: (name) => `${name} uploaded`,
  announceFailed: (name, reason) => `${name} failed: ${reason}`,
};

const zhCN: Messages = {
  dropZone: '拖放文件到此处、粘贴，或点击选择',
  fileList: '上传列表',
  totalProgress: '总上传进度',
  start: '开始上传',
  pause: '暂停',
  resume: '继续',
  cancel: '取消',
  retry: '重试',
  buttonLabel: (action, name) => `${action} ${name}`,
  progressLabel: (name) => `${name} 的上传进度`,
  status: {
    queued: '排队中',
    preparing: '准备中',
    uploading: '上传中',
    paused: '已暂停',
    completing: '正在完成',
    done: '已完成',
    failed: '失败',
    cancelled: '已取消',
  },
  instant: '已完成（秒传）',
  speed: (perSecond) => `${perSecond}/秒`,
  eta: (duration) => `剩余 ${duration}`,
  duration: chineseDuration,
  fileTooLarge: (limit) => `文件大于 ${limit}`,
  connectionRetry: (seconds) => `连接中断 — ${String(seconds)} 秒后重试`,
  busyRetry: (seconds) => `服务器繁忙 — ${String(seconds)} 秒后重试`,
  genericRetry: (reason, seconds) => `${reason} — ${String(seconds)} 秒后重试`,
  unknownProvider: (name) => `未知的存储服务“${name}”`,
  canContinue: (count) => `${String(count)} 个上传可以继续，请重新选择或拖入相同的文件`,
  pickAgain: '请重新选择或拖入此文件以继续',
  allowAccess: '点击“继续”恢复上传（浏览器可能会请求读取文件的权限）',
  otherTab: '正在另一个标签页中上传',
  resumeUnavailable: '浏览器存储不可用或已满：重新加载页面后无法继续上传',
  errors: {
    'file-empty': '不能上传空文件',
    'file-type-rejected': '不接受此文件类型',
    'invalid-name': '文件名不被允许',
    network: '无法连接上传服务器',
    'bad-response': '无法连接上传服务器',
    offline: '网络已断开，恢复后将继续上传',
    timeout: '上传服务器响应超时',
    stalled: '上传停滞',
    'rate-limited': '请求过于频繁，请稍后再试',
    'session-expired': '上传会话已过期',
    'checksum-mismatch': '服务器拒绝了分片校验和',
    'size-mismatch': '存储的大小与文件不一致',
    'parts-missing': '文件的部分分片未到达',
    unauthorized: '未登录上传服务器',
    forbidden: '没有上传到此文件夹的权限',
    'not-found': '找不到目标文件夹',
    'quota-exceeded': '存储空间不足',
    'server-error': '存储服务出错',
    'etag-hidden': '存储未暴露 ETag 头（请检查 CORS 规则）',
    'unknown-provider': '未知的存储服务',
    'ticket-invalid': '上传服务器拒绝了上传凭证',
    'ticket-expired': '上传凭证已过期',
  },
  announceDone: (name) => `${name} 上传完成`,
  announceFailed: (name, reason) => `${name} 上传失败：${reason}`,
};

/**
 * The string tables, by locale. Add a language by adding a table; `resolveLocale`
 * picks it from a BCP 47 tag.
 */
export const i18n: Readonly<Record<Locale, Messages>> = { en, 'zh-CN': zhCN };

/**
 * The table for a BCP 47 language tag: any Chinese tag (`zh`, `zh-CN`, `zh-Hans`...)
 * gets zh-CN, everything else English.
 */
export function resolveLocale(lang: string | null | undefined): Locale {
  return lang?.trim().toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}
