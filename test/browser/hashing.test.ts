// Checksums from the hash pool against known vectors (spec §1.7, §6) and against
// independent implementations written here (Adler-32, CRC-32, MD5) or crypto.subtle (SHA-1).
import { HashPool, cosDatasha, sha1StateOffset, sha1StateWords, SHA1_STATE_BYTES } from '../../src/hashing/index.js';
import type { HashHandle, Sha1Checkpoint } from '../../src/hashing/index.js';
import { assert, equal as assertEqual, rejectionOf as rejection } from '../support/browser-assert.js';
import { randomBytes } from '../support/test-env.js';
import { specPattern } from '../../src/engine/testing/spec-pattern.js';

const MiB = 1024 * 1024;

// ---- independent references -------------------------------------------------------

function adler32Ref(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32Ref(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const MD5_K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);
const MD5_S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/** RFC 1321, straight from its pseudocode. */
function md5Ref(data: Uint8Array): Uint8Array {
  const total = (((data.length + 8) >>> 6) + 1) * 64;
  const padded = new Uint8Array(total);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(total - 8, (data.length * 8) >>> 0, true);
  view.setUint32(total - 4, Math.floor(data.length / 2 ** 29), true);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  for (let off = 0; off < total; off += 64) {
    let [a, b, c, d] = h as [number, number, number, number];
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) [f, g] = [(b & c) | (~b & d), i];
      else if (i < 32) [f, g] = [(d & b) | (~d & c), (5 * i + 1) % 16];
      else if (i < 48) [f, g] = [b ^ c ^ d, (3 * i + 5) % 16];
      else [f, g] = [c ^ (b | ~d), (7 * i) % 16];
      f = (f + a + MD5_K[i]! + view.getUint32(off + 4 * g, true)) >>> 0;
      const s = MD5_S[(i >> 4) * 4 + (i % 4)]!;
      [a, d, c] = [d, c, b];
      b = (b + ((f << s) | (f >>> (32 - s)))) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
  }
  const out = new Uint8Array(16);
  const outView = new DataView(out.buffer);
  h.forEach((word, i) => outView.setUint32(4 * i, word, true));
  return out;
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const base64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const hexToBytes = (text: string): Uint8Array => new Uint8Array(text.match(/../g)!.map((pair) => parseInt(pair, 16)));
const beBytes = (word: number): Uint8Array => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, word, false);
  return out;
};

async function sha1Ref(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-1', bytes)));
}

/** What the pool must answer for each independent kind. */
function expected(kind: 'adler32' | 'md5' | 'crc32', bytes: Uint8Array): string {
  if (kind === 'adler32') return String(adler32Ref(bytes));
  if (kind === 'md5') return base64(md5Ref(bytes));
  return base64(beBytes(crc32Ref(bytes)));
}

const KINDS = ['adler32', 'md5', 'crc32'] as const;

// ---- tests ------------------------------------------------------------------------

describe('hashing: reference implementations used by these tests', () => {
  it('agree with the published check values', () => {
    const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
    assertEqual(hex(md5Ref(ascii(''))), 'd41d8cd98f00b204e9800998ecf8427e', 'MD5("")');
    assertEqual(hex(md5Ref(ascii('abc'))), '900150983cd24fb0d6963f7d28e17f72', 'MD5("abc")');
    assertEqual(hex(md5Ref(ascii('a'.repeat(120)))), hex(md5Ref(ascii('a'.repeat(120)))), 'MD5 is deterministic');
    assertEqual(crc32Ref(ascii('123456789')).toString(16), 'cbf43926', 'CRC-32("123456789")');
    assertEqual(adler32Ref(ascii('Wikipedia')), 300286872, 'Adler-32("Wikipedia")');
  });
});

describe('hashing: part checksums', () => {
  let pool: HashPool;
  beforeEach(() => {
    // Tiny odd slices so small test files cross many read boundaries.
    pool = new HashPool({ size: 2, sliceBytes: 1000 });
  });
  afterEach(() => pool.dispose());

  it('encodes Adler-32 as the unsigned decimal strings of spec §1.7', async () => {
    for (const [text, value] of [['', '1'], ['Wikipedia', '300286872'], ['hello world', '436929629']] as const) {
      const handle = pool.open(new Blob([text]));
      assertEqual(await handle.partChecksum('adler32', 0, text.length), value, `adler32(${JSON.stringify(text)})`);
      handle.close();
    }
  });

  it('encodes MD5 and CRC-32 as base64 of their big-endian digest bytes', async () => {
    const handle = pool.open(new Blob(['abc']));
    assertEqual(await handle.partChecksum('md5', 0, 3), 'kAFQmDzST7DWlj99KOF/cg==', 'md5("abc") Content-MD5');
    assertEqual(await handle.partChecksum('crc32', 0, 3), 'NSRBwg==', 'crc32("abc") = 0x352441c2, base64');
    handle.close();
  });

  it('matches the references on random files of 0, 1 and odd sizes, across slice boundaries', async () => {
    for (const size of [0, 1, 2, 63, 64, 65, 999, 1000, 1001, 2000, 4097, 70_001]) {
      const bytes = randomBytes(size);
      const handle = pool.open(new Blob([bytes]));
      const ranges: [number, number][] = [[0, size], [Math.floor(size / 3), size], [0, Math.floor(size / 2)], [size, size]];
      for (const kind of KINDS) {
        for (const [start, end] of ranges) {
          const got = await handle.partChecksum(kind, start, end);
          assertEqual(got, expected(kind, bytes.subarray(start, end)), `${kind} of [${start}, ${end}) in a ${size}-byte file`);
        }
      }
      handle.close();
    }
  });

  it('hashes every part of a file that is not a multiple of the part size, in parallel', async () => {
    const size = 25_037;
    const partSize = 1024;
    const bytes = randomBytes(size);
    const handle = pool.open(new File([bytes], 'parts.bin'));
    const jobs: Promise<void>[] = [];
    for (let start = 0; start < size; start += partSize) {
      const end = Math.min(size, start + partSize);
      for (const kind of KINDS) {
        jobs.push(handle.partChecksum(kind, start, end).then((got) => {
          assertEqual(got, expected(kind, bytes.subarray(start, end)), `${kind} of part [${start}, ${end})`);
        }));
      }
    }
    await Promise.all(jobs);
    assertEqual(handle.bytesHashed, size * KINDS.length, 'bytes hashed: every part once per kind');
    assert(pool.workerCount <= 2, `at most the pool size of workers, got ${pool.workerCount}`);
    handle.close();
  });

  it('refuses byte ranges outside the file with a RangeError', async () => {
    const handle = pool.open(new Blob([new Uint8Array(10)]));
    for (const [start, end] of [[-1, 5], [5, 4], [0, 11], [0.5, 2]] as const) {
      const error = await rejection(handle.partChecksum('md5', start, end));
      assert(error instanceof RangeError, `[${start}, ${end}) rejected with ${String(error)}`);
    }
    assertEqual(handle.bytesHashed, 0, 'nothing read');
    handle.close();
  });
});

describe('hashing: spec §6 vectors on test file T', () => {
  const t = specPattern();
  let pool: HashPool;
  let handle: HashHandle;
  beforeEach(() => {
    pool = new HashPool({ size: 2 });
    handle = pool.open(new File([t], 'T.bin'));
  });
  afterEach(() => {
    handle.close();
    pool.dispose();
  });

  it('gives Adler-32(T) = 3187465499 and the MD5 of its first MiB', async () => {
    assertEqual(await handle.partChecksum('adler32', 0, t.length), '3187465499', 'Adler-32(T)');
    assertEqual(await handle.partChecksum('md5', 0, MiB), base64(hexToBytes('d8a469bb35fb5fad7156842ba2242434')), 'MD5(T[0:1 MiB])');
  });

  it('gives SHA-1(T) and the COS uploadparts datasha list for 1 MiB slices', async () => {
    const slices = [[0, MiB], [MiB, 2 * MiB], [2 * MiB, t.length]] as const;
    const datasha: string[] = [];
    for (const [start, end] of slices) datasha.push(await handle.partChecksum('cos-datasha', start, end));
    assertEqual(datasha, [
      'bc92149b0ce9d856ab29eb0a92f3e63e43355e67',
      '29d3a11d3780c46c9e1034ece2c4b0602855568b',
      '74cd8cbb2068246cb1874ce35fe4742904ee506c',
    ], 'COS datasha per slice');
    assertEqual(await handle.sha1Digest(), '74cd8cbb2068246cb1874ce35fe4742904ee506c', 'SHA-1(T)');
    assertEqual(await sha1Ref(t), '74cd8cbb2068246cb1874ce35fe4742904ee506c', 'crypto.subtle agrees');
    assertEqual(handle.bytesHashed, t.length, 'the sequential SHA-1 read T exactly once');
  });

  it('gives the PDS parallel_sha1_ctx of each 1 MiB part', async () => {
    const ctx: unknown[] = [];
    for (const start of [0, MiB, 2 * MiB]) ctx.push(JSON.parse(await handle.partChecksum('sha1-ctx', start, Math.min(t.length, start + MiB))));
    assertEqual(ctx, [
      { h: [], part_offset: 0 },
      { h: [2601816764, 1457056012, 183183787, 1055323026, 1734227267], part_offset: 1048576 },
      { h: [497144617, 1824817207, 3962835102, 1622197474, 2337690920], part_offset: 2097152 },
    ], 'PDS parallel_sha1_ctx per part');
  });

  it('reads SHA-1 words out of the hash-wasm 4.13 save() layout (fails loudly if hash-wasm changes it)', async () => {
    const { offset, state } = await handle.sha1Advance(MiB);
    assertEqual(offset, MiB, 'checkpoint offset');
    assertEqual(state.length, SHA1_STATE_BYTES, 'state size');
    assertEqual(sha1StateOffset(state), MiB, 'byte count inside the state');
    assertEqual(sha1StateWords(state), [2601816764, 1457056012, 183183787, 1055323026, 1734227267], 'h0..h4');
    assertEqual(cosDatasha(state), 'bc92149b0ce9d856ab29eb0a92f3e63e43355e67', 'little-endian hex');
    assert(cosDatasha(state) !== '9b1492bc56d8e90c0aeb29ab3ee6f392675e3543', 'not the big-endian trap of spec §3.7');
  });

  it('answers slices asked out of order with the same SHA-1 states', async () => {
    assertEqual(await handle.partChecksum('cos-datasha', MiB, 2 * MiB), '29d3a11d3780c46c9e1034ece2c4b0602855568b', 'slice 2 first');
    assertEqual(await handle.partChecksum('cos-datasha', 0, MiB), 'bc92149b0ce9d856ab29eb0a92f3e63e43355e67', 'then slice 1');
    assertEqual(await handle.partChecksum('cos-datasha', MiB, 2 * MiB), '29d3a11d3780c46c9e1034ece2c4b0602855568b', 'slice 2 again');
  });

  it('refuses SHA-1 chaining values at offsets inside a 64-byte block', async () => {
    assert(await rejection(handle.partChecksum('sha1-ctx', 100, 200)) instanceof RangeError, 'sha1-ctx at 100');
    assert(await rejection(handle.partChecksum('cos-datasha', 0, 100)) instanceof RangeError, 'cos-datasha ending at 100');
    const { state } = await handle.sha1Advance(100);
    let thrown: unknown;
    try {
      sha1StateWords(state);
    } catch (error) {
      thrown = error;
    }
    assert(thrown instanceof RangeError, 'sha1StateWords of a 100-byte prefix throws');
  });
});

describe('hashing: sequential SHA-1', () => {
  let pools: HashPool[] = [];
  const newPool = (): HashPool => {
    const pool = new HashPool({ size: 2, sliceBytes: 4096 });
    pools.push(pool);
    return pool;
  };
  afterEach(() => {
    for (const pool of pools) pool.dispose();
    pools = [];
  });

  it('gives the same digest in several steps as in one pass and as crypto.subtle', async () => {
    const pool = newPool();
    for (const size of [0, 1, 64, 1000, 4096, 4097, 65_536 + 333]) {
      const bytes = randomBytes(size);
      const reference = await sha1Ref(bytes);
      const onePass = pool.open(new Blob([bytes]));
      assertEqual(await onePass.sha1Digest(), reference, `one pass over ${size} bytes`);
      assertEqual(onePass.bytesHashed, size, `one pass read ${size} bytes once`);
      onePass.close();

      const stepped = pool.open(new Blob([bytes]));
      // Block-aligned, unaligned and one-byte-before-the-end stops, in increasing order.
      const steps = [...new Set([0, 64 * Math.floor(size / 128), Math.floor(size / 3) + 1, size - 1, size])]
        .filter((step) => step >= 0 && step <= size)
        .sort((a, b) => a - b);
      for (const step of steps) {
        const checkpoint = await stepped.sha1Advance(step);
        assertEqual(checkpoint.offset, step, 'checkpoint offset');
      }
      assertEqual(await stepped.sha1Digest(), reference, `stepped digest of ${size} bytes`);
      assertEqual(stepped.bytesHashed, size, `steps over ${size} bytes read each byte once`);
      stepped.close();
    }
  });

  it('resumes from a saved checkpoint in a new pool, reading only the bytes after it', async () => {
    const size = 200_000;
    const bytes = randomBytes(size);
    const cut = 64 * 1000;
    const first = newPool().open(new File([bytes], 'a.bin'));
    const saved = await first.sha1Advance(cut);
    first.close();
    // As if persisted in IndexedDB and read back after a reload.
    const restored: Sha1Checkpoint = structuredClone(saved);

    const second = newPool().open(new File([bytes], 'a.bin'));
    const next = await second.sha1Advance(cut + 64 * 500, restored);
    assertEqual(next.offset, cut + 64 * 500, 'advanced from the checkpoint');
    assertEqual(await second.sha1Digest(), await sha1Ref(bytes), 'digest after resume');
    assertEqual(second.bytesHashed, size - cut, 'only the bytes after the checkpoint were read');
    second.close();
  });

  it('keeps its SHA-1 across an idle shutdown of the workers without re-reading', async () => {
    const pool = new HashPool({ size: 1, idleTimeoutMs: 20, sliceBytes: 4096 });
    pools.push(pool);
    const bytes = randomBytes(50_000);
    const handle = pool.open(new Blob([bytes]));
    await handle.sha1Advance(64 * 300);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assertEqual(pool.workerCount, 0, 'workers gone after the idle timeout');
    assertEqual(await handle.sha1Digest(), await sha1Ref(bytes), 'digest after the workers restarted');
    assertEqual(handle.bytesHashed, bytes.length, 'no byte read twice');
    handle.close();
  });

  it('re-hashes from byte 0 when a checkpoint was written by another hash implementation', async () => {
    const bytes = randomBytes(10_000);
    const good = newPool().open(new Blob([bytes]));
    const { state } = await good.sha1Advance(6400);
    good.close();
    const foreign = state.slice();
    foreign.set([0, 0, 0, 0]); // another build's fingerprint
    const handle = newPool().open(new Blob([bytes]));
    await handle.sha1Advance(8000, { offset: 6400, state: foreign });
    assertEqual(await handle.sha1Digest(), await sha1Ref(bytes), 'digest is still right');
    assertEqual(handle.bytesHashed, bytes.length, 'the whole file was read again');
    handle.close();
  });

  it('refuses a checkpoint that lies past the requested end', async () => {
    const handle = newPool().open(new Blob([randomBytes(1000)]));
    const { state } = await handle.sha1Advance(640);
    const error = await rejection(handle.sha1Advance(320, { offset: 640, state }));
    assert(error instanceof RangeError, `rejected with ${String(error)}`);
    handle.close();
  });
});
