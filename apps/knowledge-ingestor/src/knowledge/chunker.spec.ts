import { describe, expect, it } from '@jest/globals';
import { chunkText, normalizeText } from './chunker';

describe('normalizeText', () => {
  it('removes NUL and control characters and collapses blank space', () => {
    expect(normalizeText('a\u0000b\r\nc\t\td\n\n\n\ne')).toBe('a b\nc d\n\ne');
  });
});

describe('chunkText', () => {
  const words = Array.from({ length: 2000 }, (_, i) => `word${i}`).join(' ');

  it('returns one chunk for short text and none for empty text', () => {
    expect(chunkText('hello world', 100, 10)).toEqual(['hello world']);
    expect(chunkText('', 100, 10)).toEqual([]);
  });

  it('keeps chunks near the target size, overlapping, without splitting words', () => {
    const chunks = chunkText(words, 500, 100);
    expect(chunks.length).toBeGreaterThan(20);
    chunks.forEach((c, i) => {
      expect(c.length).toBeLessThanOrEqual(500);
      if (i < chunks.length - 1) expect(c.length).toBeGreaterThan(200);
      for (const w of c.split(' ')) expect(w).toMatch(/^word\d+$/);
    });
    for (let i = 1; i < chunks.length; i++) {
      const prevLast = chunks[i - 1].split(' ').slice(-1)[0];
      // The next chunk starts before the previous one ended: its words overlap.
      expect(chunks[i].includes(prevLast)).toBe(true);
    }
    // Every word is covered.
    const all = new Set(chunks.flatMap((c) => c.split(' ')));
    expect(all.size).toBe(2000);
  });

  it('prefers paragraph breaks', () => {
    const text = `${'a '.repeat(200)}\n\n${'b '.repeat(200)}`;
    const chunks = chunkText(text, 600, 50);
    expect(chunks[0].endsWith('a')).toBe(true);
  });

  it('terminates on text without spaces and with overlap >= size', () => {
    const chunks = chunkText('x'.repeat(10_000), 1000, 5000);
    expect(chunks.length).toBeGreaterThanOrEqual(10);
    expect(chunks.join('').length).toBeGreaterThanOrEqual(10_000);
  });
});
