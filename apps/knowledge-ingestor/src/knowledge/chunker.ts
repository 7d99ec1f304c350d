/** Characters Postgres `text` cannot hold, and other control characters that only add noise to the index. */

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** Normalises extracted text: no NULs or control characters, unix newlines, no runs of blank space. */
export function normalizeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, ' ')
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Splits text into chunks of about `size` characters, each starting `overlap` characters before the
 * previous one ended. Cuts prefer a paragraph break, then a line or sentence end, then a space, in
 * the second half of the window, so chunks rarely split a word or sentence.
 */
export function chunkText(text: string, size = 1000, overlap = 150): string[] {
  if (overlap >= size) overlap = Math.floor(size / 4);
  const chunks: string[] = [];
  const len = text.length;
  let pos = 0;
  while (pos < len) {
    let end = Math.min(pos + size, len);
    if (end < len) end = breakPoint(text, pos + Math.floor(size / 2), end);
    const chunk = text.slice(pos, end).trim();
    if (chunk) chunks.push(chunk);
    if (end >= len) break;
    let next = Math.max(end - overlap, pos + 1);
    // Start the next chunk on a word boundary.
    if (next < end && !/\s/.test(text[next - 1] ?? ' ')) {
      const space = text.slice(next, end).search(/\s/);
      next = space === -1 ? end : next + space + 1;
    }
    pos = next;
  }
  return chunks;
}

function breakPoint(text: string, min: number, max: number): number {
  const window = text.slice(min, max);
  for (const sep of ['\n\n', '\n', '. ', '? ', '! ', '; ', ' ']) {
    const at = window.lastIndexOf(sep);
    if (at !== -1) return min + at + sep.length;
  }
  return max;
}
