// Postgres as a client sees it: can DATABASE_URL log in, does its database exist (created when not).

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './config.mjs';
import { redact } from './endpoints.mjs';
import { log } from './log.mjs';
import { PG_META, provisionPostgres, sqlIdent } from './postgres-server.mjs';
import { readJson } from './processes.mjs';

/** The `pg` package of the repository (loaded lazily: the scripts run before `npm install` too). */
export function loadPg() {
  return createRequire(path.join(ROOT, 'package.json'))('pg');
}

/** Try to log in with DATABASE_URL. Resolves null on success, else the error (undefined: `pg` missing). */
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

/** Over a local server's Unix socket, create the role/database DATABASE_URL needs. True when it then logs in. */
async function provisionOverSocket(spec, binDir) {
  const meta = readJson(PG_META());
  const dirs = [meta?.socketDir, '/var/run/postgresql', '/run/postgresql', '/tmp'].filter((d) => d && fs.existsSync(d));
  for (const dir of dirs) {
    if (!fs.existsSync(path.join(dir, `.s.PGSQL.${spec.port}`))) continue;
    const r = provisionPostgres(spec, binDir, dir);
    if (r.ok) {
      log(`postgres: created role/database "${spec.user}"/"${spec.path}" on the running server (socket ${dir})`);
      if ((await pgLogin(spec.url)) === null) return true;
    }
  }
  return false;
}

/** A Postgres we did not start: make sure DATABASE_URL can log in, creating role/database if we can. */
export async function checkPostgres(spec, binDir) {
  const err = await pgLogin(spec.url);
  if (err === undefined) {
    log('postgres: `pg` is not installed yet (run npm install); not checking the login');
    return;
  }
  if (err === null) return;
  if (err.code === '3D000') {
    // No such database: the role may create it itself (the stack's role has CREATEDB).
    const created = await ensureDatabase(spec.url).then(
      () => true,
      () => false,
    );
    if (created) return;
  }
  // 28P01 bad password, 28000 no such role / no pg_hba entry, 3D000 no such database
  if (spec.local && binDir && ['28P01', '28000', '3D000'].includes(err.code)) {
    if (await provisionOverSocket(spec, binDir)) return;
  }
  throw new Error(
    `postgres: ${spec.host}:${spec.port} answers but DATABASE_URL cannot log in: ${err.message}\n` +
      `  Create the role and database on that server, e.g. as its superuser:\n` +
      `    CREATE ROLE ${sqlIdent(spec.user)} LOGIN CREATEDB PASSWORD '…'; CREATE DATABASE ${sqlIdent(spec.path)} OWNER ${sqlIdent(spec.user)};\n` +
      `  or stop it so that the stack can start its own.`,
  );
}
