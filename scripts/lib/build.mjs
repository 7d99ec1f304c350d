// Building the apps (`nest build <app>`, skipped when up to date) and applying their migrations.

import fs from 'node:fs';
import path from 'node:path';
import { APPS, ROOT, STAMPS_DIR, appEntry, assertApp, selectedApps, stackEnv } from './config.mjs';
import { indent, log } from './log.mjs';
import { run } from './processes.mjs';

/** Newest mtime (ms) among files and directories under `p` (directories count: deletions change them). */
function newestMtime(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  let newest = stat.mtimeMs;
  if (stat.isDirectory()) {
    for (const entry of fs.readdirSync(p)) {
      if (entry === 'node_modules' || entry.endsWith('.spec.ts')) continue;
      newest = Math.max(newest, newestMtime(path.join(p, entry)));
    }
  }
  return newest;
}

/** The debug console's Vite config (apps/gateway/console): built with the gateway, so a change to it rebuilds the gateway. */
const CONSOLE_VITE_CONFIG = path.join(ROOT, 'apps', 'gateway', 'console', 'vite.config.mjs');

/** The build stamp of an app: touched with the start time of its last successful build. */
export function buildStamp(name) {
  return path.join(STAMPS_DIR, name);
}

/**
 * Whether an app's build is out of date: no entry point or build stamp, or a source (its app dir,
 * libs/, tsconfig*.json, nest-cli.json, package.json) changed since its last successful build.
 * @param {string} name
 */
export function needsBuild(name) {
  assertApp(name);
  const stamp = buildStamp(name);
  if (!fs.existsSync(appEntry(name)) || !fs.existsSync(stamp)) return true;
  if (name === 'gateway' && !fs.existsSync(path.join(ROOT, 'dist', 'apps', 'gateway', 'console', 'index.html'))) return true;
  const sources = [path.join(ROOT, 'apps', name), path.join(ROOT, 'libs'), path.join(ROOT, 'nest-cli.json'), path.join(ROOT, 'package.json')];
  for (const f of fs.readdirSync(ROOT)) if (/^tsconfig.*\.json$/.test(f)) sources.push(path.join(ROOT, f));
  const built = fs.statSync(stamp).mtimeMs;
  return sources.some((s) => newestMtime(s) > built);
}

/** `nest build <app>`; on success its stamp gets the build's start time. Resolves true when it built. */
async function buildOne(app, nestBin) {
  const started = new Date();
  const a0 = Date.now();
  let r = await run(process.execPath, [nestBin, 'build', app]);
  // The gateway also serves the debug console: a Preact app that Vite bundles into dist/apps/gateway/console.
  if (r.code === 0 && app === 'gateway') {
    const v = await run(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', CONSOLE_VITE_CONFIG], { cwd: ROOT });
    r = { code: v.code, output: `${r.output}${v.output}` };
  }
  // eslint-disable-next-line no-control-regex
  const out = (process.stdout.isTTY ? r.output : r.output.replace(/\x1b\[[0-9;]*m/g, '')).trim();
  if (r.code !== 0) {
    fs.rmSync(buildStamp(app), { force: true });
    log(`build: ${app} FAILED (exit ${r.code})${out ? `\n${indent(out)}` : ''}`);
    return false;
  }
  fs.mkdirSync(STAMPS_DIR, { recursive: true });
  const stamp = buildStamp(app);
  fs.writeFileSync(stamp, `${started.toISOString()}\n`);
  fs.utimesSync(stamp, started, started); // edits made during the build make it stale again
  log(`build: ${app} ok in ${((Date.now() - a0) / 1000).toFixed(1)} s${out ? `\n${indent(out)}` : ''}`);
  return true;
}

/** With STACK_SKIP_BUILD=1 the existing dist is used as is (an app never built is an error). */
function skipBuild(apps) {
  const unbuilt = apps.filter((a) => !fs.existsSync(appEntry(a)));
  if (unbuilt.length) throw new Error(`STACK_SKIP_BUILD is set but ${unbuilt.join(', ')} ha${unbuilt.length > 1 ? 've' : 's'} never been built`);
  log(`build: skipped (STACK_SKIP_BUILD); using the existing dist of ${apps.join(', ')}`);
  return [];
}

/**
 * Build apps with `nest build <app>`, `parallel` at a time. Output of each build is printed when it
 * finishes. Rejects when any build fails (after all have finished).
 * @param {{apps?: string[], force?: boolean, parallel?: number}} [opts] `force: false` skips apps
 *   whose build is up to date (see needsBuild), or all of them when STACK_SKIP_BUILD=1 (the existing
 *   dist is used as is); default apps: selectedApps()
 * @returns {Promise<string[]>} the apps that were built
 */
export async function build({ apps = selectedApps(), force = false, parallel = 2 } = {}) {
  if (!force && ['1', 'true'].includes(process.env.STACK_SKIP_BUILD ?? '')) return skipBuild(apps);
  const todo = apps.filter((a) => force || needsBuild(a));
  const skipped = apps.filter((a) => !todo.includes(a));
  if (skipped.length) log(`build: up to date: ${skipped.join(', ')}`);
  if (!todo.length) return [];
  const nestBin = path.join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js');
  if (!fs.existsSync(nestBin)) throw new Error('build: @nestjs/cli is not installed; run `npm install` first');
  const t0 = Date.now();
  log(`build: ${todo.join(', ')}${todo.length > 1 && parallel > 1 ? ` (${parallel} at a time)` : ''}`);
  const queue = [...todo];
  const failed = [];
  const worker = async () => {
    while (queue.length) {
      const app = queue.shift();
      if (!(await buildOne(app, nestBin))) failed.push(app);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  if (failed.length) {
    const err = new Error(`build failed: ${failed.join(', ')}`);
    err.exitCode = 1;
    throw err;
  }
  log(`build: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return todo;
}

/**
 * Apply migrations: `node dist/apps/<app>/apps/<app>/src/main.js migrate` for each app that has a
 * database (job-runner, agent-coordinator, knowledge-ingestor). They run in parallel: each app owns
 * its own schema and migrations table. Apps must be built. Rejects when any fails.
 * @param {{env?: NodeJS.ProcessEnv, apps?: string[]}} [opts] default apps: selectedApps(env)
 */
export async function migrate({ env = process.env, apps } = {}) {
  const list = (apps ?? selectedApps(env)).filter((a) => APPS[a].migrations);
  const errors = [];
  await Promise.all(
    list.map(async (app) => {
      const entry = appEntry(app);
      if (!fs.existsSync(entry)) {
        errors.push(`${app} is not built (${path.relative(ROOT, entry)} missing)`);
        return;
      }
      const r = await run(process.execPath, [entry, 'migrate'], { env: stackEnv(env) });
      if (r.code !== 0) {
        errors.push(`${app} failed (exit ${r.code}):\n${indent(r.output.trim().split('\n').slice(-30).join('\n'))}`);
        return;
      }
      const applied = /"applied":\s*(\[[^\]]*\])/.exec(r.output)?.[1] ?? '';
      log(`migrate: ${app} ok ${applied && applied !== '[]' ? `applied ${applied}` : '(nothing new)'}`);
    }),
  );
  if (errors.length) throw new Error(`migrate: ${errors.join('\nmigrate: ')}`);
}
