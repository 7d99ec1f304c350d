#!/usr/bin/env node
// `npm run bench [-- <name>…]`: run benchmarks.
//
//   npm run bench                      # the job engine, all five (bench/jobs.mjs)
//   npm run bench -- submit            # one job benchmark: submit, append, replay, live, memory (or seq)
//   npm run bench -- replay live       # several, in one run against one stack
//   npm run bench -- coordinator       # bench/coordinator.mjs (also: knowledge, jobs)
//   npm run bench -- all               # jobs, then knowledge, then coordinator
//
// Exits with the benchmark's exit code (the worst one for `all`); SIGINT/SIGTERM are forwarded so the
// benchmark can stop what it started.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOB_BENCHMARK_NAMES } from '../bench/jobs/index.mjs';

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const files = fs
  .readdirSync(BENCH_DIR)
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => f.slice(0, -4));

let current;
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => current?.kill(sig));

function runFile(name, args) {
  return new Promise((resolve) => {
    current = spawn(process.execPath, [path.join(BENCH_DIR, `${name}.mjs`), ...args], { stdio: 'inherit' });
    current.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const args = process.argv.slice(2).map((a) => a.replace(/\.mjs$/, ''));
let code;
if (args[0] === 'all') {
  code = 0;
  for (const name of ['jobs', 'knowledge', 'coordinator']) code = Math.max(code, await runFile(name, []));
} else if (args.length > 0 && files.includes(args[0])) {
  code = await runFile(args[0], args.slice(1));
} else if (args.every((a) => a.startsWith('-') || JOB_BENCHMARK_NAMES.includes(a))) {
  code = await runFile('jobs', args);
} else {
  const unknown = args.filter((a) => !a.startsWith('-') && !JOB_BENCHMARK_NAMES.includes(a));
  console.error(`[bench] unknown benchmark ${unknown.join(', ')} (benches: ${files.join(', ')}, all; job benchmarks: ${JOB_BENCHMARK_NAMES.join(', ')})`);
  code = 2;
}
process.exit(code);
