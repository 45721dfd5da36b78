import { createSHA1, type IHasher } from 'hash-wasm';
import { SHA1_BLOCK_BYTES, SHA1_IV } from './sha1-compressor.js';

/**
 * hash-wasm 4.x SHA-1 `save()` layout: a 4-byte build tag, H0..H4 as little-endian u32,
 * the message length in bits as a little-endian u64, then the 64-byte block buffer. Checked
 * against a fresh state on every create, so a hash-wasm release that changes it fails loudly
 * instead of hashing from a wrong state.
 */
const STATE_WORDS_AT = 4;
const STATE_BITS_AT = 24;
const STATE_BYTES = 96;

const HEX40 = /^[0-9a-f]{40}$/;

function stateView(state: Uint8Array): DataView {
  return new DataView(state.buffer, state.byteOffset, state.byteLength);
}

/**
 * SHA-1 in WebAssembly (hash-wasm, ~5× the pure-JS {@link Sha1Compressor}) that can start
 * from, expose and persist its chaining state, as the PDS `parallel_sha1_ctx`, PDS serial
 * parts and COS legacy `datasha` checks need (cloud-apis.md §2.9 item 4, §3.7). Node's crypto
 * cannot be seeded with a state, hence WebAssembly.
 *
 * @example
 * const h = await WasmSha1.create(ctx.h, ctx.part_offset); // resume at a 64-byte boundary
 * h.update(partBytes);
 * h.words();   // the ctx of the next part (whole blocks only)
 * h.save();    // base64, for WasmSha1.restore() after a restart
 */
export class WasmSha1 {
  readonly #hasher: IHasher;
  #length: number;

  private constructor(hasher: IHasher, length: number) {
    this.#hasher = hasher;
    this.#length = length;
  }

  /**
   * A hasher at chaining state `words` that covers `processedBytes` bytes (a multiple of 64).
   * Throws RangeError on a malformed state.
   */
  static async create(words: readonly number[] = SHA1_IV, processedBytes = 0): Promise<WasmSha1> {
    if (words.length !== 5) throw new RangeError('a SHA-1 state has 5 words');
    if (!Number.isSafeInteger(processedBytes) || processedBytes < 0 || processedBytes % SHA1_BLOCK_BYTES !== 0) {
      throw new RangeError(`a SHA-1 state covers a whole number of 64-byte blocks, not ${processedBytes} bytes`);
    }
    const hasher = (await createSHA1()).init();
    const state = hasher.save();
    const view = stateView(state);
    const fresh = state.length === STATE_BYTES && SHA1_IV.every((w, i) => view.getUint32(STATE_WORDS_AT + 4 * i, true) === w) && view.getBigUint64(STATE_BITS_AT, true) === 0n;
    if (!fresh) throw new Error('hash-wasm SHA-1 state layout is not the one WasmSha1 knows (hash-wasm 4.x)');
    words.forEach((w, i) => view.setUint32(STATE_WORDS_AT + 4 * i, w >>> 0, true));
    view.setBigUint64(STATE_BITS_AT, BigInt(processedBytes) * 8n, true);
    hasher.load(state);
    return new WasmSha1(hasher, processedBytes);
  }

  /** A hasher resumed from a COS intermediate `datasha` (LE words as hex) covering `processedBytes`. */
  static async fromDatasha(datasha: string, processedBytes: number): Promise<WasmSha1> {
    const hex = datasha.toLowerCase();
    if (!HEX40.test(hex)) throw new RangeError('datasha must be 40 hex digits');
    const bytes = Buffer.from(hex, 'hex');
    return WasmSha1.create([0, 1, 2, 3, 4].map((i) => bytes.readUInt32LE(i * 4)), processedBytes);
  }

  /** A hasher resumed from {@link save} (any length, a partial block included). */
  static async restore(saved: string): Promise<WasmSha1> {
    const state = new Uint8Array(Buffer.from(saved, 'base64'));
    if (state.length !== STATE_BYTES) throw new RangeError('not a saved WasmSha1 state');
    const hasher = (await createSHA1()).init();
    hasher.load(state);
    return new WasmSha1(hasher, Number(stateView(state).getBigUint64(STATE_BITS_AT, true) / 8n));
  }

  /** Bytes fed so far (including a resumed prefix). */
  get length(): number {
    return this.#length;
  }

  /** Feeds bytes; returns this for chaining. */
  update(data: Uint8Array): this {
    this.#hasher.update(data);
    this.#length += data.length;
    return this;
  }

  /** The whole state, base64 (about 130 characters), for {@link restore}. */
  save(): string {
    return Buffer.from(this.#hasher.save()).toString('base64');
  }

  /** The chaining words H0..H4 (unsigned). Throws unless the input so far is whole blocks. */
  words(): number[] {
    const view = this.#wordsView();
    return [0, 1, 2, 3, 4].map((i) => view.getUint32(STATE_WORDS_AT + 4 * i, true));
  }

  /** COS intermediate `datasha`: each chaining word little-endian, lowercase hex (§3.7). */
  datasha(): string {
    const view = this.#wordsView();
    return Buffer.from(view.buffer, view.byteOffset + STATE_WORDS_AT, 20).toString('hex');
  }

  /** The standard SHA-1 digest of everything fed (big-endian hex). Does not change this object. */
  digestHex(): string {
    const state = this.#hasher.save();
    const digest = this.#hasher.digest('hex');
    this.#hasher.load(state);
    return digest;
  }

  #wordsView(): DataView {
    if (this.#length % SHA1_BLOCK_BYTES !== 0) throw new RangeError(`SHA-1 chaining words need whole 64-byte blocks; ${this.#length} bytes were fed`);
    return stateView(this.#hasher.save());
  }
}
