import { createHash, type Hash } from 'node:crypto';

/** A chunk-size line longer than this is malformed (hex size plus `;chunk-signature=` and 64 hex). */
const MAX_CHUNK_HEADER_BYTES = 4096;
/** Trailer section limit (a few checksum headers and a signature). */
const MAX_TRAILER_BYTES = 16 * 1024;
/** Largest single chunk accepted. */
const MAX_CHUNK_BYTES = 2 ** 40;

/** Thrown for a body that is not valid `aws-chunked`; `truncated` when it simply ended early. */
export class AwsChunkedError extends Error {
  override readonly name = 'AwsChunkedError';
  readonly truncated: boolean;
  constructor(message: string, truncated = false) {
    super(message);
    this.truncated = truncated;
  }
}

/** Hooks that verify signed streaming payloads (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`). */
export interface AwsChunkedSignatureHooks {
  /** Called after each chunk (also the final empty one); throws when the signature is wrong. */
  chunk(signature: string | undefined, dataSha256Hex: string): void;
  /** Called once with the trailer signature and the canonical trailer text (`name:value\n`…). */
  trailer(signature: string | undefined, canonicalTrailers: string): void;
}

type State = 'size' | 'data' | 'data-crlf' | 'trailer' | 'done';

/**
 * Decodes an `aws-chunked` request body (`Content-Encoding: aws-chunked`, what the AWS SDK
 * sends for streams: `<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n … 0\r\n<trailers>\r\n\r\n`)
 * as it arrives, yielding the payload bytes. Trailing headers (e.g. `x-amz-checksum-crc32`)
 * are in {@link trailers} once the generator has finished.
 *
 * @example
 * const decoder = new AwsChunkedDecoder();
 * for await (const data of decoder.decode(ctx.body())) await temp.write(data);
 * decoder.trailers.get('x-amz-checksum-crc32');
 */
export class AwsChunkedDecoder {
  /** Trailing headers by lower-case name (the trailer signature is kept out). */
  readonly trailers = new Map<string, string>();
  /** Payload bytes decoded so far. */
  decodedLength = 0;
  readonly #hooks: AwsChunkedSignatureHooks | undefined;

  /** @param hooks signature checks, for signed streaming payloads only */
  constructor(hooks?: AwsChunkedSignatureHooks) {
    this.#hooks = hooks;
  }

  /** Yields payload bytes from `source`; throws {@link AwsChunkedError} on a malformed body. */
  async *decode(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
    let state: State = 'size';
    let line = Buffer.alloc(0);
    let remaining = 0;
    let chunkSignature: string | undefined;
    let chunkHash: Hash | undefined;
    let trailerText = '';
    let trailerSignature: string | undefined;

    const takeLine = (buf: Buffer, from: number, limit: number): { line: Buffer; next: number } | { next: number } => {
      const at = buf.indexOf(0x0a, from);
      if (at === -1) {
        line = Buffer.concat([line, buf.subarray(from)]);
        if (line.length > limit) throw new AwsChunkedError('aws-chunked line too long');
        return { next: buf.length };
      }
      const full = Buffer.concat([line, buf.subarray(from, at + 1)]);
      line = Buffer.alloc(0);
      if (full.length > limit) throw new AwsChunkedError('aws-chunked line too long');
      if (full.length < 2 || full[full.length - 2] !== 0x0d) throw new AwsChunkedError('aws-chunked lines must end with CRLF');
      return { line: full.subarray(0, full.length - 2), next: at + 1 };
    };

    for await (const buf of source) {
      let i = 0;
      while (i < buf.length) {
        if (state === 'done') throw new AwsChunkedError('bytes after the end of the aws-chunked body');
        if (state === 'size') {
          const got = takeLine(buf, i, MAX_CHUNK_HEADER_BYTES);
          i = got.next;
          if (!('line' in got)) continue;
          const text = got.line.toString('latin1');
          const [sizeText = '', ...extensions] = text.split(';');
          if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw new AwsChunkedError(`bad aws-chunked size line "${text.slice(0, 80)}"`);
          remaining = parseInt(sizeText, 16);
          if (remaining > MAX_CHUNK_BYTES) throw new AwsChunkedError('aws-chunked chunk too large');
          chunkSignature = undefined;
          for (const ext of extensions) {
            const eq = ext.indexOf('=');
            if (eq > 0 && ext.slice(0, eq).trim() === 'chunk-signature') chunkSignature = ext.slice(eq + 1).trim();
          }
          chunkHash = this.#hooks ? createHash('sha256') : undefined;
          if (remaining === 0) {
            this.#hooks?.chunk(chunkSignature, (chunkHash as Hash).digest('hex'));
            state = 'trailer';
          } else {
            state = 'data';
          }
          continue;
        }
        if (state === 'data') {
          const take = Math.min(remaining, buf.length - i);
          const data = buf.subarray(i, i + take);
          i += take;
          remaining -= take;
          this.decodedLength += take;
          chunkHash?.update(data);
          if (remaining === 0) state = 'data-crlf';
          yield data;
          continue;
        }
        if (state === 'data-crlf') {
          const got = takeLine(buf, i, 2);
          i = got.next;
          if (!('line' in got)) continue;
          if (got.line.length !== 0) throw new AwsChunkedError('aws-chunked data longer than its size line says');
          if (chunkHash) this.#hooks?.chunk(chunkSignature, chunkHash.digest('hex'));
          state = 'size';
          continue;
        }
        // trailer section: `name:value` lines up to an empty line
        const got = takeLine(buf, i, MAX_TRAILER_BYTES);
        i = got.next;
        if (!('line' in got)) continue;
        const text = got.line.toString('latin1');
        if (text === '') {
          this.#hooks?.trailer(trailerSignature, trailerText);
          state = 'done';
          continue;
        }
        if (trailerText.length > MAX_TRAILER_BYTES) throw new AwsChunkedError('aws-chunked trailers too long');
        const colon = text.indexOf(':');
        if (colon <= 0) throw new AwsChunkedError(`bad aws-chunked trailer line "${text.slice(0, 80)}"`);
        const name = text.slice(0, colon).trim().toLowerCase();
        const value = text.slice(colon + 1).trim();
        if (name === 'x-amz-trailer-signature') {
          trailerSignature = value;
        } else {
          this.trailers.set(name, value);
          trailerText += `${name}:${value}\n`;
        }
      }
    }
    if (state !== 'done') {
      // A body may end right after the last trailer line's CRLF without the final empty line.
      if (state === 'trailer' && line.length === 0) {
        this.#hooks?.trailer(trailerSignature, trailerText);
        return;
      }
      throw new AwsChunkedError('the aws-chunked body ended early', true);
    }
  }
}
