import type { HashHandle } from '../core/index.js';

/** One `uploadparts` entry (specs/cloud-apis.md §3.7). */
export interface CosUploadpart {
  offset: number;
  datalen: number;
  /** SHA-1 chaining state after the slice (little-endian words, hex); the last one is the file's SHA-1. */
  datasha: string;
}

/** What the browser sends at create to get a parallel COS session (docs/protocol.md §COS legacy). */
export interface CosUploadparts {
  sliceSize: number;
  parts: CosUploadpart[];
  /** Whole-file SHA-1, lowercase hex (= the last `datasha`). */
  sha1: string;
}

/**
 * Slice hashes requested from the hash pool before the first answer is awaited. The pool
 * keeps the sequential SHA-1 on one worker and runs its jobs in order, so a short queue
 * hides the round trip between two slices without holding many jobs.
 */
const SLICES_IN_FLIGHT = 4;

/**
 * The COS `uploadparts` list of a file (cloud-apis.md §3.7): one entry per slice of
 * `sliceSize` bytes, each `datasha` the SHA-1 state after the slice, the last the real
 * digest. Hashing runs in the hash pool (`cos-datasha` advances the file's sequential
 * SHA-1, so slices are asked for in order), never on the main thread.
 *
 * @param sliceSize a multiple of 64 (a COS slice size).
 * @example
 * const { parts, sha1 } = await cosLegacyUploadparts(context.hash, file.size, 1048576, signal);
 */
export async function cosLegacyUploadparts(hash: HashHandle, size: number, sliceSize: number, signal: AbortSignal): Promise<CosUploadparts> {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`uploadparts needs a non-empty file, not ${size} bytes`);
  if (!Number.isSafeInteger(sliceSize) || sliceSize <= 0 || sliceSize % 64 !== 0) throw new RangeError(`A COS slice is a positive multiple of 64 bytes, not ${sliceSize}`);
  const count = Math.ceil(size / sliceSize);
  const jobs: Promise<string>[] = [];
  const parts: CosUploadpart[] = [];
  const ask = (index: number): void => {
    const offset = index * sliceSize;
    const job = hash.partChecksum('cos-datasha', offset, Math.min(size, offset + sliceSize), signal);
    // Handled when its turn comes; until then a rejection must not count as unhandled.
    job.catch(() => undefined);
    jobs.push(job);
  };
  for (let index = 0; index < Math.min(count, SLICES_IN_FLIGHT); index += 1) ask(index);
  for (let index = 0; index < count; index += 1) {
    const datasha = await (jobs[index] as Promise<string>);
    if (index + SLICES_IN_FLIGHT < count) ask(index + SLICES_IN_FLIGHT);
    const offset = index * sliceSize;
    parts.push({ offset, datalen: Math.min(sliceSize, size - offset), datasha });
  }
  const sha1 = parts[parts.length - 1]?.datasha ?? '';
  return { sliceSize, parts, sha1 };
}
