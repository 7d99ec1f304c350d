// App processes: start one detached from its built entry point, stop one by pid or pid file.

import fs from 'node:fs';
import path from 'node:path';
import { APPS, LOGS_DIR, ROOT, appEntry, stackEnv } from './config.mjs';
import { pidFile, readPid, removeFile, stopPid, writePid } from './pids.mjs';
import { spawnDetached } from './processes.mjs';

/**
 * Start one app process detached (it outlives the caller until stopped), stdout/stderr to `logFile`.
 * The child gets stackEnv(env); `port` sets the app's own port variable (PORT for the gateway,
 * JOB_RUNNER_PORT, COORDINATOR_PORT, INGESTOR_PORT). Does not wait for it to be ready: use
 * waitHttp(`http://127.0.0.1:${port}/health/ready`, …, { pid }).
 * @param {string} name app name
 * @param {NodeJS.ProcessEnv} [env=process.env]
 * @param {{port?: number, logFile?: string, pidFile?: string, args?: string[]}} [opts]
 *   logFile default `<STACK_DIR>/logs/<name>.log` (or `<name>-<port>.log` when a port is given),
 *   truncated on start; pidFile: written when given
 * @returns {number} the child's pid
 */
export function startApp(name, env = process.env, { port, logFile, pidFile: pidPath, args = [] } = {}) {
  const entry = appEntry(name);
  if (!fs.existsSync(entry)) throw new Error(`${name} is not built (${path.relative(ROOT, entry)} missing): run npm run build`);
  const childEnv = stackEnv(env);
  if (port !== undefined) childEnv[APPS[name].portEnv] = String(port);
  const file = logFile ?? path.join(LOGS_DIR, port !== undefined ? `${name}-${port}.log` : `${name}.log`);
  const { child } = spawnDetached(process.execPath, [entry, ...args], { logFile: file, env: childEnv, truncate: true });
  if (!child.pid) throw new Error(`${name}: could not spawn ${process.execPath}`);
  if (pidPath) writePid(pidPath, child.pid);
  return child.pid;
}

/**
 * Stop an app process: by pid, or by name via its pid file `<STACK_DIR>/pids/<name>.pid` (removed
 * afterwards). SIGTERM, up to `timeoutMs` (default 10 s) to exit, then SIGKILL. A pid that now belongs
 * to an unrelated process is left alone.
 * @param {string | number} nameOrPid
 * @param {{timeoutMs?: number}} [opts]
 * @returns {Promise<boolean>} true when a running process was stopped
 */
export async function stopApp(nameOrPid, { timeoutMs = 10_000 } = {}) {
  if (typeof nameOrPid === 'number') return stopPid(nameOrPid, { timeoutMs, expect: 'main.js' });
  const pid = readPid(nameOrPid);
  if (pid === null) return false;
  const stopped = await stopPid(pid, { timeoutMs, expect: 'main.js', label: nameOrPid });
  removeFile(pidFile(nameOrPid));
  return stopped;
}
