/**
 * Reading SHA-1 chaining state out of a hash-wasm `save()` snapshot. Pure code with no
 * hash-wasm import, so the main thread, the worker and tests share it.
 *
 * The layout is hash-wasm's internal one, not an API (docs toolchain.md, "Addendum"):
 * bytes 0–3 a fingerprint of the wasm build, 4–23 the words h0..h4 each little-endian,
 * 24–31 the number of input bits (little-endian uint64), 32–95 the pending block.
 * test/browser/hashing.test.ts pins it with the spec §6 vectors, so a hash-wasm upgrade
 * that moves anything fails there instead of sending wrong checksums.
 */

/** Size of a hash-wasm 4.13 SHA-1 `save()` state in bytes (toolchain.md §2). */
export const SHA1_STATE_BYTES = 96;

/** SHA-1 block size: chaining words only describe a prefix made of whole blocks (spec §2.9, §3.7). */
export const SHA1_BLOCK_BYTES = 64;

const WORDS_OFFSET = 4;
const WORD_COUNT = 5;
const BIT_COUNT_OFFSET = 24;

function view(state: Uint8Array): DataView {
  if (state.length !== SHA1_STATE_BYTES) {
    throw new RangeError(`Not a hash-wasm SHA-1 state: ${state.length} bytes instead of ${SHA1_STATE_BYTES}`);
  }
  return new DataView(state.buffer, state.byteOffset, state.byteLength);
}

/**
 * How many bytes of input a SHA-1 state has consumed.
 *
 * @example
 * sha1StateOffset(checkpoint.state) === checkpoint.offset // a sound checkpoint
 */
export function sha1StateOffset(state: Uint8Array): number {
  const v = view(state);
  const bits = v.getUint32(BIT_COUNT_OFFSET, true) + v.getUint32(BIT_COUNT_OFFSET + 4, true) * 2 ** 32;
  return bits / 8;
}

/**
 * The five SHA-1 chaining words H0..H4 (unsigned 32-bit) of a state, as PDS
 * `parallel_sha1_ctx.h` wants them (spec §2.9 item 4). Throws a RangeError unless the
 * state covers whole 64-byte blocks, because the words then leave out the buffered tail.
 *
 * @example
 * sha1StateWords(stateAfterOneMiB) // [2601816764, 1457056012, 183183787, 1055323026, 1734227267]
 */
export function sha1StateWords(state: Uint8Array): number[] {
  const v = view(state);
  const offset = sha1StateOffset(state);
  if (offset % SHA1_BLOCK_BYTES !== 0) {
    throw new RangeError(`SHA-1 chaining words need a prefix of whole 64-byte blocks, not ${offset} bytes`);
  }
  const words: number[] = [];
  for (let i = 0; i < WORD_COUNT; i++) words.push(v.getUint32(WORDS_OFFSET + 4 * i, true));
  return words;
}

/**
 * COS legacy `datasha` of a non-final slice: the chaining words, each serialised
 * little-endian, as lowercase hex (spec §3.7, "the byte-order trap"). The final slice uses
 * the ordinary digest instead.
 *
 * @example
 * cosDatasha(stateAfterOneMiB) // 'bc92149b0ce9d856ab29eb0a92f3e63e43355e67'
 */
export function cosDatasha(state: Uint8Array): string {
  let hex = '';
  for (const word of sha1StateWords(state)) {
    for (let shift = 0; shift < 32; shift += 8) hex += ((word >>> shift) & 0xff).toString(16).padStart(2, '0');
  }
  return hex;
}
