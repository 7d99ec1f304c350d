// Processes the stack started: liveness, pid files (`<STACK_DIR>/pids/<name>.pid`) and stopping.

import fs from 'node:fs';
import path from 'node:path';
import { PIDS_DIR } from './config.mjs';
import { log, sleep } from './log.mjs';

/**
 * `/proc/<pid>/stat` → { state, pgrp, startTime } (startTime: clock ticks after boot, as a string),
 * or null when there is no such process (or no /proc).
 */
function procStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], pgrp: Number(fields[2]), startTime: fields[19] };
  } catch {
    return null;
  }
}

/**
 * Whether a process is running. Zombies (`<defunct>`, which linger on machines whose init does not
 * reap) count as not running.
 * @param {number} pid
 * @returns {boolean}
 */
export function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (fs.existsSync('/proc/self/stat')) {
    const stat = procStat(pid);
    return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** The command line of a process, or null when unknown. */
export function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return null;
  }
}

/**
 * Path of a pid file: `<STACK_DIR>/pids/<name>.pid`.
 * @param {string} name
 */
export function pidFile(name) {
  return path.join(PIDS_DIR, `${name}.pid`);
}

/**
 * Read a pid file (a name under `<STACK_DIR>/pids` or a path). Returns the pid or null.
 * @param {string} nameOrPath
 * @returns {number | null}
 */
export function readPid(nameOrPath) {
  const file = nameOrPath.includes(path.sep) ? nameOrPath : pidFile(nameOrPath);
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Write a pid file: `<pid> <start time>`. The start time tells the process apart from a later one
 * that got the same pid (after it exited, or after a reboot), see livePid.
 */
export function writePid(file, pid) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const startTime = procStat(pid)?.startTime;
  fs.writeFileSync(file, `${pid}${startTime ? ` ${startTime}` : ''}\n`);
}

/**
 * The process a pid file records, when it still runs: its pid, else null. A live process whose start
 * time differs from the recorded one got the pid later and is not ours (pid files written without a
 * start time are trusted on liveness alone).
 * @param {string} nameOrPath
 * @returns {number | null}
 */
export function livePid(nameOrPath) {
  const pid = readPid(nameOrPath);
  if (pid === null || !isAlive(pid)) return null;
  const file = nameOrPath.includes(path.sep) ? nameOrPath : pidFile(nameOrPath);
  let recorded;
  try {
    recorded = fs.readFileSync(file, 'utf8').trim().split(/\s+/)[1];
  } catch {
    return null;
  }
  const now = procStat(pid)?.startTime;
  return recorded && now && recorded !== now ? null : pid;
}

export function removeFile(file) {
  fs.rmSync(file, { force: true });
}

/** Send `sig` to the process group `pid` leads (so its children go too), else to the process alone. */
function signalTree(pid, group, sig) {
  try {
    process.kill(group ? -pid : pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

async function waitExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  return !isAlive(pid);
}

/**
 * Stop a process: SIGTERM (to its process group when it leads one, so its children go too), wait up
 * to `timeoutMs`, then SIGKILL. When `expect` is given and the process's command line does not
 * contain it, the pid was reused by something else and nothing is signalled.
 * @param {number} pid
 * @param {{timeoutMs?: number, expect?: string, label?: string}} [opts]
 * @returns {Promise<boolean>} true when a running process was stopped
 */
export async function stopPid(pid, { timeoutMs = 10_000, expect, label = `pid ${pid}` } = {}) {
  if (!isAlive(pid)) return false;
  const cmd = cmdline(pid);
  if (expect && cmd !== null && !cmd.includes(expect)) {
    log(`${label}: pid ${pid} is now "${cmd.slice(0, 80)}", not ours; leaving it alone`);
    return false;
  }
  const group = procStat(pid)?.pgrp === pid;
  signalTree(pid, group, 'SIGTERM');
  if (!(await waitExit(pid, timeoutMs))) {
    log(`${label}: still running after ${timeoutMs} ms, sending SIGKILL`);
    signalTree(pid, group, 'SIGKILL');
    await waitExit(pid, 5000);
  }
  return true;
}

/**
 * The live process of a pid file `<STACK_DIR>/pids/<name>.pid`, or null; a pid file whose process is
 * gone, or whose pid now belongs to another process, is removed.
 * @param {string} name
 * @returns {number | null}
 */
export function ownedPid(name) {
  const pid = readPid(name);
  if (pid === null) return null;
  const live = livePid(name);
  if (live === null) {
    if (isAlive(pid)) log(`${name}: pid ${pid} now belongs to another process; removing the stale pid file`);
    removeFile(pidFile(name));
  }
  return live;
}
