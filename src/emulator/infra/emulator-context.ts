import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * One request being handled: the raw node:http pair plus helpers that count body bytes
 * (for the request log) and never buffer more than asked. Node's own async iterator on a
 * request destroys the socket when a consumer stops early, which would make it impossible
 * to answer a malformed body with an error; the reader here pulls chunks without that.
 */
export class EmulatorContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  readonly url: URL;
  /** URL path without the query string. */
  readonly path: string;
  /** Emulator clock time when the request arrived. */
  readonly receivedAt: number;
  /** Path parameters of the matched route. */
  params: Record<string, string> = {};
  /** Name of the matched route, for the log and for faults. */
  route = 'unmatched';
  /** Provider code of the response envelope, recorded in the log. */
  code: number | string | undefined;
  /** Which injected fault shaped the response. */
  fault: 'error' | 'drop' | 'latency' | undefined;
  #bytesIn = 0;
  #ended = false;

  constructor(req: IncomingMessage, res: ServerResponse, receivedAt: number) {
    this.req = req;
    this.res = res;
    this.method = (req.method ?? 'GET').toUpperCase();
    this.url = new URL(req.url ?? '/', 'http://emulator.invalid');
    this.path = this.url.pathname;
    this.receivedAt = receivedAt;
  }

  /** Body bytes read so far. */
  get bytesIn(): number {
    return this.#bytesIn;
  }

  /** Whether a response was started or the connection is gone. */
  get responded(): boolean {
    return this.res.headersSent || this.res.writableEnded || this.req.socket.destroyed;
  }

  /** A request header (first value when repeated). */
  header(name: string): string | undefined {
    const value = this.req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }

  /** Next body chunk, or null at the end. Rejects when the client aborts. */
  async #next(): Promise<Buffer | null> {
    const req = this.req;
    for (;;) {
      if (this.#ended) return null;
      const chunk = req.read() as Buffer | string | null;
      if (chunk !== null) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        this.#bytesIn += buf.length;
        return buf;
      }
      if (req.readableEnded) {
        this.#ended = true;
        return null;
      }
      if (req.errored) throw req.errored;
      if (req.destroyed) throw new Error('request aborted');
      await new Promise<void>((resolve, reject) => {
        const done = (): void => {
          req.off('readable', onReadable);
          req.off('end', onEnd);
          req.off('error', onError);
          req.off('close', onClose);
        };
        const onReadable = (): void => {
          done();
          resolve();
        };
        const onEnd = (): void => {
          done();
          this.#ended = true;
          resolve();
        };
        const onError = (err: Error): void => {
          done();
          reject(err);
        };
        const onClose = (): void => {
          done();
          if (req.readableEnded) {
            this.#ended = true;
            resolve();
          } else reject(new Error('request aborted'));
        };
        req.on('readable', onReadable);
        req.on('end', onEnd);
        req.on('error', onError);
        req.on('close', onClose);
      });
    }
  }

  /** The body as it arrives, chunk by chunk. Stopping early leaves the rest unread. */
  async *body(): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const chunk = await this.#next();
      if (chunk === null) return;
      yield chunk;
    }
  }

  /** Reads the whole body if it is at most `limit` bytes; else drains it and returns undefined. */
  async readBody(limit: number): Promise<Buffer | undefined> {
    const parts: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of this.body()) {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) parts.push(chunk);
    }
    return tooLarge ? undefined : Buffer.concat(parts);
  }

  /** Reads and throws away what is left of the body (never throws). */
  async discardBody(): Promise<void> {
    try {
      while ((await this.#next()) !== null) {
        // discard
      }
    } catch {
      // client went away; nothing left to read
    }
  }

  /**
   * Fault injection: reads up to `afterBytes` body bytes, then destroys the connection
   * without a response (task brief: "connections dropped mid-body").
   */
  async dropConnection(afterBytes: number): Promise<void> {
    try {
      while (this.#bytesIn < afterBytes) {
        if ((await this.#next()) === null) break;
      }
    } catch {
      // already gone
    }
    this.req.socket.destroy();
  }

  /** Sends a complete response (no-op when the connection is gone). */
  send(status: number, body: string | Buffer, headers: OutgoingHttpHeaders = {}): void {
    if (this.responded) return;
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    this.res.writeHead(status, { ...headers, 'Content-Length': data.length });
    this.res.end(data);
  }

  /** Sends a JSON response. */
  json(status: number, value: unknown, headers: OutgoingHttpHeaders = {}): void {
    this.send(status, JSON.stringify(value), { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  }
}
