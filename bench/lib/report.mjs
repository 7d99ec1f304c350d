// Progress lines, size knobs, and the results table every benchmark prints at the end.
import fs from 'node:fs';
import os from 'node:os';

const QUICK = ['1', 'true'].includes(process.env.BENCH_QUICK ?? '');

/** `[bench HH:MM:SS] message` on stdout. */
export const log = (msg) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A numeric knob from the environment: `name` when set, else `full`, or `quick` under BENCH_QUICK=1
 * (a reduced size that runs every figure in a few minutes, for checking that the bench works).
 */
export function knob(name, full, quick = full) {
  const raw = process.env[name];
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`${name}=${raw} is not a number`);
    return n;
  }
  return QUICK ? quick : full;
}

/** The machine a run was measured on (printed with the results). */
export function machine() {
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: os.cpus()[0]?.model,
    node: process.version,
    loadavg: os.loadavg().map((x) => +x.toFixed(2)),
    quick: QUICK,
  };
}

/**
 * What a run measured: `figures` (everything, for JSON) and the summary rows. A row with a target is
 * a verdict (PASS/FAIL, and the exit code); `info` rows are printed with their baseline and ratio only.
 */
export class Results {
  rows = [];
  figures = {};

  /** A figure checked against a target. */
  verdict(name, { value, unit = '', baseline = '—', ratio = '—', target, pass }) {
    this.rows.push({ name, value, unit, baseline, ratio, target, pass: !!pass });
    log(`${pass ? 'PASS' : 'FAIL'} ${name}: ${value} ${unit} (baseline ${baseline}, ratio ${ratio}, target ${target})`);
  }

  /** A figure reported for information. */
  info(name, { value, unit = '', baseline = '—', ratio = '—' }) {
    this.rows.push({ name, value, unit, baseline, ratio, target: 'info', pass: null });
    log(`info ${name}: ${value} ${unit} (baseline ${baseline}, ratio ${ratio})`);
  }

  get failed() {
    return this.rows.some((r) => r.pass === false);
  }

  /** Prints the markdown table and the figures; writes them to BENCH_JSON when set. */
  print(title) {
    const m = machine();
    console.log(`\n${title} — ${m.date}, ${m.nproc} cores (${m.cpu}), Node ${m.node}, load ${m.loadavg.join(' ')}${m.quick ? ', BENCH_QUICK' : ''}\n`);
    console.log('| figure | value | baseline | ratio | target | result |');
    console.log('|---|---|---|---|---|---|');
    for (const r of this.rows)
      console.log(`| ${r.name} | ${r.value} ${r.unit} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.pass === null ? '—' : r.pass ? 'PASS' : 'FAIL'} |`);
    console.log(`\n${JSON.stringify({ machine: m, figures: this.figures }, null, 2)}`);
    if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ machine: m, figures: this.figures, rows: this.rows }, null, 2));
  }
}

/** `a / b` to two decimals, as printed in the ratio column. */
export const ratio = (a, b) => (b ? (a / b).toFixed(2) : '—');
