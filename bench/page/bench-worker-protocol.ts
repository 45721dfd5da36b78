/** Messages between the bench page and its two bench workers (types only). */

/** Page → worker: a file, once. */
export interface WorkerOpen {
  type: 'open';
  file: Blob;
  /** read-once: where parts go. */
  sinkUrl?: string;
  /**
   * read-once worker: send the bytes it read and hashed (`bytes`, design B), or a fresh
   * `file.slice()` the browser reads again itself (`slice`, design C: design A moved into the worker).
   */
  body?: 'bytes' | 'slice';
}

/** Page → worker: one part to read (read-only) or read + hash + send (read-once). */
export interface WorkerPart {
  type: 'part';
  id: number;
  start: number;
  end: number;
}

/** Worker → page: the part is done (or failed). */
export interface WorkerPartDone {
  type: 'done';
  id: number;
  bytes: number;
  /** read-once: the checksum sent with the part. */
  checksum?: string;
  error?: string;
}

export type WorkerRequest = WorkerOpen | WorkerPart;
