import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';

/**
 * Runs `fn` while holding a Postgres session advisory lock, or returns null at once when another
 * replica holds it: housekeeping that must run on one replica at a time.
 */
export async function withAdvisoryLock<T>(db: DataSource, key: number, fn: () => Promise<T>): Promise<T | null> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [key])) as { locked: boolean }[];
    if (!locked) return null;
    try {
      return await fn();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await runner.release();
  }
}

/** Calls `fn` every `intervalMs`, never overlapping itself; `stop()` waits for a run in progress. */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly fn: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.fn()
        .catch((err: Error) => this.logger.warn(`${this.name} failed: ${err.message}`))
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
