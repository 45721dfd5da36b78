/**
 * A streaming multipart/form-data parser (RFC 7578 / RFC 2046 §5.1).
 *
 * Why not `Request.formData()`: it buffers the whole body before we can look at it, and
 * Feishu `upload_all` bodies may be 20 MiB (cloud-apis.md §1.6); it also offers no
 * backpressure. Here file fields go to a caller-supplied sink chunk by chunk as they arrive
 * (awaiting each write), so memory stays at one network chunk plus a delimiter's length, and
 * text fields are kept small and bounded.
 */

/** Receives the bytes of one file field as they arrive. */
export interface MultipartFileSink {
  write(chunk: Buffer): Promise<void> | void;
}

/** Headers of one part. */
export interface MultipartPartInfo {
  name: string;
  filename?: string;
  contentType?: string;
}

/** How to treat the fields of one form. */
export interface MultipartOptions {
  /** Field names whose content is streamed to a sink rather than kept as text. */
  fileFields: ReadonlySet<string>;
  /**
   * Called when a file field starts, with the text fields seen so far (fields that come
   * after the file are not there yet). Return a sink, or undefined to discard the bytes.
   */
  onFile(info: MultipartPartInfo, fieldsSoFar: ReadonlyMap<string, string>): Promise<MultipartFileSink | undefined> | MultipartFileSink | undefined;
  /** Max bytes of one text field; default {@link MAX_FIELD_BYTES}. */
  maxFieldBytes?: number;
  /** Max bytes of one part's header block; default {@link MAX_PART_HEADER_BYTES}. */
  maxHeaderBytes?: number;
}

/** The text fields and the names of the file fields of a parsed form. */
export interface MultipartResult {
  /** Text fields (first occurrence wins). */
  fields: Map<string, string>;
  /** Names of the file fields that were present. */
  files: Set<string>;
}

/** Text fields are small ids and numbers; 64 KiB is generous. */
export const MAX_FIELD_BYTES = 64 * 1024;
/** One part's headers. */
export const MAX_PART_HEADER_BYTES = 16 * 1024;

/** The body is not well-formed multipart/form-data. */
export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * The boundary parameter of a `multipart/form-data` Content-Type, or undefined when the
 * type is something else or the boundary is missing.
 */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const [type, ...params] = contentType.split(';');
  if (type?.trim().toLowerCase() !== 'multipart/form-data') return undefined;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let value = param.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    // RFC 2046: 1..70 characters.
    return value.length > 0 && value.length <= 70 ? value : undefined;
  }
  return undefined;
}

/** Parses `name`/`filename` out of a Content-Disposition value. */
function parseDisposition(value: string): { name?: string; filename?: string } {
  const out: { name?: string; filename?: string } = {};
  const re = /;\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const m of value.matchAll(re)) {
    const key = m[1]?.toLowerCase();
    const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '').trim();
    if (key === 'name') out.name = v;
    else if (key === 'filename') out.filename = v;
  }
  return out;
}

function parseHeaders(block: Buffer): MultipartPartInfo {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of block.toString('utf8').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-disposition') disposition = value;
    else if (key === 'content-type') contentType = value;
  }
  if (!disposition || !/^form-data\b/i.test(disposition)) throw new MultipartError('part without Content-Disposition: form-data');
  const { name, filename } = parseDisposition(disposition);
  if (name === undefined) throw new MultipartError('part without a name');
  const info: MultipartPartInfo = { name };
  if (filename !== undefined) info.filename = filename;
  if (contentType !== undefined) info.contentType = contentType;
  return info;
}

type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done';

/**
 * Parses a multipart/form-data body from `source`, which is consumed to its end.
 * @throws MultipartError when the body is malformed or a limit is exceeded
 */
export async function parseMultipart(source: AsyncIterable<Buffer> | Iterable<Buffer>, boundary: string, options: MultipartOptions): Promise<MultipartResult> {
  const maxField = options.maxFieldBytes ?? MAX_FIELD_BYTES;
  const maxHeader = options.maxHeaderBytes ?? MAX_PART_HEADER_BYTES;
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const fields = new Map<string, string>();
  const files = new Set<string>();
  // A leading CRLF lets the first delimiter (which has none) match like the others.
  let buffer: Buffer = Buffer.from(CRLF);
  let state = 'preamble' as State;
  let part: MultipartPartInfo | undefined;
  let sink: MultipartFileSink | undefined;
  let isFile = false;
  let text: Buffer[] = [];
  let textBytes = 0;

  const emit = async (data: Buffer): Promise<void> => {
    if (data.length === 0) return;
    if (isFile) {
      if (sink) await sink.write(data);
      return;
    }
    textBytes += data.length;
    if (textBytes > maxField) throw new MultipartError(`field "${part?.name ?? ''}" exceeds ${maxField} bytes`);
    text.push(data);
  };

  const endPart = (): void => {
    if (part && !isFile && !fields.has(part.name)) fields.set(part.name, Buffer.concat(text).toString('utf8'));
    part = undefined;
    sink = undefined;
    text = [];
    textBytes = 0;
  };

  const step = async (): Promise<boolean> => {
    switch (state) {
      case 'preamble': {
        const at = buffer.indexOf(delimiter);
        if (at < 0) {
          buffer = buffer.subarray(Math.max(0, buffer.length - (delimiter.length - 1)));
          return false;
        }
        buffer = buffer.subarray(at + delimiter.length);
        state = 'after-delimiter';
        return true;
      }
      case 'after-delimiter': {
        if (buffer.length < 2) return false;
        if (buffer[0] === 0x2d && buffer[1] === 0x2d) {
          state = 'done';
          buffer = Buffer.alloc(0);
          return false;
        }
        const eol = buffer.indexOf(CRLF);
        if (eol < 0) {
          if (buffer.length > 256) throw new MultipartError('garbage after boundary');
          return false;
        }
        // RFC 2046 allows linear whitespace ("transport padding") before the CRLF.
        if (!/^[ \t]*$/.test(buffer.subarray(0, eol).toString('latin1'))) throw new MultipartError('garbage after boundary');
        buffer = buffer.subarray(eol + 2);
        state = 'headers';
        return true;
      }
      case 'headers': {
        let block: Buffer;
        if (buffer.length >= 2 && buffer[0] === 0x0d && buffer[1] === 0x0a) {
          block = Buffer.alloc(0);
          buffer = buffer.subarray(2);
        } else {
          const end = buffer.indexOf(HEADER_END);
          if (end < 0) {
            if (buffer.length > maxHeader) throw new MultipartError('part headers too large');
            return false;
          }
          block = buffer.subarray(0, end);
          buffer = buffer.subarray(end + HEADER_END.length);
        }
        part = parseHeaders(block);
        isFile = options.fileFields.has(part.name);
        if (isFile) {
          if (files.has(part.name)) throw new MultipartError(`file field "${part.name}" sent twice`);
          files.add(part.name);
          sink = await options.onFile(part, fields);
        }
        state = 'body';
        return true;
      }
      case 'body': {
        const at = buffer.indexOf(delimiter);
        if (at >= 0) {
          await emit(buffer.subarray(0, at));
          buffer = buffer.subarray(at + delimiter.length);
          endPart();
          state = 'after-delimiter';
          return true;
        }
        // Keep a tail that could be the start of a delimiter split across chunks.
        const safe = buffer.length - (delimiter.length - 1);
        if (safe > 0) {
          await emit(buffer.subarray(0, safe));
          buffer = buffer.subarray(safe);
        }
        return false;
      }
      case 'done':
        return false;
    }
  };

  for await (const chunk of source) {
    if (state === 'done') continue; // epilogue: read and ignore
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    while (await step()) {
      // keep stepping while progress is made
    }
  }
  if (state !== 'done') throw new MultipartError('body ended before the closing boundary');
  return { fields, files };
}
