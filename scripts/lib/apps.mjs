// App processes: start one detached from its built entry point, tell whether the one a pid file
// names is running and healthy, stop one within its own shutdown grace.

import fs from 'node:fs';
import path from 'node:path';
import { APPS, LOGS_DIR, ROOT, appEntry, appPort, stackEnv } from './config.mjs';
import { cmdline, isAlive, ownedPid, pidFile, readPid, removeFile, stopPid, writePid } from './pids.mjs';
import { spawnDetached } from './processes.mjs';

/** The apps' default SHUTDOWN_GRACE_MS (libs/runtime common-config). */
const DEFAULT_GRACE_MS = 25_000;
/** Added to an app's grace before SIGKILL: its drain deadline plus closing connections and exiting. */
const STOP_MARGIN_MS = 5_000;

/**
 * Start one app process detached (it outlives the caller until stopped), stdout/stderr appended to
 * `logFile` after a line `=== <ISO time> <command>` (logs are never truncated).
 * The child gets stackEnv(env); `port` sets the app's own port variable (PORT for the gateway,
 * JOB_RUNNER_PORT, COORDINATOR_PORT, INGESTOR_PORT). Does not wait for it to be ready: use
 * waitHttp(`http://127.0.0.1:${port}/health/ready`, …, { pid }).
 * @param {string} name app name
 * @param {NodeJS.ProcessEnv} [env=process.env]
 * @param {{port?: number, logFile?: string, pidFile?: string, args?: string[]}} [opts]
 *   logFile default `<STACK_DIR>/logs/<name>.log` (or `<name>-<port>.log` when a port is given);
 *   pidFile: written when given
 * @returns {number} the child's pid
 */
export function startApp(name, env = process.env, { port, logFile, pidFile: pidPath, args = [] } = {}) {
  const entry = appEntry(name);
  if (!fs.existsSync(entry)) throw new Error(`${name} is not built (${path.relative(ROOT, entry)} missing): run npm run build`);
  const childEnv = stackEnv(env);
  if (port !== undefined) childEnv[APPS[name].portEnv] = String(port);
  // An extra gateway (tests, benches) must not compete for the stack's admin port: the OS picks one.
  if (port !== undefined && name === 'gateway' && !childEnv.ADMIN_PORT) childEnv.ADMIN_PORT = '0';
  const file = logFile ?? path.join(LOGS_DIR, port !== undefined ? `${name}-${port}.log` : `${name}.log`);
  const { child } = spawnDetached(process.execPath, [entry, ...args], { logFile: file, env: childEnv });
  if (!child.pid) throw new Error(`${name}: could not spawn ${process.execPath}`);
  if (pidPath) writePid(pidPath, child.pid);
  return child.pid;
}

/** One variable of a running process's environment (`/proc/<pid>/environ`); undefined when unknown. */
function procEnvVar(pid, key) {
  try {
    const entry = fs
      .readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((kv) => kv.startsWith(`${key}=`));
    return entry === undefined ? undefined : entry.slice(key.length + 1);
  } catch {
    return undefined;
  }
}

/**
 * How long to give an app between SIGTERM and SIGKILL: its SHUTDOWN_GRACE_MS — as the running process
 * got it, else as `env` has it, else 25 s — plus a margin of 5 s.
 * @param {number} pid
 * @param {NodeJS.ProcessEnv} [env=process.env]
 * @returns {number}
 */
export function stopTimeoutMs(pid, env = process.env) {
  for (const raw of [procEnvVar(pid, 'SHUTDOWN_GRACE_MS'), env.SHUTDOWN_GRACE_MS]) {
    const ms = Number(raw);
    if (raw !== undefined && raw !== '' && Number.isFinite(ms) && ms > 0) return ms + STOP_MARGIN_MS;
  }
  return DEFAULT_GRACE_MS + STOP_MARGIN_MS;
}

/**
 * Stop an app process: by pid, or by name via its pid file `<STACK_DIR>/pids/<name>.pid` (removed
 * afterwards). SIGTERM, up to `timeoutMs` to exit, then SIGKILL; the default is the app's own
 * shutdown grace plus a margin (see stopTimeoutMs). A pid that now belongs to an unrelated process is
 * left alone.
 * @param {string | number} nameOrPid
 * @param {{timeoutMs?: number}} [opts]
 * @returns {Promise<boolean>} true when a running process was stopped
 */
export async function stopApp(nameOrPid, { timeoutMs } = {}) {
  if (typeof nameOrPid === 'number') return stopPid(nameOrPid, { timeoutMs: timeoutMs ?? stopTimeoutMs(nameOrPid), expect: 'main.js' });
  const pid = ownedPid(nameOrPid);
  if (pid === null) return false;
  const stopped = await stopPid(pid, { timeoutMs: timeoutMs ?? stopTimeoutMs(pid), expect: 'main.js', label: nameOrPid });
  removeFile(pidFile(nameOrPid));
  return stopped;
}

/** Whether GET <url> answers 200 within `timeoutMs`. */
async function answers200(url, timeoutMs = 3000) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * What the stack runs of an app, by its pid file:
 *   `none`     no pid file, or its process is gone (`pid` is then the one recorded; the stale file is removed)
 *   `foreign`  the pid now belongs to a process that is not this app's build (the file is removed)
 *   `running`  this app's process, and its /health answers 200 on the port `env` gives it
 *   `silent`   this app's process, but its /health does not answer (starting, hung, or on another port)
 * @param {string} name
 * @param {NodeJS.ProcessEnv} [env=process.env]
 * @returns {Promise<{state: 'none' | 'foreign' | 'running' | 'silent', pid?: number, since?: Date}>}
 */
export async function appState(name, env = process.env) {
  const recorded = readPid(name);
  const pid = ownedPid(name);
  if (pid === null) return { state: 'none', pid: recorded ?? undefined };
  const cmd = cmdline(pid);
  if (cmd !== null && !cmd.includes(appEntry(name))) {
    removeFile(pidFile(name));
    return { state: 'foreign', pid };
  }
  let since;
  try {
    since = fs.statSync(pidFile(name)).mtime;
  } catch {
    /* removed meanwhile */
  }
  const healthy = await answers200(`http://127.0.0.1:${appPort(name, env)}/health`);
  return { state: healthy && isAlive(pid) ? 'running' : 'silent', pid, since };
}
