import type { RedisOptions } from 'ioredis';

/**
 * ioredis options for Bull's connections from a redis:// or rediss:// URL. Bull's own default
 * reconnect backoff is `min(e^n, 20 s)`, so after a Redis outage of a few seconds its connections
 * come back up to 20 s late and the queue stands still meanwhile; this one retries every 0.1–1 s.
 * (Bull forces `maxRetriesPerRequest: null` on its blocking and subscriber connections itself.)
 */
export function bullRedisOptions(url: string): RedisOptions {
  const u = new URL(url);
  const db = Number(u.pathname.replace(/^\//, '') || 0);
  const opts: RedisOptions = {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    db: Number.isInteger(db) ? db : 0,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
  };
  if (u.username) opts.username = decodeURIComponent(u.username);
  if (u.password) opts.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') opts.tls = {};
  return opts;
}
