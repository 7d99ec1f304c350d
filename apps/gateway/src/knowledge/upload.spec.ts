import { describe, expect, it } from '@jest/globals';
import { detectFormat, sanitizeFilename, UnsupportedUpload } from './upload';

const enc = (s: string) => new TextEncoder().encode(s);

describe('sanitizeFilename', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system32\\cmd.txt', 'cmd.txt'],
    ['report\u0000.txt', 'report.txt'],
    ['a\r\nb\tc.md', 'abc.md'],
    ['..', 'upload'],
    ['', 'upload'],
    ['.hidden.txt', 'hidden.txt'],
    ['evil\u202egnp.txt', 'evilgnp.txt'],
    ['what?<is>*this|".txt', 'what__is__this__.txt'],
    ['  spaced   name .txt  ', 'spaced name .txt'],
  ])('%j → %j', (raw, clean) => {
    expect(sanitizeFilename(raw)).toBe(clean);
  });

  it('caps the length and keeps the extension', () => {
    const name = sanitizeFilename(`${'x'.repeat(400)}.pdf`);
    expect(name.length).toBe(255);
    expect(name.endsWith('.pdf')).toBe(true);
  });
});

describe('detectFormat', () => {
  it('uses the extension, then the content type', () => {
    expect(detectFormat('a.md', 'application/octet-stream', enc('# hi'))).toBe('markdown');
    expect(detectFormat('a.HTML', undefined, enc('<p>'))).toBe('html');
    expect(detectFormat('data', 'application/json; charset=utf-8', enc('{}'))).toBe('json');
    expect(detectFormat('x.pdf', 'application/pdf', enc('%PDF-1.7'))).toBe('pdf');
    expect(detectFormat('notes', 'text/plain', enc('hello'))).toBe('text');
  });

  it('refuses unknown types, binary text and disguised PDFs', () => {
    expect(() => detectFormat('a.png', 'image/png', enc('x'))).toThrow(UnsupportedUpload);
    expect(() => detectFormat('a.exe', 'application/octet-stream', enc('MZ'))).toThrow(UnsupportedUpload);
    expect(() => detectFormat('a.txt', 'text/plain', new Uint8Array([0x41, 0, 0x42]))).toThrow(/binary/);
    expect(() => detectFormat('a.txt', 'text/plain', enc('%PDF-1.4'))).toThrow(/is a PDF/);
  });
});
