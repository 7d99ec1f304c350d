// Where the servers are: the stack's URLs (DATABASE_URL, NATS_URL, REDIS_URL) parsed, and the test
// URLs derived from them.

import { stackEnv } from './config.mjs';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

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
export function bindHost(host) {
  return host === 'localhost' ? '127.0.0.1' : host;
}

/** Descriptions of the servers (the stack's three and the test NATS) for a given environment. */
export function infraSpecs(env) {
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

/** A URL with its password hidden, for messages. */
export function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
