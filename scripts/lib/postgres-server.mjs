// A Postgres cluster of the stack's own: where it lives, initdb, start, stop, and creating the role
// and database of DATABASE_URL over its Unix socket. As root, the server and its tools run as the
// `postgres` user.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isRoot, userIds, which } from './binaries.mjs';
import { LOGS_DIR, STACK_DIR } from './config.mjs';
import { bindHost } from './endpoints.mjs';
import { indent, log } from './log.mjs';
import { isAlive, pidFile, readPid, removeFile, stopPid, writePid } from './pids.mjs';
import { waitPort } from './ports.mjs';
import { readJson, tail } from './processes.mjs';

/** What startPostgres recorded about the cluster it started (binDir, dataDir, socketDir, …). */
export const PG_META = () => path.join(STACK_DIR, 'postgres.json');

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

export const sqlIdent = (s) => `"${s.replace(/"/g, '""')}"`;
const sqlLiteral = (s) => `'${s.replace(/'/g, "''")}'`;

/** Create the role (LOGIN CREATEDB, with the URL's password) and the database when missing, over a socket. */
export function provisionPostgres(spec, binDir, socketDir) {
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

/** initdb (first time), pg_ctl start, record pid and layout, create the role and database. Returns the pid. */
export async function startPostgres(spec, binDir) {
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

/** Stop the cluster startPostgres started (postmaster `pid`): `pg_ctl stop -m fast`, then signals if needed. */
export async function stopPostgres(pid) {
  const meta = readJson(PG_META());
  if (meta?.binDir && meta?.dataDir) {
    const r = pgRun(meta.binDir, 'pg_ctl', ['-D', meta.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'], { timeoutMs: 40_000 });
    if (r.status !== 0) log(`postgres: pg_ctl stop failed (${`${r.stdout}${r.stderr}`.trim()}); signalling pid ${pid}`);
  }
  await stopPid(pid, { expect: 'postgres', label: 'postgres' });
}
