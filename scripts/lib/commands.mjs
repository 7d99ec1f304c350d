// The stack commands: up, down, status (scripts/stack.mjs, `npm run stack:*`).

import fs from 'node:fs';
import path from 'node:path';
import { startApp, stopApp } from './apps.mjs';
import { build, migrate } from './build.mjs';
import { APP_NAMES, APPS, LOGS_DIR, PIDS_DIR, SERVER_NAMES, appPort, selectedApps, shown, stackEnv } from './config.mjs';
import { infraSpecs } from './endpoints.mjs';
import { ensureInfra, stopInfra } from './infra.mjs';
import { indent, log } from './log.mjs';
import { isAlive, pidFile, readPid } from './pids.mjs';
import { portOpen, waitHttp } from './ports.mjs';
import { tail } from './processes.mjs';

const appLog = (app) => path.join(LOGS_DIR, `${app}.log`);

/** Print-friendly URLs of a running stack. */
function urls(env, apps) {
  const lines = [];
  if (apps.includes('gateway')) {
    const base = `http://127.0.0.1:${appPort('gateway', env)}`;
    lines.push(`  API            ${base}/v1`, `  API docs       ${base}/docs`, `  OpenAPI        ${base}/openapi.json`);
  }
  for (const app of apps) lines.push(`  ${app.padEnd(19)}http://127.0.0.1:${appPort(app, env)}/health  (ready: /health/ready, log: ${shown(appLog(app))})`);
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
  const results = await Promise.allSettled(apps.map((app) => waitHttp(`http://127.0.0.1:${appPort(app, env)}/health/ready`, timeoutMs, { pid: pids[app] })));
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

/**
 * `stack:up`: ensureInfra, build what is stale, migrate, then (re)start the apps detached — an app
 * whose pid file points to a live process is stopped first, so running it twice leaves one stack —
 * and wait until every started app's /health/ready answers 200 (the gateway's includes the others).
 * Sets KNOWLEDGE_ENABLED=true unless the caller set it. `STACK_APPS` limits the apps.
 * @param {{env?: NodeJS.ProcessEnv, apps?: string[], readyTimeoutMs?: number}} [opts]
 * @returns {Promise<{env: Record<string, string>, pids: Record<string, number>}>}
 */
export async function up({ env = process.env, apps, readyTimeoutMs = Number(process.env.STACK_READY_TIMEOUT_MS) || 90_000 } = {}) {
  const list = apps ?? selectedApps(env);
  const t0 = Date.now();
  const infra = await ensureInfra({ env });
  const appEnv = stackEnv(infra.env, { KNOWLEDGE_ENABLED: 'true' });
  await build({ apps: list });
  await migrate({ env: appEnv, apps: list });

  // One stack only: stop what a previous `up` started, then check the ports are free.
  for (const app of list) {
    if (await stopApp(app)) log(`${app}: stopped the previous instance`);
  }
  await assertPortsFree(list, appEnv);

  const pids = {};
  for (const app of list) {
    pids[app] = startApp(app, appEnv, { logFile: appLog(app), pidFile: pidFile(app) });
    log(`${app}: started (pid ${pids[app]}) on port ${appPort(app, appEnv)}`);
  }
  await waitReady(list, appEnv, pids, readyTimeoutMs);
  log(`stack is up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n${urls(appEnv, list)}`);
  return { env: appEnv, pids };
}

/**
 * `stack:down`: stop what the stack started, by pid files only — apps (and any other non-server pid
 * file) first, then NATS (and the test NATS), Redis and Postgres. Nothing without a pid file is touched.
 * @returns {Promise<string[]>} names of what was stopped
 */
export async function down() {
  const stopped = [];
  let files = [];
  try {
    files = fs.readdirSync(PIDS_DIR).filter((f) => f.endsWith('.pid'));
  } catch {
    /* nothing started */
  }
  const names = files.map((f) => f.slice(0, -4)).filter((n) => !SERVER_NAMES.includes(n));
  await Promise.all(
    names.map(async (name) => {
      const pid = readPid(name);
      if (await stopApp(name)) {
        stopped.push(name);
        log(`${name}: stopped (pid ${pid})`);
      }
    }),
  );
  stopped.push(...(await stopInfra()));
  if (!stopped.length) log('nothing to stop');
  return stopped;
}

/** The readiness of the app listening on `port`: 'ready', 'not ready (<status>)' or 'down'. */
async function health(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(3000) });
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
  const managed = (pid) => (pid !== null && isAlive(pid) ? `managed, pid ${pid}` : 'not managed');
  const lines = [];
  for (const n of SERVER_NAMES) {
    const open = await portOpen(specs[n].port, specs[n].host);
    lines.push(`${n.padEnd(19)}${specs[n].host}:${specs[n].port}  ${open ? 'up' : 'down'}  (${managed(readPid(n))})`);
  }
  for (const app of APP_NAMES) {
    const port = appPort(app, e);
    lines.push(`${app.padEnd(19)}127.0.0.1:${port}  ${await health(port)}  (${managed(readPid(app))})`);
  }
  return lines.join('\n');
}
