/** A streamed multipart/form-data body with its length known up front. */
export interface MultipartStream {
  body: ReadableStream<Uint8Array>;
  /** `multipart/form-data; boundary=…`. */
  contentType: string;
  /** Exact bytes of `body`, for the Content-Length header. */
  contentLength: number;
}

/** The file field of a multipart body: always written last. */
export interface MultipartFile {
  name: string;
  fileName: string;
  contentType: string;
  /** Exact byte length of `body`. */
  length: number;
  body: ReadableStream<Uint8Array>;
}

const encoder = new TextEncoder();

/**
 * multipart/form-data as a stream: the text fields and the file part's headers (one small
 * preamble), then the file bytes as they arrive, then the closing boundary. The part bytes
 * are never copied into one buffer, and because every length is known the caller can send
 * Content-Length instead of chunked encoding (Feishu's gateway expects a sized body).
 * Fields keep the given order; Feishu's SDKs send `file` last (cloud-apis.md §1.4).
 *
 * @example
 * const form = multipartStream([['upload_id', id], ['seq', '0']], { name: 'file', fileName: 'a.bin',
 *   contentType: 'application/octet-stream', length: 4, body });
 * await fetch(url, { method: 'POST', body: form.body, duplex: 'half',
 *   headers: { 'content-type': form.contentType, 'content-length': String(form.contentLength) } });
 */
export function multipartStream(fields: ReadonlyArray<readonly [string, string]>, file: MultipartFile): MultipartStream {
  const boundary = `----ccu${crypto.randomUUID().replace(/-/g, '')}`;
  let head = '';
  for (const [name, value] of fields) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(name)}"\r\n\r\n${value}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(file.name)}"; filename="${escapeQuoted(file.fileName)}"\r\n`;
  head += `Content-Type: ${file.contentType}\r\n\r\n`;
  const preamble = encoder.encode(head);
  const epilogue = encoder.encode(`\r\n--${boundary}--\r\n`);
  const reader = file.body.getReader();
  let stage: 'head' | 'file' | 'done' = 'head';
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (stage === 'head') {
          stage = 'file';
          controller.enqueue(preamble);
          return;
        }
        if (stage === 'done') return;
        // An error from the file stream (wrong length, client gone) errors this stream too,
        // which aborts the upstream request mid-body.
        const next = await reader.read();
        if (next.done) {
          stage = 'done';
          controller.enqueue(epilogue);
          controller.close();
          return;
        }
        controller.enqueue(next.value);
      },
      async cancel(reason) {
        await reader.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return {
    body,
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: preamble.byteLength + file.length + epilogue.byteLength,
  };
}

/** Quoted-string escaping of the HTML form encoding algorithm: `"` CR LF become %22 %0D %0A. */
function escapeQuoted(value: string): string {
  return value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
