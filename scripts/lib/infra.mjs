// The servers as a whole: make Postgres, NATS and Redis reachable (reusing what already answers),
// stop the ones the stack started, and reset the test state between test runs.

import { createRequire } from 'node:module';
import path from 'node:path';
import { findBinaries, installPackages } from './binaries.mjs';
import { INFRA_NAMES, ROOT, SERVER_NAMES, serverKind, stackEnv } from './config.mjs';
import { infraSpecs } from './endpoints.mjs';
import { log } from './log.mjs';
import { checkNats, startNats } from './nats.mjs';
import { livePid, ownedPid, pidFile, removeFile, stopPid } from './pids.mjs';
import { portOpen } from './ports.mjs';
import { checkPostgres, ensureDatabase, loadPg } from './postgres.mjs';
import { sqlIdent, startPostgres, stopPostgres } from './postgres-server.mjs';
import { withLock } from './processes.mjs';
import { startRedis } from './redis.mjs';

const STARTERS = { postgres: startPostgres, nats: startNats, redis: startRedis };

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
  const bins = await ensureBinaries(specs, names, open);

  const started = [];
  const reused = [];
  const results = await Promise.allSettled(
    names.map(async (n) => {
      if (await startOrReuse(specs[n], open[n], bins)) started.push(n);
      else reused.push(n);
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

/**
 * The binaries of the servers that do not answer (installed when missing, see installPackages).
 * Servers not on loopback are never started here. `open` is refreshed after an install, since a
 * package's post-install may start a server of its own on the port (which is then reused).
 */
async function ensureBinaries(specs, names, open) {
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
    for (const n of toStart) open[n] = await portOpen(specs[n].port, specs[n].host);
  }
  return bins;
}

/** Reuse the server when its port answers (checking it), else start it. Resolves true when started. */
async function startOrReuse(spec, open, bins) {
  const n = spec.name;
  const kind = serverKind(n);
  if (open) {
    if (n === 'postgres') await checkPostgres(spec, bins.postgres);
    if (kind === 'nats') await checkNats(spec);
    const pid = livePid(n);
    const ours = pid !== null ? `started earlier by the stack, pid ${pid}` : 'not managed by the stack';
    log(`${n}: reusing ${spec.host}:${spec.port} (already running; ${ours})`);
    return false;
  }
  const t0 = Date.now();
  const pid = await STARTERS[kind](spec, bins[kind]);
  log(`${n}: started on ${spec.host}:${spec.port} (pid ${pid}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return true;
}

/**
 * Stop infrastructure servers that the stack started (those with a pid file): Postgres with
 * `pg_ctl stop -m fast` (as the postgres user), the others with SIGTERM then SIGKILL after 10 s.
 * Servers without a pid file (reused ones) are never touched, nor a process that got a recorded pid
 * later (see livePid).
 * @param {string[]} [names=SERVER_NAMES]
 * @returns {Promise<string[]>} the servers that were stopped
 */
export async function stopInfra(names = SERVER_NAMES) {
  const stopped = [];
  for (const name of ['nats-test', 'nats', 'redis', 'postgres'].filter((n) => names.includes(n))) {
    const pid = ownedPid(name); // a pid file whose process is gone or was replaced is removed
    if (pid === null) continue;
    if (name === 'postgres') await stopPostgres(pid);
    else await stopPid(pid, { expect: serverKind(name) === 'nats' ? 'nats-server' : 'redis-server', label: name });
    removeFile(pidFile(name));
    stopped.push(name);
    log(`${name}: stopped (pid ${pid})`);
  }
  return stopped;
}

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
  const redisUrl = new URL(urls.TEST_REDIS_URL);
  const redisDb = Number(redisUrl.pathname.replace(/^\//, '') || '0');
  const client = new (loadPg().Client)({ connectionString: urls.TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${SERVICE_SCHEMAS.map(sqlIdent).join(', ')} CASCADE`);
  } finally {
    await client.end().catch(() => {});
  }
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
