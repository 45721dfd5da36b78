import type { HashHandle, HashService, PartChecksumKind, Sha1Checkpoint } from '../../core/index.js';
import { abortError } from '../../core/abort-error.js';
import { sleep } from '../../core/sleep.js';
import { adler32 } from './adler32.js';

/** One checksum request the fake received. */
export interface FakeChecksumCall {
  kind: PartChecksumKind;
  start: number;
  end: number;
  /** ms since epoch when it was asked for / answered (undefined while running). */
  askedAt: number;
  doneAt?: number;
}

/**
 * An in-memory HashService for engine tests: Adler-32 in plain JS on the caller's thread,
 * optional delay, and a switch to return a wrong checksum (a bad read) for chosen parts.
 */
export class FakeHashService implements HashService {
  /** Every checksum request, across handles, in order. */
  readonly calls: FakeChecksumCall[] = [];
  /** The most requests running at once. */
  maxRunning = 0;
  /** Handles opened and not closed. */
  openHandles = 0;
  /** Delay before each checksum resolves (ms). */
  delayMs: number;
  #corrupt = new Map<number, number>();
  #failures = new Map<number, { error: Error; times: number }>();

  constructor(options: { delayMs?: number } = {}) {
    this.delayMs = options.delayMs ?? 0;
  }

  /** The next `times` checksums of the part starting at `start` come out wrong. */
  corrupt(start: number, times = 1): void {
    this.#corrupt.set(start, times);
  }

  /** The next `times` checksums of the part starting at `start` reject with `error`. */
  fail(start: number, error: Error, times = 1): void {
    this.#failures.set(start, { error, times });
  }

  /** Requests still running. */
  get running(): number {
    return this.calls.filter((c) => c.doneAt === undefined).length;
  }

  open(file: Blob): HashHandle {
    this.openHandles += 1;
    let bytesHashed = 0;
    let closed = false;
    return {
      get bytesHashed(): number {
        return bytesHashed;
      },
      partChecksum: async (kind: PartChecksumKind, start: number, end: number, signal?: AbortSignal): Promise<string> => {
        const call: FakeChecksumCall = { kind, start, end, askedAt: Date.now() };
        this.calls.push(call);
        this.maxRunning = Math.max(this.maxRunning, this.running);
        try {
          if (this.delayMs > 0) await sleep(this.delayMs, signal);
          if (signal?.aborted) throw abortError(signal);
          const failure = this.#failures.get(start);
          if (failure !== undefined && failure.times > 0) {
            failure.times -= 1;
            throw failure.error;
          }
          const bytes = new Uint8Array(await file.slice(start, end).arrayBuffer());
          bytesHashed += bytes.length;
          const left = this.#corrupt.get(start) ?? 0;
          if (left > 0) {
            this.#corrupt.set(start, left - 1);
            return '1';
          }
          return adler32(bytes);
        } finally {
          call.doneAt = Date.now();
        }
      },
      sha1Advance(): Promise<Sha1Checkpoint> {
        return Promise.reject(new Error('FakeHashService does not do SHA-1'));
      },
      sha1Digest(): Promise<string> {
        return Promise.reject(new Error('FakeHashService does not do SHA-1'));
      },
      close: (): void => {
        if (!closed) this.openHandles -= 1;
        closed = true;
      },
    };
  }

  dispose(): void {}
}
