/**
 * True when the file matches an `accept` list written like `<input accept>`: comma-separated
 * `.ext` suffixes, `type/*` wildcards and exact MIME types, case-insensitive (HTML Living
 * Standard, "the accept attribute"). An empty or blank list accepts everything.
 *
 * @example
 * matchesAccept({ name: 'a.PNG', type: 'image/png' }, '.png,application/pdf'); // true
 */
export function matchesAccept(file: { name: string; type: string }, accept: string | undefined): boolean {
  const tokens = (accept ?? '').split(',').map((t) => t.trim().toLowerCase()).filter((t) => t.length > 0);
  if (tokens.length === 0) return true;
  const name = file.name.toLowerCase();
  const type = file.type.toLowerCase();
  return tokens.some((token) => {
    if (token.startsWith('.')) return name.endsWith(token);
    if (token.endsWith('/*')) return type.startsWith(token.slice(0, -1));
    return type === token;
  });
}
