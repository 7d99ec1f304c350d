/**
 * The Grafana dashboard (k8s/grafana) and docs/operations.md against the code: every metric a panel
 * queries is one a service registers (or a prom-client default), and docs/operations.md explains it.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = process.cwd();
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(join(ROOT, p)).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.spec.ts') ? [p] : [];
  });
}

/** Metric names the code registers (`name: 'x'` in a metric definition). */
const REGISTERED = new Set(
  [...sources('apps'), ...sources('libs')].flatMap((f) => [...read(f).matchAll(/\bname: '([a-z_]+)',\s*\n?\s*help:/g)].map((m) => m[1])),
);
const DEFAULTS = /^(process|nodejs)_/;
const SUFFIX = /_(bucket|sum|count)$/;

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(read('k8s/grafana/agent-platform-dashboard.json')) as { panels: Panel[]; uid: string };
const PROMQL_WORDS = new Set(['sum', 'by', 'rate', 'increase', 'max', 'histogram_quantile', 'le', 'deriv', 'without', 'on']);

function metricsOf(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '');
  const withoutBy = withoutLabels.replace(/\bby \([^)]*\)/g, '');
  return [...withoutBy.matchAll(/\b([a-z][a-z0-9_]*)\b/g)].map((m) => m[1]).filter((w) => !PROMQL_WORDS.has(w) && w.includes('_'));
}

describe('Grafana dashboard', () => {
  const queried = dashboard.panels.flatMap((p) =>
    (p.targets ?? []).flatMap((t) => metricsOf(t.expr).map((m) => ({ panel: p.title, metric: m.replace(SUFFIX, '') }))),
  );

  it('queries only metrics the services register', () => {
    expect(queried.length).toBeGreaterThan(20);
    const unknown = queried.filter((q) => !DEFAULTS.test(q.metric) && !REGISTERED.has(q.metric));
    expect(unknown).toEqual([]);
  });

  it('has a panel for each service and every metric it queries is explained in docs/operations.md', () => {
    const doc = read('docs/operations.md');
    const undocumented = [...new Set(queried.map((q) => q.metric))].filter((m) => !DEFAULTS.test(m) && !doc.includes(`\`${m}\``));
    expect(undocumented).toEqual([]);
    for (const prefix of ['http_request', 'gateway_', 'job', 'model_', 'coordinator_', 'knowledge_'])
      expect(queried.some((q) => q.metric.startsWith(prefix))).toBe(true);
  });

  it('every metric the services register is explained in docs/operations.md', () => {
    const doc = read('docs/operations.md');
    expect([...REGISTERED].filter((m) => !doc.includes(`\`${m}\``))).toEqual([]);
  });
});
