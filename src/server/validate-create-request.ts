import { HttpError } from './http-error.js';
import type { ProviderCreateInput } from './providers/server-provider.js';

/** Longest file name accepted, in characters after sanitising (Feishu `file_name`, cloud-apis.md §1.3, §1.12). */
export const MAX_FILE_NAME_LENGTH = 250;

/** Longest `target` accepted (ours: folder tokens, parent ids and key prefixes are far shorter). */
export const MAX_TARGET_LENGTH = 1024;

/** Largest create-session JSON body read (bytes; ours). */
export const MAX_CREATE_BODY_BYTES = 64 * 1024;

/** A create-session request after validation: the provider name is checked by the caller. */
export interface ValidatedCreateRequest {
  provider: string;
  input: ProviderCreateInput;
}

/** C0/C1 controls, DEL, and bidi overrides (they let "exe.pdf" display as "fdp.exe"). */
function isUnsafeChar(char: string): boolean {
  const c = char.codePointAt(0) ?? 0;
  return c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

function removeUnsafeChars(value: string): string {
  return [...value].filter((char) => !isUnsafeChar(char)).join('');
}

/**
 * Check a parsed `CreateSessionRequest` body field by field; the first problem becomes a 400
 * (413 for a file over `maxFileSize`) with a message naming the field. Nothing has reached the
 * provider when this throws. Unknown top-level fields are ignored for forward compatibility.
 *
 * @example
 * const { provider, input } = validateCreateRequest(await request.json(), 10 * 2 ** 30);
 */
export function validateCreateRequest(body: unknown, maxFileSize: number): ValidatedCreateRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('The body must be a JSON object');
  const b = body as Record<string, unknown>;
  const provider = b['provider'];
  if (typeof provider !== 'string' || provider === '') throw new HttpError(400, { code: 'unknown-provider', kind: 'fatal', message: '`provider` is required' });

  const target = b['target'];
  if (typeof target !== 'string' || target.trim() === '') throw bad('`target` must be a non-empty string (folder token, parent id or prefix)');
  if (target.length > MAX_TARGET_LENGTH || [...target].some(isUnsafeChar)) throw bad(`\`target\` must be at most ${MAX_TARGET_LENGTH} printable characters`);

  const fileName = sanitizeFileName(b['fileName']);

  const size = b['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad('`size` must be an integer number of bytes, 0 or more');
  if (size > maxFileSize) {
    throw new HttpError(413, { code: 'file-too-large', kind: 'fatal', message: `The file is larger than this backend accepts (${maxFileSize} bytes)` });
  }

  const input: ProviderCreateInput = { target, fileName, size, providerOptions: {} };
  const mimeType = b['mimeType'];
  if (mimeType !== undefined) {
    if (typeof mimeType !== 'string' || mimeType.length > 255) throw bad('`mimeType` must be a string of at most 255 characters');
    input.mimeType = mimeType;
  }
  const partSize = b['partSize'];
  if (partSize !== undefined) {
    if (typeof partSize !== 'number' || !Number.isSafeInteger(partSize) || partSize <= 0) throw bad('`partSize` must be a positive integer');
    input.partSize = partSize;
  }
  const hashes = b['hashes'];
  if (hashes !== undefined) {
    if (!isRecordOf(hashes, (v) => typeof v === 'string' && v.length <= 256)) throw bad('`hashes` must map names to strings');
    input.hashes = hashes as Record<string, string>;
  }
  const options = b['providerOptions'];
  if (options !== undefined) {
    if (!isRecordOf(options, (v) => ['string', 'number', 'boolean'].includes(typeof v))) {
      throw bad('`providerOptions` must map names to strings, numbers or booleans');
    }
    input.providerOptions = options as Record<string, string | number | boolean>;
  }
  return { provider, input };
}

/**
 * The file name as it will be stored: NFC, control and bidi-override characters removed, path
 * separators replaced by `_`, trimmed. Throws 400 `invalid-name` when nothing usable is left
 * or it is longer than MAX_FILE_NAME_LENGTH characters (never truncated silently).
 */
export function sanitizeFileName(value: unknown): string {
  if (typeof value !== 'string') throw new HttpError(400, { code: 'invalid-name', kind: 'fatal', message: '`fileName` must be a string' });
  const name = removeUnsafeChars(value.normalize('NFC')).replace(/[/\\]/g, '_').trim();
  if (name === '' || name === '.' || name === '..') {
    throw new HttpError(400, { code: 'invalid-name', kind: 'fatal', message: 'The file name is empty after removing unsafe characters' });
  }
  if ([...name].length > MAX_FILE_NAME_LENGTH) {
    throw new HttpError(400, { code: 'invalid-name', kind: 'fatal', message: `The file name is longer than ${MAX_FILE_NAME_LENGTH} characters` });
  }
  return name;
}

function bad(message: string): HttpError {
  return new HttpError(400, { code: 'bad-request', kind: 'fatal', message });
}

function isRecordOf(value: unknown, check: (v: unknown) => boolean): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => v === undefined || check(v));
}
