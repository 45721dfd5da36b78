// How the element words each upload's state and problems (en and zh-CN).
import type { UploadSnapshot } from '../../src/core/upload-snapshot.js';
import type { UploadErrorData } from '../../src/core/upload-error.js';
import { formatBytes } from '../../src/element/format-bytes.js';
import { i18n, resolveLocale } from '../../src/element/i18n.js';
import { uploadMessage, uploadStatusText } from '../../src/element/upload-message.js';
import { strictEqual as equal } from '../support/browser-assert.js';

const NOW = 1_700_000_000_000;

function snapshot(patch: Partial<UploadSnapshot>): UploadSnapshot {
  return {
    id: 'u1',
    name: 'movie.mp4',
    size: 10,
    type: 'video/mp4',
    status: 'failed',
    bytesUploaded: 0,
    bytesTransferred: 0,
    progress: 0,
    speed: 0,
    eta: null,
    partsDone: 0,
    partCount: 1,
    counters: { bytesSent: 0, bytesResent: 0, bytesHashed: 0, bytesRehashed: 0, retries: 0, sessionRenewals: 0 },
    history: [],
    ...patch,
  };
}

function error(code: UploadErrorData['code'], message = `raw ${code} message`): UploadErrorData {
  return { code, kind: 'fatal', message };
}

const context = { maxFileSize: 2 * 1024 ** 3, now: NOW };

describe('element messages', () => {
  it('names the size limit a too-large file broke, formatted for people', () => {
    equal(uploadMessage(snapshot({ error: error('file-too-large') }), i18n.en, context), 'File is larger than 2 GB', 'en');
    equal(uploadMessage(snapshot({ error: error('file-too-large') }), i18n['zh-CN'], context), '文件大于 2 GB', 'zh-CN');
  });

  it('falls back to the engine message for a too-large file when the element has no limit of its own', () => {
    const text = uploadMessage(snapshot({ error: error('file-too-large', 'a.bin is 5 bytes; the limit is 4 bytes') }), i18n.en, { maxFileSize: undefined, now: NOW });
    equal(text, 'a.bin is 5 bytes; the limit is 4 bytes', 'fallback');
  });

  it('counts down to a scheduled retry after a lost connection, rounding up', () => {
    const waiting = snapshot({ status: 'uploading', error: { ...error('network'), kind: 'retry' }, retryAt: NOW + 3_200 });
    equal(uploadMessage(waiting, i18n.en, context), 'Connection lost — retrying in 4 s', 'en');
    equal(uploadMessage(waiting, i18n['zh-CN'], context), '连接中断 — 4 秒后重试', 'zh-CN');
  });

  it('says the server is busy while a rate-limited request waits', () => {
    const waiting = snapshot({ status: 'uploading', error: { ...error('rate-limited'), kind: 'rate-limited' }, retryAt: NOW + 1_000 });
    equal(uploadMessage(waiting, i18n.en, context), 'Server is busy — retrying in 1 s', 'rate limited');
  });

  it('words each refusal and provider error by its code, not its message', () => {
    const cases: [UploadErrorData['code'], string, string][] = [
      ['checksum-mismatch', 'Server rejected the part checksum', '服务器拒绝了分片校验和'],
      ['file-type-rejected', 'This file type is not accepted', '不接受此文件类型'],
      ['file-empty', 'Empty files cannot be uploaded', '不能上传空文件'],
      ['network', 'Cannot reach the upload server', '无法连接上传服务器'],
      ['bad-response', 'Cannot reach the upload server', '无法连接上传服务器'],
    ];
    for (const [code, en, zh] of cases) {
      equal(uploadMessage(snapshot({ error: error(code) }), i18n.en, context), en, `${code} en`);
      equal(uploadMessage(snapshot({ error: error(code) }), i18n['zh-CN'], context), zh, `${code} zh-CN`);
    }
  });

  it('falls back to the error message for a code without a string', () => {
    equal(uploadMessage(snapshot({ error: error('unknown', 'Feishu said 1069999') }), i18n.en, context), 'Feishu said 1069999', 'unknown');
  });

  it('shows no problem for a running, finished or cancelled upload even if an old error lingers', () => {
    for (const status of ['uploading', 'done', 'cancelled'] as const) {
      equal(uploadMessage(snapshot({ status, error: error('network') }), i18n.en, context), undefined, status);
    }
  });

  it('says "instant" for a rapid upload and the plain status otherwise', () => {
    const rapid = snapshot({ status: 'done', result: { provider: 'pds', name: 'movie.mp4', size: 10, rapid: true } });
    equal(uploadStatusText(rapid, i18n.en), 'Done (instant)', 'rapid en');
    equal(uploadStatusText(rapid, i18n['zh-CN']), '已完成（秒传）', 'rapid zh-CN');
    equal(uploadStatusText(snapshot({ status: 'done' }), i18n.en), 'Done', 'plain done');
    equal(uploadStatusText(snapshot({ status: 'paused' }), i18n['zh-CN']), '已暂停', 'paused zh-CN');
  });

  it('formats byte counts with binary units and at most one decimal', () => {
    equal(formatBytes(0), '0 B', 'zero');
    equal(formatBytes(1023), '1023 B', 'bytes');
    equal(formatBytes(1536), '1.5 KB', 'KB');
    equal(formatBytes(4 * 1024 * 1024), '4 MB', 'MB');
    equal(formatBytes(2 * 1024 ** 3), '2 GB', 'GB');
  });

  it('picks zh-CN for any Chinese language tag and English for the rest', () => {
    equal(resolveLocale('zh-CN'), 'zh-CN', 'zh-CN');
    equal(resolveLocale('zh'), 'zh-CN', 'zh');
    equal(resolveLocale('zh-Hans-CN'), 'zh-CN', 'zh-Hans-CN');
    equal(resolveLocale('en-GB'), 'en', 'en-GB');
    equal(resolveLocale(''), 'en', 'empty');
    equal(resolveLocale(undefined), 'en', 'undefined');
  });
});
