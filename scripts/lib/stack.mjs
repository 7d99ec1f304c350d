// Reusable pieces of the local stack: infrastructure (Postgres, NATS with JetStream, Redis on
// loopback), building the apps, migrations, and starting/stopping app processes.
//
// Used by scripts/stack.mjs (`npm run stack:up|stack:down|infra:up|migrate`), scripts/test.mjs
// (`npm test`), scripts/build.mjs (`npm run build`) and by the Jest global setup of the e2e tests,
// which starts extra app processes (a second gateway, a second job-runner…) with startApp().
//
// Everything the scripts start is recorded in <STACK_DIR>/pids/<name>.pid, and that is all that
// down()/stopInfra() ever stop. Servers that already answer on their port are reused and left alone.
// STACK_DIR defaults to <repo>/.stack (git-ignored).

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the stack keeps its state (data, logs, pid files). `STACK_DIR` overrides; default `<repo>/.stack`. */
export const STACK_DIR = path.resolve(ROOT, process.env.STACK_DIR || '.stack');
/** Pid files: `<STACK_DIR>/pids/<name>.pid`. */
export const PIDS_DIR = path.join(STACK_DIR, 'pids');
/** Log files: `<STACK_DIR>/logs/<name>.log`. */
export const LOGS_DIR = path.join(STACK_DIR, 'logs');
/** Build stamps live inside dist so that deleting dist forces a rebuild. */
const STAMPS_DIR = path.join(ROOT, 'dist', '.stamps');

/**
 * The four apps: the port variable each reads, its default port, and whether `main.js migrate` has
 * migrations to apply.
 * @type {Readonly<Record<string, {portEnv: string, port: number, migrations: boolean}>>}
 */
export const APPS = Object.freeze({
  gateway: Object.freeze({ portEnv: 'PORT', port: 8000, migrations: false }),
  'job-runner': Object.freeze({ portEnv: 'JOB_RUNNER_PORT', port: 8001, migrations: true }),
  'agent-coordinator': Object.freeze({ portEnv: 'COORDINATOR_PORT', port: 8002, migrations: true }),
  'knowledge-ingestor': Object.freeze({ portEnv: 'INGESTOR_PORT', port: 8003, migrations: true }),
});

/** All app names. */
export const APP_NAMES = Object.freeze(Object.keys(APPS));

/** Infrastructure servers of the stack (`stack:up`, `infra:up`). */
export const INFRA_NAMES = Object.freeze(['postgres', 'nats', 'redis']);

/**
 * Every server the scripts may manage: the stack's three plus `nats-test`, the separate NATS server
 * `npm test` uses (TEST_NATS_URL) so a developer's running apps never answer a test's requests.
 */
export const SERVER_NAMES = Object.freeze(['postgres', 'nats', 'redis', 'nats-test']);

/** Which program a server runs. */
const serverKind = (name) => (name === 'nats-test' ? 'nats' : name);

/** Defaults applied when the caller's environment leaves these unset (or empty). */
export const INFRA_DEFAULTS = Object.freeze({
  DATABASE_URL: 'postgres://platform:platform@127.0.0.1:5432/platform',
  NATS_URL: 'nats://127.0.0.1:4222',
  REDIS_URL: 'redis://127.0.0.1:6379',
});

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const APT_PACKAGES = { postgres: 'postgresql', nats: 'nats-server', redis: 'redis-server' };
const EXTRA_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

// ───────────────────────────── logging ─────────────────────────────

let logger = (msg) => console.log(`[stack] ${msg}`);
if (process.env.STACK_QUIET === '1' || process.env.STACK_QUIET === 'true') logger = () => {};

/**
 * Replace the progress logger (default: `console.log('[stack] …')`; `STACK_QUIET=1` silences it).
 * @param {(message: string) => void} fn
 */
export function setLogger(fn) {
  logger = fn;
}

function log(msg) {
  logger(msg);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ───────────────────────────── environment ─────────────────────────────

/**
 * The environment to give apps and tests: the caller's whole environment, plus the infrastructure
 * defaults (and `defaults`) for variables that are unset or empty. Nothing the caller set is replaced.
 * @param {NodeJS.ProcessEnv} [base=process.env]
 * @param {Record<string, string>} [defaults={}] extra defaults, e.g. `{ KNOWLEDGE_ENABLED: 'true' }`
 * @returns {Record<string, string>}
 */
export function stackEnv(base = process.env, defaults = {}) {
  const env = { ...base };
  for (const [key, value] of Object.entries({ ...INFRA_DEFAULTS, ...defaults })) {
    if (env[key] === undefined || env[key] === '') env[key] = value;
  }
  return env;
}

/**
 * The apps this invocation manages: `STACK_APPS=agent-coordinator,knowledge-ingestor` limits the
 * list (unknown names are an error); unset means all four.
 * @param {NodeJS.ProcessEnv} [env=process.env]
 * @returns {string[]}
 */
export function selectedApps(env = process.env) {
  const raw = (env.STACK_APPS ?? '').trim();
  if (!raw || raw === 'all') return [...APP_NAMES];
  const wanted = raw.split(/[\s,]+/).filter(Boolean);
  const unknown = wanted.filter((a) => !APPS[a]);
  if (unknown.length) throw new Error(`STACK_APPS: unknown app(s) ${unknown.join(', ')} (known: ${APP_NAMES.join(', ')})`);
  return APP_NAMES.filter((a) => wanted.includes(a));
}

/**
 * Path of an app's built entry point: `dist/apps/<app>/apps/<app>/src/main.js`.
 * @param {string} name app name
 */
export function appEntry(name) {
  assertApp(name);
  return path.join(ROOT, 'dist', 'apps', name, 'apps', name, 'src', 'main.js');
}

/**
 * The HTTP port an app will listen on given `env` (its port variable, else its default).
 * @param {string} name app name
 * @param {NodeJS.ProcessEnv} [env=process.env]
 * @returns {number}
 */
export function appPort(name, env = process.env) {
  assertApp(name);
  const { portEnv, port } = APPS[name];
  const value = Number(env[portEnv]);
  return Number.isInteger(value) && value > 0 ? value : port;
}

function assertApp(name) {
  if (!APPS[name]) throw new Error(`unknown app "${name}" (known: ${APP_NAMES.join(', ')})`);
}

// ───────────────────────────── processes and pid files ─────────────────────────────

/** `/proc/<pid>/stat` → { state, pgrp }, or null when there is no such process (or no /proc). */
function procStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], pgrp: Number(fields[2]) };
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
function cmdline(pid) {
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

function writePid(file, pid) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${pid}\n`);
}

function removeFile(file) {
  fs.rmSync(file, { force: true });
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
  const signal = (sig) => {
    try {
      process.kill(group ? -pid : pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    log(`${label}: still running after ${timeoutMs} ms, sending SIGKILL`);
    signal('SIGKILL');
    const killDeadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < killDeadline) await sleep(100);
  }
  return true;
}

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

function indent(text) {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** Spawn a long-running process detached from us, stdout/stderr appended to `logFile`. */
function spawnDetached(command, args, { logFile, env = process.env, cwd = ROOT, truncate = false }) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, truncate ? 'w' : 'a');
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
function run(command, args, { env = process.env, cwd = ROOT, echo = false } = {}) {
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

/** Run `fn` holding `<STACK_DIR>/<name>.lock` (waits while a live process holds it; stale locks are taken over). */
async function withLock(name, fn, timeoutMs = 180_000) {
  const file = path.join(STACK_DIR, `${name}.lock`);
  fs.mkdirSync(STACK_DIR, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const holder = readPid(file);
    let age;
    try {
      age = Date.now() - fs.statSync(file).mtimeMs;
    } catch {
      continue; // just released
    }
    if ((holder !== null && !isAlive(holder)) || (holder === null && age > 5000)) {
      removeFile(file); // stale: its holder is gone
      continue;
    }
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

// ───────────────────────────── ports ─────────────────────────────

/**
 * Whether something accepts TCP connections on host:port.
 * @param {number} port
 * @param {string} [host='127.0.0.1']
 * @param {number} [timeoutMs=1000]
 * @returns {Promise<boolean>}
 */
export function portOpen(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Connect, optionally send `payload`, resolve the first data received (or null on error/timeout). */
function tcpHello(port, host, payload, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let data = '';
    const done = (value) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(data || null));
    socket.once('connect', () => payload && socket.write(payload));
    socket.on('data', (d) => {
      data += d;
      if (data.includes('\n')) done(data);
    });
    socket.once('error', () => done(null));
  });
}

/**
 * Wait until host:port accepts connections. Fails early when `pid` dies; the error includes the
 * tail of `logFile`.
 * @param {number} port
 * @param {{host?: string, timeoutMs?: number, name?: string, logFile?: string, pid?: number, exited?: () => boolean}} [opts]
 */
export async function waitPort(port, { host = '127.0.0.1', timeoutMs = 30_000, name = `port ${port}`, logFile, pid, exited } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await portOpen(port, host)) return;
    const dead = (exited && exited()) || (pid !== undefined && !isAlive(pid));
    if (dead || Date.now() > deadline) {
      const why = dead ? 'exited before listening' : `did not listen within ${timeoutMs} ms`;
      const logTail = logFile ? tail(logFile) : '';
      throw new Error(`${name} ${why} on ${host}:${port}${logFile ? `; last lines of ${logFile}:\n${indent(logTail || '(empty)')}` : ''}`);
    }
    await sleep(150);
  }
}

/**
 * Poll an HTTP URL until it answers with `status` (default 200). Fails early when `pid` dies.
 * @param {string} url
 * @param {number} [timeoutMs=30000]
 * @param {{status?: number, intervalMs?: number, pid?: number}} [opts]
 * @returns {Promise<{status: number, body: string}>}
 */
export async function waitHttp(url, timeoutMs = 30_000, { status = 200, intervalMs = 250, pid } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      const body = await res.text();
      if (res.status === status) return { status: res.status, body };
      last = `${res.status} ${body.slice(0, 300)}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    if (pid !== undefined && !isAlive(pid)) throw new Error(`${url}: process ${pid} exited (last answer: ${last})`);
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last answer: ${last})`);
    await sleep(intervalMs);
  }
}

// ───────────────────────────── binaries and packages ─────────────────────────────

/** Find an executable on PATH or in the usual sbin/bin directories. */
function which(name) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...EXTRA_BIN_DIRS].filter(Boolean);
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      /* next */
    }
  }
  return null;
}

/** A directory holding postgres, initdb, pg_ctl (and usually psql). `PG_BIN` overrides. */
function findPostgresBin() {
  const complete = (dir) => dir && ['postgres', 'initdb', 'pg_ctl'].every((b) => fs.existsSync(path.join(dir, b)));
  if (process.env.PG_BIN && complete(process.env.PG_BIN)) return process.env.PG_BIN;
  let versions = [];
  try {
    versions = fs
      .readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    /* not Debian-style */
  }
  for (const v of versions) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (complete(dir)) return dir;
  }
  const pgCtl = which('pg_ctl');
  if (pgCtl) {
    const dir = path.dirname(fs.realpathSync(pgCtl));
    if (complete(dir)) return dir;
  }
  return null;
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function userIds(user) {
  const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * The server programs this machine has: `postgres` is a directory holding postgres/initdb/pg_ctl
 * (null when missing, or when we are root and there is no `postgres` user to run it as), `nats` and
 * `redis` are paths to nats-server and redis-server (or null). Nothing is installed here.
 * Used by the fault suite, which starts servers of its own that it may kill.
 * @returns {{postgres: string | null, nats: string | null, redis: string | null}}
 */
export function serverBinaries() {
  return findBinaries();
}

function findBinaries() {
  const pgBin = findPostgresBin();
  return {
    // As root, Postgres runs as the `postgres` user, which the Debian package creates.
    postgres: pgBin && (!isRoot() || userIds('postgres')) ? pgBin : null,
    nats: which('nats-server'),
    redis: which('redis-server'),
  };
}

let aptUpdated = false;

/** Install missing server packages with apt (root only); otherwise explain what to install. */
function installPackages(names) {
  const pkgs = names.map((n) => APT_PACKAGES[n]);
  const hasApt = which('apt-get') !== null;
  if (!isRoot() || !hasApt) {
    const how = hasApt
      ? `sudo apt-get install -y ${pkgs.join(' ')}`
      : `install ${pkgs.join(', ')} with your package manager (or set PG_BIN to a PostgreSQL bin directory)`;
    const err = new Error(
      `missing server binaries for ${names.join(', ')}.\n` +
        `  Install them, then run this again:\n    ${how}\n` +
        `  (or point DATABASE_URL / NATS_URL / REDIS_URL at servers that are already running)`,
    );
    err.exitCode = 2;
    throw err;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    log('apt-get update');
    const r = spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`apt-get update failed (exit ${r.status})`);
    aptUpdated = true;
  }
  log(`apt-get install -y ${pkgs.join(' ')}`);
  const r = spawnSync('apt-get', ['install', '-y', ...pkgs], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`apt-get install ${pkgs.join(' ')} failed (exit ${r.status})`);
}

// ───────────────────────────── infrastructure ─────────────────────────────

/** Parse an infrastructure URL into what the scripts need. */
function endpoint(name, url, defaultPort) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${name}: cannot parse URL "${url}"`);
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return {
    host,
    port: Number(u.port || defaultPort),
    local: LOOPBACK.has(host),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    path: decodeURIComponent(u.pathname.replace(/^\//, '')),
  };
}

/** Host to bind a server to for an endpoint host. */
function bindHost(host) {
  return host === 'localhost' ? '127.0.0.1' : host;
}

/** Descriptions of the three servers for a given environment. */
function infraSpecs(env) {
  const e = stackEnv(env);
  const pg = endpoint('DATABASE_URL', e.DATABASE_URL, 5432);
  pg.user ||= 'postgres';
  pg.path ||= pg.user;
  return {
    postgres: { name: 'postgres', ...pg, url: e.DATABASE_URL },
    nats: { name: 'nats', ...endpoint('NATS_URL', e.NATS_URL, 4222), url: e.NATS_URL },
    redis: { name: 'redis', ...endpoint('REDIS_URL', e.REDIS_URL, 6379), url: e.REDIS_URL },
    'nats-test': { name: 'nats-test', ...endpoint('TEST_NATS_URL', testUrls(e).TEST_NATS_URL, 14222), url: testUrls(e).TEST_NATS_URL },
  };
}

/**
 * Where tests run, isolated from a developer's running stack: each TEST_* variable the caller set,
 * else derived from the stack's URLs — database `<name>_test` on the same Postgres, the next Redis
 * db number (db 1 by default), and a separate NATS server on the NATS port + 10000 (14222).
 * @param {NodeJS.ProcessEnv} [env=process.env]
 * @returns {{TEST_DATABASE_URL: string, TEST_NATS_URL: string, TEST_REDIS_URL: string}}
 */
export function testUrls(env = process.env) {
  const e = stackEnv(env);
  const pick = (name, derive) => (env[name] ? env[name] : derive());
  return {
    TEST_DATABASE_URL: pick('TEST_DATABASE_URL', () => {
      const u = new URL(e.DATABASE_URL);
      const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
      u.pathname = `/${encodeURIComponent(`${db}_test`)}`;
      return u.toString();
    }),
    TEST_NATS_URL: pick('TEST_NATS_URL', () => {
      const u = new URL(e.NATS_URL);
      u.port = String(Number(u.port || 4222) + 10000);
      return u.toString().replace(/\/$/, '');
    }),
    TEST_REDIS_URL: pick('TEST_REDIS_URL', () => {
      const u = new URL(e.REDIS_URL);
      const db = Number(u.pathname.replace(/^\//, '') || 0);
      u.pathname = `/${(db + 1) % 16}`;
      return u.toString();
    }),
  };
}

/**
 * Make Postgres, NATS (JetStream) and Redis reachable at DATABASE_URL / NATS_URL / REDIS_URL
 * (defaults on 127.0.0.1). A server whose port already answers is reused and not managed. Otherwise
 * its binary is found (installed with apt when missing and running as root; without root, the error
 * says what to install), it is started detached with its log in `<STACK_DIR>/logs/<name>.log` and
 * pid in `<STACK_DIR>/pids/<name>.pid`, and we wait for it. For Postgres, the role and database of
 * DATABASE_URL are created when missing.
 * @param {{env?: NodeJS.ProcessEnv, only?: string[], databases?: string[]}} [opts]
 *   `only`: which of SERVER_NAMES (default the stack's three; 'nats-test' is the test NATS at
 *   TEST_NATS_URL, see testUrls); `databases`: further postgres:// URLs whose database must exist
 *   (created over TCP with that URL's credentials; the stack's role has CREATEDB)
 * @returns {Promise<{env: Record<string, string>, started: string[], reused: string[]}>}
 *   `env` = stackEnv(env); `started` = servers this call started (stop them with stopInfra(started))
 */
export async function ensureInfra(opts = {}) {
  // Two scripts starting the same servers at once (npm test while stack:up runs) take turns.
  return withLock('infra', () => ensureInfraLocked(opts));
}

async function ensureInfraLocked({ env = process.env, only = INFRA_NAMES, databases = [] } = {}) {
  const specs = infraSpecs(env);
  const names = SERVER_NAMES.filter((n) => only.includes(n));
  const open = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await portOpen(specs[n].port, specs[n].host)])));

  const toStart = names.filter((n) => !open[n]);
  const remote = toStart.filter((n) => !specs[n].local);
  if (remote.length) {
    throw new Error(remote.map((n) => `${n}: ${specs[n].url} does not answer, and it is not on loopback, so it is not started here`).join('\n'));
  }
  let bins = findBinaries();
  const missing = [...new Set(toStart.map(serverKind).filter((k) => !bins[k]))];
  if (missing.length) {
    installPackages(missing);
    bins = findBinaries();
    const still = missing.filter((k) => !bins[k]);
    if (still.length) throw new Error(`still no binaries for ${still.join(', ')} after apt-get install`);
    // A package's post-install may have started a server of its own on the port: reuse it then.
    for (const n of toStart) open[n] = await portOpen(specs[n].port, specs[n].host);
  }

  const starters = { postgres: startPostgres, nats: startNats, redis: startRedis };
  const started = [];
  const reused = [];
  const results = await Promise.allSettled(
    names.map(async (n) => {
      const spec = specs[n];
      if (open[n]) {
        if (n === 'postgres') await checkPostgres(spec, bins.postgres);
        if (serverKind(n) === 'nats') await checkNats(spec);
        const pid = readPid(n);
        const ours = pid !== null && isAlive(pid) ? `started earlier by the stack, pid ${pid}` : 'not managed by the stack';
        log(`${n}: reusing ${spec.host}:${spec.port} (already running; ${ours})`);
        reused.push(n);
        return;
      }
      const t0 = Date.now();
      const pid = await starters[serverKind(n)](spec, bins[serverKind(n)]);
      started.push(n);
      log(`${n}: started on ${spec.host}:${spec.port} (pid ${pid}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }),
  );
  if (names.includes('postgres') && !results[names.indexOf('postgres')].reason) {
    for (const url of databases) {
      try {
        await ensureDatabase(url);
      } catch (err) {
        results.push({ status: 'rejected', reason: err });
      }
    }
  }
  const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
  if (failures.length) {
    const err = new Error(failures.map((f) => f.message).join('\n'));
    err.started = started;
    throw err;
  }
  return { env: stackEnv(env), started, reused };
}

// ── Postgres ──

const PG_META = () => path.join(STACK_DIR, 'postgres.json');

/** Run a Postgres tool as the server's OS user (`postgres` when we are root). */
function pgSpawnArgs(binDir, tool, args) {
  const file = path.join(binDir, tool);
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
}

function pgRun(binDir, tool, args, { input, timeoutMs = 120_000 } = {}) {
  const [cmd, argv] = pgSpawnArgs(binDir, tool, args);
  // cwd "/" so tools running as postgres do not complain about an unreadable working directory.
  return spawnSync(cmd, argv, { cwd: '/', input, encoding: 'utf8', timeout: timeoutMs, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
}

/** Whether the postgres user can write in `dir` (always true when we are not root). */
function postgresCanWrite(dir) {
  if (!isRoot()) return true;
  return spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-w', dir, '-a', '-x', dir], { cwd: '/' }).status === 0;
}

/** Create a directory and hand it to the postgres user when we are root. */
function mkdirForPostgres(dir) {
  fs.mkdirSync(dir, { recursive: true });
  if (isRoot()) {
    const ids = userIds('postgres');
    fs.chownSync(dir, ids.uid, ids.gid);
  }
}

/**
 * Where our cluster lives. Normally `<STACK_DIR>/postgres`; when the postgres user cannot reach it
 * (a checkout under /root, say) it moves to the postgres user's home, keyed by the repo path.
 */
function postgresLayout(port) {
  let base = path.join(STACK_DIR, 'postgres');
  mkdirForPostgres(base);
  let logFile = path.join(LOGS_DIR, 'postgres.log');
  if (!postgresCanWrite(base)) {
    const key = createHash('sha1').update(STACK_DIR).digest('hex').slice(0, 10);
    const home = fs.existsSync('/var/lib/postgresql') ? '/var/lib/postgresql' : os.tmpdir();
    base = path.join(home, `platform-stack-${key}`);
    mkdirForPostgres(base);
    logFile = path.join(base, 'postgres.log');
    log(`postgres: the postgres user cannot reach ${STACK_DIR}; keeping the cluster in ${base}`);
  }
  let socketDir = path.join(base, 'run');
  if (`${socketDir}/.s.PGSQL.${port}`.length > 100) {
    // Unix socket paths are limited to ~107 bytes.
    socketDir = path.join(os.tmpdir(), `pgstack-${createHash('sha1').update(base).digest('hex').slice(0, 10)}`);
  }
  mkdirForPostgres(socketDir);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  if (!fs.existsSync(logFile)) fs.writeFileSync(logFile, '');
  if (isRoot()) {
    const ids = userIds('postgres');
    fs.chownSync(logFile, ids.uid, ids.gid);
  }
  return { base, dataDir: path.join(base, 'data'), socketDir, logFile };
}

/** Remove lock files left by a postmaster that is gone (killed, or a lingering zombie). */
function clearStaleLocks(dataDir, socketDir, port) {
  for (const file of [path.join(dataDir, 'postmaster.pid'), path.join(socketDir, `.s.PGSQL.${port}.lock`)]) {
    const pid = readPid(file);
    if (pid !== null && !isAlive(pid)) {
      log(`postgres: removing stale ${path.basename(file)} (pid ${pid} is gone)`);
      removeFile(file);
      if (file.endsWith('.lock')) removeFile(file.slice(0, -'.lock'.length));
    }
  }
}

const sqlIdent = (s) => `"${s.replace(/"/g, '""')}"`;
const sqlLiteral = (s) => `'${s.replace(/'/g, "''")}'`;

/** Create the role (LOGIN CREATEDB, with the URL's password) and the database when missing, over a socket. */
function provisionPostgres(spec, binDir, socketDir) {
  const { user, password, path: db } = spec;
  const sql = [
    `SELECT 'CREATE ROLE ${sqlIdent(user).replace(/'/g, "''")} LOGIN CREATEDB' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${sqlLiteral(user)}) \\gexec`,
    password ? `ALTER ROLE ${sqlIdent(user)} WITH LOGIN PASSWORD ${sqlLiteral(password)};` : '',
    `SELECT 'CREATE DATABASE ${sqlIdent(db).replace(/'/g, "''")} OWNER ${sqlIdent(user).replace(/'/g, "''")}' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${sqlLiteral(db)}) \\gexec`,
    '',
  ].join('\n');
  const psql = fs.existsSync(path.join(binDir, 'psql')) ? binDir : path.dirname(which('psql') ?? path.join(binDir, 'psql'));
  const r = pgRun(
    psql,
    'psql',
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(spec.port), '-U', 'postgres', '-d', 'postgres', '-f', '-'],
    { input: sql },
  );
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

/** Try to log in with DATABASE_URL. Resolves null on success, else the error. */
function loadPg() {
  return createRequire(path.join(ROOT, 'package.json'))('pg');
}

async function pgLogin(url) {
  let pg;
  try {
    pg = loadPg();
  } catch {
    return undefined; // `pg` not installed yet: cannot check
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Make sure the database of a postgres:// URL exists: when logging in fails with "database does not
 * exist", connect to the `postgres` database with the same credentials and CREATE DATABASE.
 * @param {string} url
 */
/** Schemas the services own; dropped by resetTestState so each test run starts from migrations. */
const SERVICE_SCHEMAS = ['job_runner', 'coordinator', 'knowledge'];

/**
 * Give a test run a clean slate: drop the services' schemas in the test database (migrations recreate
 * them) and flush the test Redis database, so jobs, caps and queues left by an earlier or interrupted
 * run cannot leak into this one. Refuses anything that does not look like a test target (a database
 * whose name does not end in `_test`, or Redis db 0).
 * @param {{TEST_DATABASE_URL: string, TEST_REDIS_URL: string}} urls
 */
export async function resetTestState(urls) {
  const dbUrl = new URL(urls.TEST_DATABASE_URL);
  const db = decodeURIComponent(dbUrl.pathname.replace(/^\//, ''));
  if (!db.endsWith('_test')) throw new Error(`refusing to reset database "${db}": not a *_test database`);
  const client = new (loadPg().Client)({ connectionString: urls.TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${SERVICE_SCHEMAS.map(sqlIdent).join(', ')} CASCADE`);
  } finally {
    await client.end().catch(() => {});
  }
  const redisUrl = new URL(urls.TEST_REDIS_URL);
  const redisDb = Number(redisUrl.pathname.replace(/^\//, '') || '0');
  if (redisDb === 0) throw new Error('refusing to flush Redis db 0 for tests');
  const Redis = createRequire(path.join(ROOT, 'package.json'))('ioredis');
  const redis = new (Redis.default ?? Redis)(urls.TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
  log(`test state reset: schemas of "${db}" dropped, Redis db ${redisDb} flushed`);
}

export async function ensureDatabase(url) {
  const err = await pgLogin(url);
  if (!err) return; // null: fine; undefined: pg not installed, cannot check
  if (err.code !== '3D000') throw new Error(`postgres: cannot log in with ${redact(url)}: ${err.message}`);
  const u = new URL(url);
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
  u.pathname = '/postgres';
  const client = new (loadPg().Client)({ connectionString: u.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query(`CREATE DATABASE ${sqlIdent(db)}`);
    log(`postgres: created database "${db}"`);
  } catch (e) {
    if (e.code !== '42P04') throw new Error(`postgres: creating database "${db}" failed: ${e.message}`, { cause: e }); // 42P04: exists
  } finally {
    await client.end().catch(() => {});
  }
}

/** A URL with its password hidden, for messages. */
function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** A Postgres we did not start: make sure DATABASE_URL can log in, creating role/database if we can. */
async function checkPostgres(spec, binDir) {
  let err = await pgLogin(spec.url);
  if (err === undefined) {
    log('postgres: `pg` is not installed yet (run npm install); not checking the login');
    return;
  }
  if (err === null) return;
  // 28P01 bad password, 28000 no such role / no pg_hba entry, 3D000 no such database
  if (spec.local && binDir && ['28P01', '28000', '3D000'].includes(err.code)) {
    const meta = readJson(PG_META());
    const dirs = [meta?.socketDir, '/var/run/postgresql', '/run/postgresql', '/tmp'].filter((d) => d && fs.existsSync(d));
    for (const dir of dirs) {
      if (!fs.existsSync(path.join(dir, `.s.PGSQL.${spec.port}`))) continue;
      const r = provisionPostgres(spec, binDir, dir);
      if (r.ok) {
        log(`postgres: created role/database "${spec.user}"/"${spec.path}" on the running server (socket ${dir})`);
        err = await pgLogin(spec.url);
        if (err === null) return;
      }
    }
  }
  throw new Error(
    `postgres: ${spec.host}:${spec.port} answers but DATABASE_URL cannot log in: ${err.message}\n` +
      `  Create the role and database on that server, e.g. as its superuser:\n` +
      `    CREATE ROLE ${sqlIdent(spec.user)} LOGIN CREATEDB PASSWORD '…'; CREATE DATABASE ${sqlIdent(spec.path)} OWNER ${sqlIdent(spec.user)};\n` +
      `  or stop it so that the stack can start its own.`,
  );
}

async function startPostgres(spec, binDir) {
  const layout = postgresLayout(spec.port);
  const { dataDir, socketDir, logFile } = layout;
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`postgres: initdb ${dataDir}`);
    const r = pgRun(binDir, 'initdb', ['-D', dataDir, '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--auth-local=trust', '--auth-host=scram-sha-256']);
    if (r.status !== 0) throw new Error(`postgres: initdb failed (exit ${r.status}):\n${indent(`${r.stdout}${r.stderr}`.trim())}`);
  }
  clearStaleLocks(dataDir, socketDir, spec.port);
  const opts = `-c listen_addresses=${bindHost(spec.host)} -p ${spec.port} -k ${socketDir}`;
  const r = pgRun(binDir, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', opts, 'start'], { timeoutMs: 90_000 });
  if (r.status !== 0) {
    throw new Error(
      `postgres: pg_ctl start failed (exit ${r.status}): ${`${r.stdout}${r.stderr}`.trim()}\n  last lines of ${logFile}:\n${indent(tail(logFile) || '(empty)')}`,
    );
  }
  const pid = readPid(path.join(dataDir, 'postmaster.pid'));
  writePid(pidFile('postgres'), pid);
  fs.writeFileSync(PG_META(), `${JSON.stringify({ binDir, ...layout, port: spec.port }, null, 2)}\n`);
  await waitPort(spec.port, { host: spec.host, name: 'postgres', logFile, pid, timeoutMs: 30_000 });
  const p = provisionPostgres(spec, binDir, socketDir);
  if (!p.ok) throw new Error(`postgres: creating role/database failed:\n${indent(p.output)}`);
  return pid;
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

// ── NATS ──

/** Read the INFO line of a NATS server; warn when JetStream is off or max_payload is small. */
async function checkNats(spec) {
  const hello = await tcpHello(spec.port, spec.host);
  const m = hello && /^INFO\s+(\{.*\})/m.exec(hello);
  if (!m) {
    log(`nats: warning: ${spec.host}:${spec.port} answers but does not look like NATS`);
    return;
  }
  const info = JSON.parse(m[1]);
  if (!info.jetstream) log(`nats: warning: the server on ${spec.host}:${spec.port} has JetStream disabled (start it with -js)`);
  if ((info.max_payload ?? 0) < 8 * 1024 * 1024) log(`nats: warning: max_payload is ${info.max_payload} bytes (the stack uses 8MB)`);
}

async function startNats(spec, bin) {
  const dir = path.join(STACK_DIR, spec.name);
  const storeDir = dir; // nats-server keeps its streams in <store_dir>/jetstream
  fs.mkdirSync(storeDir, { recursive: true });
  const conf = path.join(dir, 'nats.conf');
  fs.writeFileSync(
    conf,
    [
      '# Generated by scripts/lib/stack.mjs on every start; edits are overwritten.',
      `host: ${JSON.stringify(bindHost(spec.host))}`,
      `port: ${spec.port}`,
      'max_payload: 8MB',
      'jetstream {',
      `  store_dir: ${JSON.stringify(storeDir)}`,
      '}',
      '',
    ].join('\n'),
  );
  const logFile = path.join(LOGS_DIR, `${spec.name}.log`);
  const { child, state } = spawnDetached(bin, ['-c', conf, '-js'], { logFile });
  writePid(pidFile(spec.name), child.pid);
  await waitPort(spec.port, { host: spec.host, name: spec.name, logFile, pid: child.pid, exited: () => state.exited });
  return child.pid;
}

// ── Redis ──

async function startRedis(spec, bin) {
  const dir = path.join(STACK_DIR, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(LOGS_DIR, 'redis.log');
  const args = ['--port', String(spec.port), '--bind', bindHost(spec.host), '--dir', dir, '--daemonize', 'no'];
  if (spec.password) args.push('--requirepass', spec.password);
  const { child, state } = spawnDetached(bin, args, { logFile });
  writePid(pidFile('redis'), child.pid);
  await waitPort(spec.port, { host: spec.host, name: 'redis', logFile, pid: child.pid, exited: () => state.exited });
  // Wait until it has loaded its dataset (PING answers -LOADING until then).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const reply = await tcpHello(spec.port, spec.host, 'PING\r\n');
    if (reply && (reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'))) break;
    if (Date.now() > deadline) throw new Error(`redis: not answering PING (last: ${reply})\n${indent(tail(logFile))}`);
    await sleep(100);
  }
  return child.pid;
}

/**
 * Stop infrastructure servers that the stack started (those with a pid file): Postgres with
 * `pg_ctl stop -m fast` (as the postgres user), the others with SIGTERM then SIGKILL after 10 s.
 * Servers without a pid file (reused ones) are never touched.
 * @param {string[]} [names=SERVER_NAMES]
 * @returns {Promise<string[]>} the servers that were stopped
 */
export async function stopInfra(names = SERVER_NAMES) {
  const stopped = [];
  for (const name of ['nats-test', 'nats', 'redis', 'postgres'].filter((n) => names.includes(n))) {
    const pid = readPid(name);
    if (pid === null) continue;
    if (!isAlive(pid)) {
      removeFile(pidFile(name));
      continue;
    }
    if (name === 'postgres') {
      const meta = readJson(PG_META());
      if (meta?.binDir && meta?.dataDir) {
        const r = pgRun(meta.binDir, 'pg_ctl', ['-D', meta.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'], { timeoutMs: 40_000 });
        if (r.status !== 0) log(`postgres: pg_ctl stop failed (${`${r.stdout}${r.stderr}`.trim()}); signalling pid ${pid}`);
      }
      await stopPid(pid, { expect: 'postgres', label: 'postgres' });
    } else {
      await stopPid(pid, { expect: serverKind(name) === 'nats' ? 'nats-server' : 'redis-server', label: name });
    }
    removeFile(pidFile(name));
    stopped.push(name);
    log(`${name}: stopped (pid ${pid})`);
  }
  return stopped;
}

// ───────────────────────────── build and migrate ─────────────────────────────

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

/**
 * Whether an app's build is out of date: no entry point or build stamp, or a source (its app dir,
 * libs/, tsconfig*.json, nest-cli.json, package.json) changed since its last successful build.
 * @param {string} name
 */
export function needsBuild(name) {
  assertApp(name);
  const stamp = path.join(STAMPS_DIR, name);
  if (!fs.existsSync(appEntry(name)) || !fs.existsSync(stamp)) return true;
  const sources = [path.join(ROOT, 'apps', name), path.join(ROOT, 'libs'), path.join(ROOT, 'nest-cli.json'), path.join(ROOT, 'package.json')];
  for (const f of fs.readdirSync(ROOT)) if (/^tsconfig.*\.json$/.test(f)) sources.push(path.join(ROOT, f));
  const built = fs.statSync(stamp).mtimeMs;
  return sources.some((s) => newestMtime(s) > built);
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
  if (!force && ['1', 'true'].includes(process.env.STACK_SKIP_BUILD ?? '')) {
    const unbuilt = apps.filter((a) => !fs.existsSync(appEntry(a)));
    if (unbuilt.length) throw new Error(`STACK_SKIP_BUILD is set but ${unbuilt.join(', ')} ha${unbuilt.length > 1 ? 've' : 's'} never been built`);
    log(`build: skipped (STACK_SKIP_BUILD); using the existing dist of ${apps.join(', ')}`);
    return [];
  }
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
      const started = new Date();
      const a0 = Date.now();
      const r = await run(process.execPath, [nestBin, 'build', app]);
      // eslint-disable-next-line no-control-regex
      const out = (process.stdout.isTTY ? r.output : r.output.replace(/\x1b\[[0-9;]*m/g, '')).trim();
      if (r.code === 0) {
        fs.mkdirSync(STAMPS_DIR, { recursive: true });
        const stamp = path.join(STAMPS_DIR, app);
        fs.writeFileSync(stamp, `${started.toISOString()}\n`);
        fs.utimesSync(stamp, started, started); // edits made during the build make it stale again
        log(`build: ${app} ok in ${((Date.now() - a0) / 1000).toFixed(1)} s${out ? `\n${indent(out)}` : ''}`);
      } else {
        failed.push(app);
        fs.rmSync(path.join(STAMPS_DIR, app), { force: true });
        log(`build: ${app} FAILED (exit ${r.code})${out ? `\n${indent(out)}` : ''}`);
      }
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

// ───────────────────────────── apps ─────────────────────────────

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

/** A path relative to the repo when inside it (shorter messages), else absolute. */
function shown(p) {
  const rel = path.relative(ROOT, p);
  return rel.startsWith('..') ? p : rel;
}

/** Print-friendly URLs of a running stack. */
function urls(env, apps) {
  const lines = [];
  if (apps.includes('gateway')) {
    const base = `http://127.0.0.1:${appPort('gateway', env)}`;
    lines.push(`  API            ${base}/v1`, `  API docs       ${base}/docs`, `  OpenAPI        ${base}/openapi.json`);
  }
  for (const app of apps)
    lines.push(`  ${app.padEnd(19)}http://127.0.0.1:${appPort(app, env)}/health  (ready: /health/ready, log: ${shown(path.join(LOGS_DIR, `${app}.log`))})`);
  return lines.join('\n');
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
  const busy = [];
  for (const app of list) if (await portOpen(appPort(app, appEnv))) busy.push(`${app} port ${appPort(app, appEnv)} (${APPS[app].portEnv})`);
  if (busy.length) throw new Error(`ports already in use by processes the stack did not start: ${busy.join(', ')}\n  stop them or choose other ports`);

  const pids = {};
  for (const app of list) {
    pids[app] = startApp(app, appEnv, { logFile: path.join(LOGS_DIR, `${app}.log`), pidFile: pidFile(app) });
    log(`${app}: started (pid ${pids[app]}) on port ${appPort(app, appEnv)}`);
  }
  const results = await Promise.allSettled(
    list.map((app) => waitHttp(`http://127.0.0.1:${appPort(app, appEnv)}/health/ready`, readyTimeoutMs, { pid: pids[app] })),
  );
  const failed = list.filter((_, i) => results[i].status === 'rejected');
  if (failed.length) {
    const details = list
      .map((app, i) => {
        const r = results[i];
        const status = r.status === 'fulfilled' ? 'ready' : r.reason.message;
        return `  ${app}: ${status}\n    last lines of ${shown(path.join(LOGS_DIR, `${app}.log`))}:\n${indent(indent(tail(path.join(LOGS_DIR, `${app}.log`), 25) || '(empty)'))}`;
      })
      .join('\n');
    const err = new Error(`not ready: ${failed.join(', ')} (the apps are left running for inspection; npm run stack:down stops them)\n${details}`);
    err.exitCode = 1;
    throw err;
  }
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

/**
 * One line per server and app: managed pid (if any), whether its port answers, app readiness.
 * @param {{env?: NodeJS.ProcessEnv}} [opts]
 * @returns {Promise<string>}
 */
export async function status({ env = process.env } = {}) {
  const specs = infraSpecs(env);
  const e = stackEnv(env);
  const lines = [];
  for (const n of SERVER_NAMES) {
    const pid = readPid(n);
    const open = await portOpen(specs[n].port, specs[n].host);
    const managed = pid !== null && isAlive(pid) ? `managed, pid ${pid}` : 'not managed';
    lines.push(`${n.padEnd(19)}${specs[n].host}:${specs[n].port}  ${open ? 'up' : 'down'}  (${managed})`);
  }
  for (const app of APP_NAMES) {
    const pid = readPid(app);
    const port = appPort(app, e);
    let health = 'down';
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(3000) });
      health = res.status === 200 ? 'ready' : `not ready (${res.status})`;
    } catch {
      /* down */
    }
    const managed = pid !== null && isAlive(pid) ? `managed, pid ${pid}` : 'not managed';
    lines.push(`${app.padEnd(19)}127.0.0.1:${port}  ${health}  (${managed})`);
  }
  return lines.join('\n');
}
