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
    return Scrape.parse(await res.text());
  }

  /**
   * Parses exposition text. parse-prometheus-text-format 1.1.1 folds all of a histogram's series into one
   * unlabelled sample (it handles histograms without labels only), so histograms are declared `untyped`
   * before parsing: their `_bucket`, `_sum` and `_count` series are then read as they are, labels kept.
   */
  static parse(text: string): Scrape {
    const histograms = [...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1]);
    const families = parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'));
    // The parser names an untyped family after its HELP line (no samples); mark those as the histograms they are.
    for (const f of families) if (histograms.includes(f.name)) f.type = 'HISTOGRAM';
    return new Scrape(families, text);
  }

  family(name: string): PromFamily | undefined {
    return this.families.find((f) => f.name === name);
  }

  /** Every sample named `name` (a histogram's `_count` lines come in several runs, one per label set). */
  private samples(name: string) {
    return this.families.filter((f) => f.name === name).flatMap((f) => f.metrics);
  }

  private seriesName(name: string, field: 'value' | 'count' | 'sum'): string {
    if (this.family(name)?.type !== 'HISTOGRAM') return name;
    return `${name}_${field === 'sum' ? 'sum' : 'count'}`;
  }

  /**
   * The sum over the series of `name` whose labels include `labels`: a counter's or gauge's value, a
   * histogram's `count` (or `sum`). 0 when there is no such series.
   */
  value(name: string, labels: Record<string, string> = {}, field: 'value' | 'count' | 'sum' = 'value'): number {
    return this.samples(this.seriesName(name, field))
      .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      .reduce((n, m) => n + Number(m.value ?? 0), 0);
  }

  /** The label sets of `name`'s series (a histogram's: those of its `_count` series). */
  series(name: string): Record<string, string>[] {
    return this.samples(this.seriesName(name, 'count')).map((m) => m.labels ?? {});
  }
}

/** How much `name{labels}` moved between two scrapes. */
export const delta = (before: Scrape, after: Scrape, name: string, labels: Record<string, string> = {}, field: 'value' | 'count' | 'sum' = 'value'): number =>
  after.value(name, labels, field) - before.value(name, labels, field);
