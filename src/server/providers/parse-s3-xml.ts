/** One element of an S3 XML response: local name, children, decoded text. */
export interface S3XmlElement {
  name: string;
  children: S3XmlElement[];
  text: string;
}

/** Nesting deeper than this is not an S3 response (ListPartsResult is three levels deep). */
const MAX_DEPTH = 16;

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string | null {
  let ok = true;
  const out = text.replace(/&([^;&]{0,8});?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) ok = false;
    else if (/^#x[0-9a-fA-F]{1,6}$/.test(ref)) return String.fromCodePoint(Math.min(parseInt(ref.slice(2), 16), 0x10ffff));
    else if (/^#\d{1,7}$/.test(ref)) return String.fromCodePoint(Math.min(Number(ref.slice(1)), 0x10ffff));
    const named = ENTITIES[ref];
    if (named === undefined) ok = false;
    return named ?? whole;
  });
  return ok ? out : null;
}

/**
 * Reads an S3 XML response body (InitiateMultipartUploadResult, ListPartsResult,
 * CompleteMultipartUploadResult, Error; cloud-apis.md §4.1) into a tree, or null when it is not
 * well-formed XML. Leading whitespace is fine: S3 may send it before an `<Error>` in a 200
 * response to Complete (§4.1). Namespace prefixes are dropped; DTDs are refused.
 *
 * @example
 * const root = parseS3Xml(await response.text());
 * s3XmlText(root, 'UploadId');
 */
export function parseS3Xml(source: string): S3XmlElement | null {
  const stack: S3XmlElement[] = [];
  let root: S3XmlElement | null = null;
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<!/g;
  let at = 0;
  for (let m = tag.exec(source); m !== null; m = tag.exec(source)) {
    const between = source.slice(at, m.index);
    at = tag.lastIndex;
    const top = stack[stack.length - 1];
    if (between.trim() !== '' || (top && between !== '')) {
      if (!top) return null;
      const text = decode(between);
      if (text === null || between.includes('<')) return null;
      top.text += text;
    }
    const whole = m[0];
    if (whole === '<!') return null;
    if (whole.startsWith('<?') || whole.startsWith('<!--')) continue;
    if (whole.startsWith('<![CDATA[')) {
      if (!top) return null;
      top.text += m[5] ?? '';
      continue;
    }
    const name = (m[2] ?? '').replace(/^[^:]*:/, '');
    if (m[1] === '/') {
      if (!top || top.name !== name) return null;
      stack.pop();
      continue;
    }
    const element: S3XmlElement = { name, children: [], text: '' };
    if (top) top.children.push(element);
    else if (root) return null;
    else root = element;
    if (m[4] !== '/') {
      stack.push(element);
      if (stack.length > MAX_DEPTH) return null;
    }
  }
  if (source.slice(at).trim() !== '' || stack.length > 0) return null;
  return root;
}

/** Text of the first direct child named `name`, trimmed; undefined when absent. */
export function s3XmlText(element: S3XmlElement, name: string): string | undefined {
  return element.children.find((c) => c.name === name)?.text.trim();
}

/** Every direct child named `name`. */
export function s3XmlChildren(element: S3XmlElement, name: string): S3XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

/** XML character data escaping, for request bodies (CompleteMultipartUpload). */
export function escapeS3Xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' } as Record<string, string>)[c] ?? ''};`);
}
