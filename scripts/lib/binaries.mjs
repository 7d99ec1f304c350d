// Finding the server programs (postgres, nats-server, redis-server), and installing them with apt
// when they are missing and we are root.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { log } from './log.mjs';

const APT_PACKAGES = { postgres: 'postgresql', nats: 'nats-server', redis: 'redis-server' };
const EXTRA_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Find an executable on PATH or in the usual sbin/bin directories. */
export function which(name) {
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

export function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function userIds(user) {
  const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** The binary (or, for postgres, bin directory) of each server kind; null where missing. */
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

export function findBinaries() {
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
export function installPackages(names) {
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
