#!/usr/bin/env node
// `npm run bench [-- <name>] [-- args…]`: run one benchmark from bench/<name>.mjs, arguments passed
// through. Without a name (or when the first argument is an option) it runs bench/jobs.mjs.
//
//   npm run bench                 # bench/jobs.mjs (job engine)
//   npm run bench -- jobs         # the same
//   npm run bench -- coordinator  # bench/coordinator.mjs
//   npm run bench -- knowledge    # bench/knowledge.mjs
//
// Exits with the benchmark's exit code; SIGINT/SIGTERM are forwarded so the benchmark can clean up.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const available = () =>
  fs
    .readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => f.slice(0, -4));

let args = process.argv.slice(2);
let name = 'jobs';
if (args.length > 0 && !args[0].startsWith('-')) {
  name = args[0].replace(/\.mjs$/, '');
  args = args.slice(1);
}
const file = path.join(BENCH_DIR, `${name}.mjs`);
if (!/^[\w-]+$/.test(name) || !fs.existsSync(file)) {
  console.error(`[bench] unknown benchmark "${name}" (available: ${available().join(', ')})`);
  process.exit(2);
}

const child = spawn(process.execPath, [file, ...args], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
