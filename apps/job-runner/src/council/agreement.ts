/* How much a council's answers agree: mean pairwise cosine similarity of their vectors (embeddings, or TF-IDF). */

export type Confidence = 'high' | 'medium' | 'low';

/** Lower-case word tokens (letters and digits, any script). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * TF-IDF vectors of the documents over their joint vocabulary: term frequency (count / length) times
 * smoothed inverse document frequency `ln((1 + n) / (1 + df)) + 1`, so a word every answer uses still
 * counts (with a small weight) and identical answers come out identical.
 */
export function tfIdfVectors(docs: string[]): number[][] {
  const tokens = docs.map(tokenize);
  const vocab = new Map<string, number>();
  const df = new Map<string, number>();
  for (const words of tokens) {
    for (const w of new Set(words)) {
      if (!vocab.has(w)) vocab.set(w, vocab.size);
      df.set(w, (df.get(w) ?? 0) + 1);
    }
  }
  const n = docs.length;
  return tokens.map((words) => {
    const v = new Array<number>(vocab.size).fill(0);
    for (const w of words) v[vocab.get(w)!] += 1;
    for (const [w, i] of vocab) if (v[i] > 0) v[i] = (v[i] / words.length) * (Math.log((1 + n) / (1 + df.get(w)!)) + 1);
    return v;
  });
}

/** Cosine similarity, clamped to [0, 1] (a zero vector is similar to nothing). */
export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) return 0;
  return Math.min(1, Math.max(0, dot / Math.sqrt(na * nb)));
}

/** Similarity of every pair (a symmetric matrix, 1 on the diagonal). */
export function similarityMatrix(vectors: number[][]): number[][] {
  return vectors.map((a, i) => vectors.map((b, j) => (i === j ? 1 : cosine(a, b))));
}

/** Mean of the off-diagonal similarities; null with fewer than two vectors. */
export function meanPairwise(matrix: number[][]): number | null {
  const n = matrix.length;
  if (n < 2) return null;
  let sum = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) sum += matrix[i][j];
  return round4(sum / ((n * (n - 1)) / 2));
}

/** Each answer's mean similarity to the others (1 for a lone answer). */
export function agreementWithOthers(matrix: number[][]): number[] {
  const n = matrix.length;
  if (n < 2) return matrix.map(() => 1);
  return matrix.map((row, i) => row.reduce((s, v, j) => (j === i ? s : s + v), 0) / (n - 1));
}

export function confidenceOf(agreement: number, thresholds: { high: number; medium: number }): Confidence {
  if (agreement >= thresholds.high) return 'high';
  if (agreement >= thresholds.medium) return 'medium';
  return 'low';
}

export const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
