import type { DocumentFormat } from '@platform/contracts';

/** The upload cannot be turned into text: permanent, never retried; the document ends `failed` with this reason. */
export class ParseError extends Error {
  override name = 'ParseError';
}

/** Decodes text bytes: UTF-8 (BOM or not), or UTF-16 when it starts with a UTF-16 BOM. */
export function decodeText(bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  return new TextDecoder('utf-8').decode(bytes);
}

/** JSON → one `path: value` line per scalar, so keys and values are both searchable. */
export function jsonToText(value: unknown): string {
  const lines: string[] = [];
  const stack: [string, unknown][] = [['', value]];
  while (stack.length > 0) {
    const [path, v] = stack.pop()!;
    if (v !== null && typeof v === 'object') {
      const entries = Array.isArray(v)
        ? v.map((x, i) => [`${path}[${i}]`, x] as [string, unknown])
        : Object.entries(v).map(([k, x]) => [path ? `${path}.${k}` : k, x] as [string, unknown]);
      for (let i = entries.length - 1; i >= 0; i--) stack.push(entries[i]);
    } else if (v !== null && v !== undefined) {
      lines.push(path ? `${path}: ${String(v)}` : String(v));
    }
  }
  return lines.join('\n');
}

export async function htmlToText(html: string): Promise<string> {
  const { convert } = await import('html-to-text');
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
    ],
  });
}

export async function pdfToText(bytes: Uint8Array): Promise<string> {
  const { extractText, getDocumentProxy } = await import('unpdf');
  let text: string;
  try {
    const pdf = await getDocumentProxy(new Uint8Array(bytes));
    try {
      text = (await extractText(pdf, { mergePages: true })).text;
    } finally {
      await pdf.destroy().catch(() => undefined);
    }
  } catch (err) {
    throw new ParseError(`PDF could not be parsed: ${(err as Error)?.message ?? String(err)}`);
  }
  if (!text.trim()) throw new ParseError('PDF has no text layer (scanned images are not supported)');
  return text;
}

/** Turns the bytes of one upload into plain text. Runs in-process or inside a parse worker thread. */
export async function extractText(format: DocumentFormat, bytes: Uint8Array): Promise<string> {
  switch (format) {
    case 'text':
    case 'markdown':
      return decodeText(bytes);
    case 'html':
      return htmlToText(decodeText(bytes));
    case 'json': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(decodeText(bytes).replace(/^\uFEFF/, ''));
      } catch (err) {
        throw new ParseError(`Invalid JSON: ${(err as Error).message}`);
      }
      return jsonToText(parsed);
    }
    case 'pdf':
      return pdfToText(bytes);
    default:
      throw new ParseError(`Unsupported format '${String(format)}'`);
  }
}
