// The stack commands (scripts/stack.mjs, `npm run stack:*`): up starts what is not running, restart
// restarts the apps one at a time, down stops what the stack started, status shows what runs where.
// up, restart and down take turns on `<STACK_DIR>/apps.lock`.

import fs from 'node:fs';
import path from 'node:path';
import { appState, startApp, stopApp, stopTimeoutMs } from './apps.mjs';
import { build, buildStamp, migrate } from './build.mjs';
import { APP_NAMES, APPS, LOGS_DIR, PIDS_DIR, SERVER_NAMES, appPort, selectedApps, shown, stackEnv } from './config.mjs';
import { infraSpecs } from './endpoints.mjs';
import { ensureInfra, stopInfra } from './infra.mjs';
import { indent, log } from './log.mjs';
import { livePid, pidFile } from './pids.mjs';
import { portOpen, waitHttp } from './ports.mjs';
import { tail, withLock } from './processes.mjs';

/** How long up/restart/down wait for another of them (a build plus a start fit well within it). */
const LOCK_TIMEOUT_MS = 15 * 60_000;
/** How long up gives a live app whose /health does not answer (it may be starting) before replacing it. */
const SILENT_WAIT_MS = 10_000;
const DEFAULT_READY_TIMEOUT_MS = () => Number(process.env.STACK_READY_TIMEOUT_MS) || 90_000;

const appLog = (app) => path.join(LOGS_DIR, `${app}.log`);
const appUrl = (app, env, route) => `http://127.0.0.1:${appPort(app, env)}${route}`;
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Print-friendly URLs of a running stack. */
function urls(env, apps) {
  const lines = [];
  if (apps.includes('gateway')) {
    const base = appUrl('gateway', env, '');
    lines.push(`  API            ${base}/v1`, `  API docs       ${base}/docs`, `  OpenAPI        ${base}/openapi.json`);
  }
  for (const app of apps) lines.push(`  ${app.padEnd(19)}${appUrl(app, env, '/health')}  (ready: /health/ready, log: ${shown(appLog(app))})`);
  return lines.join('\n');
}

/** Throw when an app's port answers although the stack runs nothing there. */
async function assertPortsFree(apps, env) {
  const busy = [];
  for (const app of apps) if (await portOpen(appPort(app, env))) busy.push(`${app} port ${appPort(app, env)} (${APPS[app].portEnv})`);
  if (busy.length) throw new Error(`ports already in use by processes the stack did not start: ${busy.join(', ')}\n  stop them or choose other ports`);
}

/** Wait until every app's /health/ready answers 200; the error names each one's state and log tail. */
async function waitReady(apps, env, pids, timeoutMs) {
  const results = await Promise.allSettled(apps.map((app) => waitHttp(appUrl(app, env, '/health/ready'), timeoutMs, { pid: pids[app] })));
  const failed = apps.filter((_, i) => results[i].status === 'rejected');
  if (!failed.length) return;
  const details = apps
    .map((app, i) => {
      const r = results[i];
      const status = r.status === 'fulfilled' ? 'ready' : r.reason.message;
      return `  ${app}: ${status}\n    last lines of ${shown(appLog(app))}:\n${indent(indent(tail(appLog(app), 25) || '(empty)'))}`;
    })
    .join('\n');
  const err = new Error(`not ready: ${failed.join(', ')} (the apps are left running for inspection; npm run stack:down stops them)\n${details}`);
  err.exitCode = 1;
  throw err;
}

/** What up and restart do before touching the apps: servers, build of what is stale, migrations. */
async function prepare(env, apps) {
  const list = apps ?? selectedApps(env);
  const infra = await ensureInfra({ env });
  const appEnv = stackEnv(infra.env, { KNOWLEDGE_ENABLED: 'true' });
  await build({ apps: list });
  await migrate({ env: appEnv, apps: list });
  return { list, appEnv };
}

function launch(app, env) {
  const pid = startApp(app, env, { logFile: appLog(app), pidFile: pidFile(app) });
  log(`${app}: started (pid ${pid}) on port ${appPort(app, env)}`);
  return pid;
}

/** Stop an app the stack started: SIGTERM, then its own grace plus a margin before SIGKILL. */
async function stopRunning(app, pid) {
  const t0 = Date.now();
  const timeoutMs = stopTimeoutMs(pid);
  log(`${app}: stopping pid ${pid} (SIGTERM; SIGKILL only after ${seconds(timeoutMs)})`);
  const stopped = await stopApp(app, { timeoutMs });
  if (stopped) log(`${app}: stopped (pid ${pid}) in ${seconds(Date.now() - t0)}`);
  return stopped;
}

/** For up: the pid of a running instance to keep, or null once the way is clear for a new one. */
async function keepOrClear(app, env) {
  let s = await appState(app, env);
  if (s.state === 'silent') {
    // Starting (another up, or just restarted by hand) or hung: give /health a few seconds first.
    s = await waitHttp(appUrl(app, env, '/health'), SILENT_WAIT_MS, { pid: s.pid }).then(
      () => ({ ...s, state: 'running' }),
      () => s,
    );
  }
  if (s.state === 'running') {
    const stale = s.since && fs.existsSync(buildStamp(app)) && fs.statSync(buildStamp(app)).mtime > s.since;
    log(`${app}: already running (pid ${s.pid}), left alone${stale ? '; it was built again since it started: npm run stack:restart runs the new build' : ''}`);
    return s.pid;
  }
  if (s.state === 'silent') {
    log(`${app}: pid ${s.pid} does not answer ${appUrl(app, env, '/health')}; replacing it`);
    await stopRunning(app, s.pid);
  }
  if (s.state === 'foreign') log(`${app}: pid ${s.pid} of the pid file is no longer ${app}; starting a new one`);
  if (s.state === 'none' && s.pid) log(`${app}: pid ${s.pid} of the pid file has exited; starting a new one`);
  return null;
}

/**
 * `stack:up`: ensureInfra, build what is stale, migrate, then start the apps that are not running —
 * an app whose pid file names a live process of that app answering /health is left alone, so a
 * second `up` changes nothing — and wait until every app's /health/ready answers 200 (the gateway's
 * includes the others). Sets KNOWLEDGE_ENABLED=true unless the caller set it. `STACK_APPS` limits
 * the apps. Logs are appended to. To run a new build, `restart`.
 * @param {{env?: NodeJS.ProcessEnv, apps?: string[], readyTimeoutMs?: number}} [opts]
 * @returns {Promise<{env: Record<string, string>, pids: Record<string, number>, started: string[]}>}
 */
export async function up({ env = process.env, apps, readyTimeoutMs = DEFAULT_READY_TIMEOUT_MS() } = {}) {
  return withLock(
    'apps',
    async () => {
      const t0 = Date.now();
      const { list, appEnv } = await prepare(env, apps);
      const pids = {};
      for (const app of list) pids[app] = await keepOrClear(app, appEnv);
      const started = list.filter((app) => pids[app] === null);
      await assertPortsFree(started, appEnv);
      for (const app of started) pids[app] = launch(app, appEnv);
      await waitReady(list, appEnv, pids, readyTimeoutMs);
      const what =
        started.length === list.length ? '' : started.length ? ` (started ${started.join(', ')}; the others were running)` : ' (all already running)';
      log(`stack is up in ${seconds(Date.now() - t0)}${what}\n${urls(appEnv, list)}`);
      return { env: appEnv, pids, started };
    },
    LOCK_TIMEOUT_MS,
  );
}

/** For restart: stop the app if the stack runs it (within its grace), start it, wait until it is ready. */
async function restartOne(app, env, readyTimeoutMs) {
  const s = await appState(app, env);
  if (s.state === 'running' || s.state === 'silent') await stopRunning(app, s.pid);
  await assertPortsFree([app], env);
  const pid = launch(app, env);
  await waitReady([app], env, { [app]: pid }, readyTimeoutMs);
  log(`${app}: ready`);
  return pid;
}

/**
 * `stack:restart`: like up (servers, build, migrate), then restart the apps one at a time — each is
 * SIGTERMed and given its own grace (SHUTDOWN_GRACE_MS, 25 s by default, plus a margin) before
 * SIGKILL, started again, and ready before the next one is touched. The backends go first and the
 * gateway last, so the API is refused only while the gateway itself restarts. Apps not running are
 * started. Logs are appended to.
 * @param {{env?: NodeJS.ProcessEnv, apps?: string[], readyTimeoutMs?: number}} [opts]
 * @returns {Promise<{env: Record<string, string>, pids: Record<string, number>}>}
 */
export async function restart({ env = process.env, apps, readyTimeoutMs = DEFAULT_READY_TIMEOUT_MS() } = {}) {
  return withLock(
    'apps',
    async () => {
      const t0 = Date.now();
      const { list, appEnv } = await prepare(env, apps);
      const order = [...list.filter((a) => a !== 'gateway'), ...list.filter((a) => a === 'gateway')];
      const pids = {};
      for (const app of order) pids[app] = await restartOne(app, appEnv, readyTimeoutMs);
      log(`stack restarted in ${seconds(Date.now() - t0)}\n${urls(appEnv, list)}`);
      return { env: appEnv, pids };
    },
    LOCK_TIMEOUT_MS,
  );
}

/**
 * `stack:down`: stop what the stack started, by pid files only — apps (and any other non-server pid
 * file) first, in parallel, each given its own shutdown grace; then NATS (and the test NATS), Redis
 * and Postgres. Nothing without a pid file is touched, nor a process that got a recorded pid later.
 * @returns {Promise<string[]>} names of what was stopped
 */
export async function down() {
  return withLock(
    'apps',
    async () => {
      let files = [];
      try {
        files = fs.readdirSync(PIDS_DIR).filter((f) => f.endsWith('.pid'));
      } catch {
        /* nothing started */
      }
      const names = files.map((f) => f.slice(0, -4)).filter((n) => !SERVER_NAMES.includes(n));
      const stopped = [];
      await Promise.all(
        names.map(async (name) => {
          const pid = livePid(name);
          if (pid === null)
            await stopApp(name); // removes the stale pid file
          else if (await stopRunning(name, pid)) stopped.push(name);
        }),
      );
      stopped.push(...(await stopInfra()));
      if (!stopped.length) log('nothing to stop');
      return stopped;
    },
    LOCK_TIMEOUT_MS,
  );
}

/** The readiness of the app listening on `port`: 'ready', 'not ready (<status>)' or 'down'. */
async function health(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status === 200 ? 'ready' : `not ready (${res.status})`;
  } catch {
    return 'down';
  }
}

/**
 * One line per server and app: managed pid (if any), whether its port answers, app readiness.
 * @param {{env?: NodeJS.ProcessEnv}} [opts]
 * @returns {Promise<string>}
 */
export async function status({ env = process.env } = {}) {
  const specs = infraSpecs(env);
  const e = stackEnv(env);
  const managed = (name) => {
    const pid = livePid(name);
    return pid !== null ? `managed, pid ${pid}` : 'not managed';
  };
  const lines = [];
  for (const n of SERVER_NAMES) {
    const open = await portOpen(specs[n].port, specs[n].host);
    lines.push(`${n.padEnd(19)}${specs[n].host}:${specs[n].port}  ${open ? 'up' : 'down'}  (${managed(n)})`);
  }
  for (const app of APP_NAMES) {
    const port = appPort(app, e);
    lines.push(`${app.padEnd(19)}127.0.0.1:${port}  ${await health(port)}  (${managed(app)})`);
  }
  return lines.join('\n');
}
