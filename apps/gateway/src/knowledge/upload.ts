import { createHash } from 'node:crypto';
import path from 'node:path';
import type { DocumentFormat } from '@platform/contracts';

/** What multer hands the controller for each file part (memory storage). */
export interface UploadedPart {
  fieldname: string;
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

/** The upload is not a format the ingestor can parse (→ 415). */
export class UnsupportedUpload extends Error {}

const BY_EXTENSION: Record<string, DocumentFormat> = {
  '.txt': 'text',
  '.text': 'text',
  '.log': 'text',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.pdf': 'pdf',
  '.json': 'json',
};

const BY_MIME: Record<string, DocumentFormat> = {
  'text/plain': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/pdf': 'pdf',
  'application/json': 'json',
};

export const CONTENT_TYPE_OF: Record<DocumentFormat, string> = {
  text: 'text/plain',
  markdown: 'text/markdown',
  html: 'text/html',
  pdf: 'application/pdf',
  json: 'application/json',
};

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Bidirectional overrides and zero-width characters: they make a name display as something it is not. */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * A filename safe to store, show and put in a report: the last path segment only (no `../`), no
 * control, bidi-override or zero-width characters, no leading dots, Windows-reserved characters
 * replaced, at most 255 characters with the extension kept. Never empty.
 */
export function sanitizeFilename(raw: string | undefined | null): string {
  let name = String(raw ?? '')
    .normalize('NFC')
    .replace(CONTROL, '')
    .replace(INVISIBLE, '');
  name = name.split(/[/\\]/).pop() ?? '';
  name = name
    .replace(/[<>:"|?*]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (!name) return 'upload';
  if (name.length > 255) {
    const ext = path.extname(name).slice(0, 16);
    name = name.slice(0, 255 - ext.length) + ext;
  }
  return name;
}

function startsWith(bytes: Uint8Array, text: string): boolean {
  if (bytes.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The first 8 KiB has NUL bytes and no UTF-16 byte-order mark: binary, whatever the name says. */
function looksBinary(bytes: Uint8Array): boolean {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) return false;
  const n = Math.min(bytes.length, 8192);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}

/**
 * Decides how the ingestor parses a file: by extension, then by declared content type; the bytes
 * must agree (a PDF starts with `%PDF-`, text has no NUL bytes). Throws `UnsupportedUpload` for
 * anything else. A `.pdf` that is damaged past its header is accepted and fails its document with
 * the parser's reason.
 */
export function detectFormat(filename: string, mimetype: string | undefined, bytes: Uint8Array): DocumentFormat {
  const ext = path.extname(filename).toLowerCase();
  const mime = (mimetype ?? '').split(';')[0].trim().toLowerCase();
  const format = BY_EXTENSION[ext] ?? BY_MIME[mime];
  if (!format) {
    throw new UnsupportedUpload(`Unsupported file type for '${filename}': use plain text, Markdown, HTML, PDF or JSON`);
  }
  if (format === 'pdf') return 'pdf';
  if (startsWith(bytes, '%PDF-')) throw new UnsupportedUpload(`'${filename}' is a PDF; upload it with a .pdf name or application/pdf type`);
  if (looksBinary(bytes)) throw new UnsupportedUpload(`'${filename}' is binary, not ${format}`);
  return format;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
