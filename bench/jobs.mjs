#!/usr/bin/env node
// Job engine benchmarks: each figure against its baseline measured on the same machine in the same
// run, printed as value / baseline / ratio / target / PASS|FAIL, with the CPU each costs in every process.
//
//   npm run build                         # gateway + job-runner in dist/
//   npm run bench                         # all five: submit, append, replay, live, memory
//   npm run bench -- submit               # one (or several: npm run bench -- replay live)
//   BENCH_QUICK=1 npm run bench           # reduced sizes, a few minutes
//
// One file per benchmark in bench/jobs/ (see bench/jobs/index.mjs); the stack they run against is
// bench/jobs/setup.mjs; the harness (services, load, CPU, results) is bench/lib/. Knobs: bench/README.md.
import { selectJobBenchmarks } from './jobs/index.mjs';
import { startJobStack } from './jobs/setup.mjs';
import { log, Results } from './lib/report.mjs';
import { Services } from './lib/services.mjs';

const names = [...process.argv.slice(2), ...(process.env.BENCH_ONLY ?? '').split(',')].map((s) => s.trim()).filter(Boolean);
const benchmarks = selectJobBenchmarks(names);
const results = new Results();
const services = new Services('jobs');
try {
  log(`job benchmarks: ${benchmarks.map((b) => b.name).join(', ')}`);
  const ctx = await startJobStack(services, { memoryGateway: benchmarks.some((b) => b.needs?.memoryGateway) });
  for (const b of benchmarks) {
    log(`── ${b.name} ──`);
    await (
      await b.load()
    )(ctx, results);
  }
  results.print('Job engine benchmark');
  process.exitCode = results.failed ? 1 : 0;
} catch (err) {
  console.error(err);
  if (results.rows.length) results.print('Job engine benchmark (incomplete)');
  process.exitCode = 2;
} finally {
  await services.stop();
}
// Clients are closed; exit in case a library keeps a timer alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
