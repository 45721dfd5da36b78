import { escapeXml } from '../infra/escape-xml.js';

/** One element of a parsed document: local name (namespace prefix dropped), children, text. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element, entities decoded. */
  text: string;
}

/** Thrown for input that is not well-formed (as far as this small parser checks). */
export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
}

/** Elements nested deeper than this are refused (S3 request bodies are three levels deep). */
const MAX_DEPTH = 32;

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw new XmlSyntaxError(`unterminated entity "${whole}"`);
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number(ref.slice(1)));
    const named = NAMED_ENTITIES[ref];
    if (named === undefined) throw new XmlSyntaxError(`unknown entity "&${ref};"`);
    return named;
  });
}

function localName(qualified: string): string {
  const colon = qualified.indexOf(':');
  return colon === -1 ? qualified : qualified.slice(colon + 1);
}

/**
 * A small, strict-enough XML parser for S3 request bodies (CompleteMultipartUpload): elements,
 * attributes, character data, CDATA, comments, the XML declaration and the five named entities
 * plus numeric references. No DTDs (a `<!DOCTYPE` is refused, so no entity expansion attacks).
 *
 * @example
 * const root = parseXml('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>');
 */
export function parseXml(source: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const skipSpace = (): void => {
    while (i < source.length && /\s/.test(source[i] ?? '')) i++;
  };
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const text = source.slice(i, lt === -1 ? source.length : lt);
    if (text !== '') {
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(text);
      else if (text.trim() !== '') throw new XmlSyntaxError('text outside the root element');
    }
    if (lt === -1) break;
    i = lt;
    if (source.startsWith('<?', i)) {
      const end = source.indexOf('?>', i);
      if (end === -1) throw new XmlSyntaxError('unterminated processing instruction');
      i = end + 2;
    } else if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i);
      if (end === -1) throw new XmlSyntaxError('unterminated comment');
      i = end + 3;
    } else if (source.startsWith('<![CDATA[', i)) {
      const end = source.indexOf(']]>', i);
      const top = stack[stack.length - 1];
      if (end === -1 || !top) throw new XmlSyntaxError('misplaced or unterminated CDATA');
      top.text += source.slice(i + 9, end);
      i = end + 3;
    } else if (source.startsWith('<!', i)) {
      throw new XmlSyntaxError('DTDs are not accepted');
    } else if (source.startsWith('</', i)) {
      const end = source.indexOf('>', i);
      if (end === -1) throw new XmlSyntaxError('unterminated end tag');
      const name = localName(source.slice(i + 2, end).trim());
      const open = stack.pop();
      if (!open || open.name !== name) throw new XmlSyntaxError(`unexpected </${name}>`);
      i = end + 1;
    } else {
      i++;
      const nameMatch = /^[A-Za-z_][\w.:-]*/.exec(source.slice(i, i + 256));
      if (!nameMatch) throw new XmlSyntaxError('bad element name');
      const element: XmlElement = { name: localName(nameMatch[0]), attributes: {}, children: [], text: '' };
      i += nameMatch[0].length;
      let selfClosing = false;
      for (;;) {
        skipSpace();
        if (source.startsWith('/>', i)) {
          selfClosing = true;
          i += 2;
          break;
        }
        if (source[i] === '>') {
          i++;
          break;
        }
        const attr = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(source.slice(i, i + 4096));
        if (!attr) throw new XmlSyntaxError(`bad attribute in <${element.name}>`);
        element.attributes[attr[1] ?? ''] = decodeEntities(attr[3] ?? attr[4] ?? '');
        i += attr[0].length;
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else if (root) throw new XmlSyntaxError('more than one root element');
      else root = element;
      if (!selfClosing) {
        stack.push(element);
        if (stack.length > MAX_DEPTH) throw new XmlSyntaxError('elements nested too deeply');
      }
    }
  }
  if (stack.length > 0) throw new XmlSyntaxError(`unclosed <${stack[stack.length - 1]?.name ?? ''}>`);
  if (!root) throw new XmlSyntaxError('no root element');
  return root;
}

/** A child-element tree to render: `[name, text]` or `[name, children]`; undefined entries are skipped. */
export type XmlNode = readonly [string, string | readonly (XmlNode | undefined)[]];

/**
 * Renders an S3 response document: the XML declaration, then `root` with the S3 namespace.
 * @example renderXml('InitiateMultipartUploadResult', [['Bucket', 'b'], ['Key', 'k'], ['UploadId', id]])
 */
export function renderXml(root: string, children: readonly (XmlNode | undefined)[], namespace: string | null = 'http://s3.amazonaws.com/doc/2006-03-01/'): string {
  const render = (nodes: readonly (XmlNode | undefined)[]): string =>
    nodes
      .filter((n): n is XmlNode => n !== undefined)
      .map(([name, value]) => `<${name}>${typeof value === 'string' ? escapeXml(value) : render(value)}</${name}>`)
      .join('');
  const ns = namespace === null ? '' : ` xmlns="${namespace}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns}>${render(children)}</${root}>`;
}
