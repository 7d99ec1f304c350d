import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { isDependencyUnavailable } from './dependency-errors';

/**
 * A circuit breaker on Postgres connection attempts. While Postgres is down every request would make
 * its own connection attempt and wait for it to fail (up to `connectionTimeoutMillis` against an
 * unreachable host) before its 503. After one attempt fails because Postgres is unavailable the breaker
 * opens: further attempts fail at once with SQLSTATE 08006, which the RPC filter answers 503 with
 * Retry-After, and one trial attempt per `probeMs` goes through to find Postgres back. The first trial
 * that connects closes it. Queries on pooled connections are untouched: when Postgres goes away they
 * fail by themselves and the pool drops them (docs/reliability.md, "Dependency down → fast 503").
 */
export class PostgresBreaker {
  private openSince: number | null = null;
  private lastTrial = 0;
  private readonly logger = new Logger('Postgres');

  constructor(
    readonly probeMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  get isOpen(): boolean {
    return this.openSince !== null;
  }

  /** Whether a connection attempt may go ahead now: always while closed, one per `probeMs` while open. */
  admit(): boolean {
    if (this.openSince === null) return true;
    const t = this.now();
    if (t - this.lastTrial < this.probeMs) return false;
    this.lastTrial = t;
    return true;
  }

  /** Records how a connection attempt ended (`err` null: it connected). Only unavailability opens the breaker. */
  record(err: unknown): void {
    if (!err) {
      if (this.openSince !== null) this.logger.log(`Postgres is back after ${this.now() - this.openSince} ms; connecting again`);
      this.openSince = null;
      return;
    }
    if (this.openSince !== null || !isDependencyUnavailable(err)) return;
    this.openSince = this.lastTrial = this.now();
    this.logger.warn(`Postgres unavailable (${(err as Error).message}); failing fast, one trial connection every ${this.probeMs} ms`);
  }
}

/** The error a connection attempt fails with while the breaker is open (SQLSTATE 08006: connection failure). */
export class PostgresUnavailableError extends Error {
  override name = 'PostgresUnavailableError';
  readonly code = '08006';
  constructor() {
    super('Postgres is unavailable (circuit open); retry shortly');
  }
}

/** pg's own callback type for `connect`. */
type ConnectCallback = ((err: Error) => void) | ((err: null, c: Client) => void);

/** A pg `Client` class whose connection attempts go through `breaker` (pg-pool's documented `Client` option). */
export function breakerClient(breaker: PostgresBreaker): typeof Client {
  class BreakerClient extends Client {
    override connect(): Promise<Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<Client> | void {
      const done = callback as ((err: Error | null) => void) | undefined;
      if (!breaker.admit()) {
        const err = new PostgresUnavailableError();
        if (!done) return Promise.reject(err);
        process.nextTick(done, err);
        return;
      }
      if (!done) {
        return super.connect().then(
          (c) => (breaker.record(null), c),
          (e: unknown) => {
            breaker.record(e);
            throw e;
          },
        );
      }
      super.connect((err: Error | null) => {
        breaker.record(err);
        done(err);
      });
    }
  }
  return BreakerClient;
}
