/**
 * A small well-formedness check for the chart, since no XML parser is installed: elements
 * nest and close, there is one root, attribute values are quoted, and `&` only starts an
 * entity. Returns the problems found (empty when well formed) and the element names in order.
 */
const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
const token = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<\/?[^>]*>|[^<]+/g;
const startTag = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_:][\w.:-]*="[^"<]*")*)\s*(\/?)>$/;
const endTag = /^<\/([A-Za-z_][\w.-]*)\s*>$/;

export interface XmlCheck {
  readonly problems: string[];
  readonly elements: string[];
}

export function checkXml(text: string): XmlCheck {
  const problems: string[] = [];
  const elements: string[] = [];
  const open: string[] = [];
  let roots = 0;
  for (const [piece] of text.matchAll(token)) {
    if (piece.startsWith('<!--') || piece.startsWith('<?')) continue;
    if (!piece.startsWith('<')) {
      if (piece.replace(entity, '').includes('&')) problems.push(`bare & in ${piece}`);
      if (open.length === 0 && piece.trim() !== '') problems.push(`text outside root: ${piece}`);
      continue;
    }
    const end = endTag.exec(piece);
    if (end !== null) {
      const expected = open.pop();
      if (expected !== end[1]) problems.push(`</${end[1]}> closes <${expected}>`);
      continue;
    }
    const start = startTag.exec(piece);
    if (start === null) {
      problems.push(`malformed tag ${piece}`);
      continue;
    }
    if (start[2]!.replace(entity, '').includes('&')) problems.push(`bare & in ${piece}`);
    if (open.length === 0) roots++;
    elements.push(start[1]!);
    if (start[3] !== '/') open.push(start[1]!);
  }
  if (open.length > 0) problems.push(`unclosed ${open.join(', ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return { problems, elements };
}
