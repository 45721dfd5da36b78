/** One handled request, as recorded for assertions (cloud-apis.md §7 "request log"). */
export interface RequestLogEntry {
  /** Emulator clock time (ms) when the request arrived. */
  at: number;
  method: string;
  /** URL path without the query string (queries may carry signatures). */
  path: string;
  /** Route name, e.g. `feishu.medias.upload_part`; `unmatched` when no route matched. */
  route: string;
  /** HTTP status sent; 0 when the connection was dropped without a response. */
  status: number;
  /** Provider error/success code from the response envelope, when there is one. */
  code?: number | string;
  /** Request body bytes the emulator read. */
  bytesIn: number;
  /** Which injected fault shaped this response, if any. */
  fault?: 'error' | 'drop' | 'latency';
  /** Host header, so Feishu and Lark traffic can be told apart. */
  host?: string;
}

/** Entries kept at most; older ones are dropped so a long-running emulator stays small. */
export const REQUEST_LOG_CAPACITY = 10_000;

/** An in-memory, bounded log of handled requests. */
export class RequestLog {
  #entries: RequestLogEntry[] = [];

  /** Appends an entry, dropping the oldest beyond {@link REQUEST_LOG_CAPACITY}. */
  add(entry: RequestLogEntry): void {
    this.#entries.push(Object.freeze({ ...entry }));
    if (this.#entries.length > REQUEST_LOG_CAPACITY) this.#entries.splice(0, this.#entries.length - REQUEST_LOG_CAPACITY);
  }

  /** A copy of the entries, oldest first. */
  get entries(): readonly RequestLogEntry[] {
    return [...this.#entries];
  }

  /**
   * Entries whose route matches `pattern` (`*` matches any run of characters).
   * @example log.filter('feishu.*.upload_part')
   */
  filter(pattern: string): RequestLogEntry[] {
    const re = globToRegExp(pattern);
    return this.#entries.filter((e) => re.test(e.route));
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries = [];
  }
}

/** Compiles a route glob (`*` = any characters) into an anchored RegExp. */
export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${escaped}$`);
}
