/** N of the spec's test file T (specs/cloud-apis.md §6): 2·1048576 + 1000 bytes. */
export const SPEC_TEST_FILE_LENGTH = 2 * 1048576 + 1000;

/**
 * `length` bytes of the spec's test pattern `T[i] = (7·i + 3) mod 256` (specs/cloud-apis.md
 * §6), whose checksums the spec lists; the whole test file T by default. DOM- and node-free,
 * so node, browser and emulator tests build the same bytes.
 */
export function specPattern(length = SPEC_TEST_FILE_LENGTH): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 1) bytes[i] = (7 * i + 3) % 256;
  return bytes;
}
