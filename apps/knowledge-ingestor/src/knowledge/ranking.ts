/**
 * Builds a `to_tsquery` expression that ORs the query's words, so a natural-language question
 * ("what did the report say about tidal energy?") matches chunks that contain any of its terms;
 * `ts_rank_cd` then favours chunks that contain more of them, closer together. Words are letters and
 * digits only, so the expression cannot be malformed. Returns null when nothing searchable is left.
 */
export function orTsQuery(query: string, maxTerms = 64): string | null {
  return tsQuery(query, ' | ', maxTerms);
}

/** The same words AND-ed: the precise first pass of a search (see KnowledgeService.search). */
export function andTsQuery(query: string, maxTerms = 64): string | null {
  return tsQuery(query, ' & ', maxTerms);
}

function tsQuery(query: string, op: string, maxTerms: number): string | null {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const unique = [...new Set(words.map((w) => w.slice(0, 100)))].slice(0, maxTerms);
  return unique.length ? unique.map((w) => `'${w}'`).join(op) : null;
}

export interface Ranked {
  key: string;
}

/**
 * Reciprocal rank fusion: each list contributes 1 / (k + rank) for every item it ranks. Needs no
 * score calibration between full-text rank and cosine similarity, which live on unrelated scales.
 */
export function reciprocalRankFusion(lists: string[][], k = 60): Map<string, number> {
  const scores = new Map<string, number>();
  for (const list of lists) {
    list.forEach((key, i) => scores.set(key, (scores.get(key) ?? 0) + 1 / (k + i + 1)));
  }
  return scores;
}

/** Scales a vector to unit length so cosine similarity is a dot product (done in SQL by knowledge.dot). */
export function normalize(v: number[]): number[] {
  let sum = 0;
  for (const x of v) sum += x * x;
  const n = Math.sqrt(sum);
  return n > 0 ? v.map((x) => x / n) : v;
}

/** A float4[] literal for Postgres. */
export function pgFloatArray(v: number[]): string {
  return `{${v.map((x) => (Number.isFinite(x) ? x : 0)).join(',')}}`;
}
