// Running programs: detached long-running processes with their output in a log file, commands run
// to completion, log tails, and lock files that serialise scripts sharing a STACK_DIR.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, STACK_DIR, shown } from './config.mjs';
import { log, sleep } from './log.mjs';
import { isAlive, readPid, removeFile } from './pids.mjs';

/**
 * The last `lines` lines of a file ('' when it does not exist).
 * @param {string} file
 * @param {number} [lines=40]
 */
export function tail(file, lines = 40) {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return buf
        .toString('utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n')
        .trimEnd();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/**
 * Spawn a long-running process detached from us, stdout/stderr appended to `logFile` after a
 * separator line `=== <ISO time> <command line>` (logs are never truncated).
 */
export function spawnDetached(command, args, { logFile, env = process.env, cwd = ROOT }) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `\n=== ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  try {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
    const state = { exited: false, code: null, signal: null };
    child.on('exit', (code, signal) => Object.assign(state, { exited: true, code, signal }));
    child.on('error', (err) => Object.assign(state, { exited: true, error: err }));
    child.unref();
    return { child, state };
  } finally {
    fs.closeSync(fd);
  }
}

/** Run a command to completion; resolves { code, output } (stdout+stderr interleaved). */
export function run(command, args, { env = process.env, cwd = ROOT, echo = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (d) => {
      output += d;
      if (echo) process.stdout.write(d);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => resolve({ code: 127, output: `${output}${err.message}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

/** Take the lock file once: true when taken, false when a live holder has it (stale locks are removed). */
function tryLock(file) {
  try {
    fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
    return { taken: true };
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
  }
  const holder = readPid(file);
  let age;
  try {
    age = Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return { taken: false, retry: true }; // just released
  }
  if ((holder !== null && !isAlive(holder)) || (holder === null && age > 5000)) {
    removeFile(file); // stale: its holder is gone
    return { taken: false, retry: true };
  }
  return { taken: false, holder };
}

/** Run `fn` holding `<STACK_DIR>/<name>.lock` (waits while a live process holds it; stale locks are taken over). */
export async function withLock(name, fn, timeoutMs = 180_000) {
  const file = path.join(STACK_DIR, `${name}.lock`);
  fs.mkdirSync(STACK_DIR, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const { taken, retry, holder } = tryLock(file);
    if (taken) break;
    if (retry) continue;
    if (Date.now() > deadline) throw new Error(`${file} is held by pid ${holder} for more than ${timeoutMs} ms; remove it if that process is stuck`);
    if (!told) log(`waiting for pid ${holder}, which holds ${shown(file)}`);
    told = true;
    await sleep(200);
  }
  try {
    return await fn();
  } finally {
    removeFile(file);
  }
}

/** Parse a JSON file; null when it is missing or unreadable. */
export function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
