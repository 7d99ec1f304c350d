/**
 * Whether an error means a dependency (Postgres, Redis, NATS) is unreachable or went away, as opposed
 * to a bug or a bad request. Such failures are answered 503 with Retry-After (the caller may retry;
 * nothing was done), never 500.
 *
 * Postgres SQLSTATE classes 08 (connection exception), 57P0x (admin/crash shutdown, cannot connect
 * now) and 53 (insufficient resources); Node socket errors; the messages pg, TypeORM, ioredis and
 * nats.js use when their connection is gone.
 */
const PG_UNAVAILABLE = /^(08|53|57P0[1-4])/;
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const MESSAGES =
  /Connection terminated|terminating connection|Connection lost|Connection is closed|Driver not Connected|the database system is (starting up|shutting down)|timeout exceeded when trying to connect|CONNECTION_(CLOSED|DRAINING)|Stream isn't writeable|connect ECONNREFUSED|MaxRetriesPerRequestError/i;

export function isDependencyUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const x = e as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof x.code === 'string' && (PG_UNAVAILABLE.test(x.code) || SOCKET_CODES.has(x.code))) return true;
    if (typeof x.message === 'string' && MESSAGES.test(x.message)) return true;
    e = x.driverError ?? x.cause;
  }
  return false;
}
