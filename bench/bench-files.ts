import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MIB = 2 ** 20;
/** Bytes written per call; randomBytes makes ~1.6 GB/s here, so 3.75 GiB takes a few seconds. */
const WRITE_CHUNK_BYTES = 8 * MIB;
/** Keep this much disk free beyond the files: the emulator stores parts and objects too. */
const DISK_HEADROOM_BYTES = 12 * 2 ** 30;

/** One benchmark input on disk (a real file, so Chromium reads it from disk, not memory). */
export interface BenchFile {
  name: string;
  path: string;
  size: number;
}

/** The temp folder with the inputs, written once per run and removed at the end. */
export interface BenchFiles {
  dir: string;
  /** The file called `name`, made on first request (random bytes: nothing dedupes or compresses). */
  get(name: string, size: number): Promise<BenchFile>;
  remove(): Promise<void>;
}

/**
 * Inputs for the benchmarks: random files in a temp dir. Files over 256 MiB must be disk files
 * picked through `setInputFiles` (toolchain.md pitfall 1: in-memory Blobs fail past ~450 MiB).
 * Each file gets fresh random bytes, so providers with rapid upload (PDS, COS legacy) never
 * find an earlier repetition's content.
 *
 * @example
 * const files = await createBenchFiles();
 * const big = await files.get('a-256m.bin', 256 * 2 ** 20);
 */
export async function createBenchFiles(): Promise<BenchFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'ccu-bench-files-'));
  const made = new Map<string, Promise<BenchFile>>();
  return {
    dir,
    get(name, size) {
      let file = made.get(name);
      if (file === undefined) {
        file = writeRandomFile(join(dir, name), name, size);
        made.set(name, file);
      }
      return file;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

async function writeRandomFile(path: string, name: string, size: number): Promise<BenchFile> {
  const disk = await statfs(join(path, '..'));
  const free = disk.bavail * disk.bsize;
  if (free < size + DISK_HEADROOM_BYTES) throw new Error(`not enough disk in ${tmpdir()} for ${name}: ${Math.round(free / MIB)} MiB free`);
  const out = createWriteStream(path);
  for (let written = 0; written < size; written += WRITE_CHUNK_BYTES) {
    if (!out.write(randomBytes(Math.min(WRITE_CHUNK_BYTES, size - written)))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { name, path, size };
}
