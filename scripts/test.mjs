#!/usr/bin/env node
// `npm test [-- <jest args>]`: make the infrastructure reachable (reusing running servers), build
// the apps that changed, apply migrations, then run Jest in ESM mode with the arguments passed
// through. The apps are not started here: the e2e suites start what they need on their own ports.
//
// Tests are isolated from a developer's running stack (see testUrls in lib/stack.mjs): database
// `platform_test` on the same Postgres, Redis db 1, and a separate NATS server on port 14222 (started
// here when not running), because apps of a running stack on the shared NATS would answer the tests'
// requests. Migrations are applied to the test database.
//
// The Jest process gets the caller's environment with TEST_DATABASE_URL / TEST_NATS_URL /
// TEST_REDIS_URL (each kept when the caller set it), DATABASE_URL / NATS_URL / REDIS_URL set to those
// same test values, and STACK_PREPARED=1 (servers ensured, apps built, migrations applied). Exits
// with Jest's exit code. With CI=true, servers this run started are stopped at the end; otherwise
// they are left running for the next run (npm run stack:down stops them).
//
// Each run resets the test database's service schemas and the test Redis db before migrating.
//
// The browser tests (`--selectProjects browser`) also need Chromium: scripts/lib/chromium.mjs finds it
// or installs it with apt (`apt-get install -y chromium`, as root), and says loudly when it cannot.
//
// `npm test -- --selectProjects unit` skips the preparation (unit tests need no servers), as does
// TEST_SKIP_PREPARE=1. `--selectProjects faults` (npm run test:faults) only builds: the fault suite
// starts and kills servers of its own (test/support/fault-infra.ts), never the shared ones.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { ensureChromium } from './lib/chromium.mjs';
import { ROOT, build, ensureInfra, migrate, resetTestState, selectedApps, stackEnv, stopInfra, testUrls } from './lib/stack.mjs';

const args = process.argv.slice(2);
const ci = ['1', 'true'].includes((process.env.CI ?? '').toLowerCase());

/** The projects named after --selectProjects (all of them when absent). */
function selectedProjects(argv) {
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--selectProjects') {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) out.push(argv[++i]);
    } else if (argv[i].startsWith('--selectProjects=')) {
      out.push(...argv[i].slice('--selectProjects='.length).split(','));
    }
  }
  return out;
}

const projects = selectedProjects(args);
const unitOnly = projects.length > 0 && projects.every((p) => p === 'unit');
const prepare = !unitOnly && process.env.TEST_SKIP_PREPARE !== '1';
// The fault suite (`npm run test:faults`) starts servers of its own: it needs the apps built, not the shared servers.
const faultsOnly = projects.includes('faults') && projects.every((p) => p === 'unit' || p === 'faults');

const urls = testUrls(process.env);
const env = {
  ...stackEnv(process.env),
  ...urls,
  DATABASE_URL: urls.TEST_DATABASE_URL,
  NATS_URL: urls.TEST_NATS_URL,
  REDIS_URL: urls.TEST_REDIS_URL,
};
let started = [];

// The browser tests (test/browser/, jest project `browser`) drive Debian's Chromium: found, or installed
// with apt when missing; without one they skip, and ensureChromium says so loudly.
const wantsBrowser = projects.length === 0 || projects.includes('browser');
if (wantsBrowser && prepare) {
  try {
    const chrome = ensureChromium(process.env);
    if (chrome) env.CHROME_PATH = chrome;
    else env.BROWSER_TESTS_SKIP = 'no Chromium on this machine and no way to install it (see the warning above)';
  } catch (err) {
    console.error(`[test] preparation failed: ${err.message}`);
    process.exit(1);
  }
}

async function cleanup() {
  if (ci && started.length) await stopInfra(started).catch((err) => console.error(`[test] stopping servers failed: ${err.message}`));
}

try {
  if (prepare && faultsOnly) {
    const t0 = Date.now();
    await build({ apps: ['gateway', 'job-runner'] });
    console.log(`[test] prepared in ${((Date.now() - t0) / 1000).toFixed(1)} s (fault suite: its own servers, no shared ones)`);
  } else if (prepare) {
    const t0 = Date.now();
    // Postgres and Redis are the stack's (DATABASE_URL / REDIS_URL); NATS is the test one.
    const infra = await ensureInfra({ env: process.env, only: ['postgres', 'redis', 'nats-test'], databases: [urls.TEST_DATABASE_URL] });
    started = infra.started;
    env.STACK_PREPARED = '1';
    const apps = selectedApps(env);
    await build({ apps });
    // Every run starts from migrations on an empty test database (TEST_KEEP_STATE=1 keeps it).
    if (process.env.TEST_KEEP_STATE !== '1') await resetTestState(urls);
    await migrate({ env, apps });
    console.log(`[test] prepared in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
} catch (err) {
  console.error(`[test] preparation failed: ${err.message}`);
  started.push(...(err.started ?? []));
  await cleanup();
  process.exit(err.exitCode ?? 1);
}

const jestBin = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const child = spawn(process.execPath, ['--experimental-vm-modules', jestBin, '--runInBand', ...args], { cwd: ROOT, env, stdio: 'inherit' });

// Ctrl-C reaches Jest through the terminal; a SIGTERM sent to us alone is passed on.
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    interrupted = true;
    child.kill(sig);
  });
}

const code = await new Promise((resolve) => {
  child.on('error', (err) => {
    console.error(`[test] could not run jest: ${err.message}`);
    resolve(1);
  });
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1)));
});
await cleanup();
process.exit(interrupted && code === 0 ? 130 : code);
