import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';

/** One scrape of a `/metrics` endpoint, parsed with a Prometheus text-format parser. */
export class Scrape {
  constructor(
    readonly families: PromFamily[],
    readonly text: string,
  ) {}

  static async of(url: string): Promise<Scrape> {
    const res = await fetch(url);
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    const type = res.headers.get('content-type') ?? '';
    if (!type.startsWith('text/plain')) throw new Error(`${url}: content-type ${type}`);
    const text = await res.text();
    return new Scrape(parsePrometheusTextFormat(text), text);
  }

  family(name: string): PromFamily | undefined {
    return this.families.find((f) => f.name === name);
  }

  /**
   * The sum over the series of `name` whose labels include `labels`: a counter's or gauge's value, a
   * histogram's `count` (or `sum`). 0 when there is no such series.
   */
  value(name: string, labels: Record<string, string> = {}, field: 'value' | 'count' | 'sum' = 'value'): number {
    const f = this.family(name);
    if (!f) return 0;
    const pick = f.type === 'HISTOGRAM' && field === 'value' ? 'count' : field;
    return f.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)).reduce((n, m) => n + Number(m[pick] ?? 0), 0);
  }

  /** The label sets of `name`'s series. */
  series(name: string): Record<string, string>[] {
    return (this.family(name)?.metrics ?? []).map((m) => m.labels ?? {});
  }
}

/** How much `name{labels}` moved between two scrapes. */
export const delta = (before: Scrape, after: Scrape, name: string, labels: Record<string, string> = {}, field: 'value' | 'count' | 'sum' = 'value'): number =>
  after.value(name, labels, field) - before.value(name, labels, field);
