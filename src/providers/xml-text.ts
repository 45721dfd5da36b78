/**
 * The trimmed text of the first `<tag>` element of a storage XML error body (S3, OSS), without
 * a DOM: the clients also run in workers and Node.
 *
 * @example
 * xmlText('<Error><Code>NoSuchUpload</Code></Error>', 'Code'); // 'NoSuchUpload'
 */
export function xmlText(text: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text);
  return match?.[1]?.trim();
}
