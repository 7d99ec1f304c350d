import { describe, expect, it } from '@jest/globals';
import { decodeText, extractText, jsonToText, ParseError } from './parsers';
import { minimalPdf } from './pdf-fixture';

const enc = (s: string) => new TextEncoder().encode(s);

describe('parsers', () => {
  it('decodes UTF-8 with BOM and UTF-16LE', () => {
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]))).toBe('hi');
    expect(decodeText(new Uint8Array([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00]))).toBe('hi');
  });

  it('flattens JSON into path: value lines', () => {
    expect(jsonToText({ a: { b: 'x', c: [1, true] }, d: null })).toBe('a.b: x\na.c[0]: 1\na.c[1]: true');
  });

  it('fails invalid JSON with a ParseError', async () => {
    await expect(extractText('json', enc('{"a":'))).rejects.toBeInstanceOf(ParseError);
  });

  it('converts HTML to text without scripts', async () => {
    const text = await extractText(
      'html',
      enc('<html><head><script>evil()</script></head><body><h1>Title</h1><p>Hello <a href="http://x">link</a></p></body></html>'),
    );
    expect(text).toContain('Hello link');
    expect(text).not.toContain('evil');
    expect(text).not.toContain('http://x');
  });

  it('fails a damaged PDF with the reason', async () => {
    await expect(extractText('pdf', enc('%PDF-1.4 this is not a pdf'))).rejects.toThrow(/PDF could not be parsed/);
  });

  it('extracts the text layer of a PDF', async () => {
    const text = await extractText('pdf', minimalPdf('Hello tidal energy'));
    expect(text).toContain('Hello tidal energy');
  });
});
