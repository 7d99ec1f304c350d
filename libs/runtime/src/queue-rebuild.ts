import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bull';

const PAGE = 500;
const RETRY_MS = 2000;
const MAX_RETRIES = 10;

/** Where a queue's entries come from: the rows in Postgres that should be on it, and how one is added (idempotently). */
export interface QueueSource {
  /** The queue's name, for logs. */
  readonly name: string;
  readonly queue: Queue;
  /** Ids of rows waiting to be queued, in id order, after `after`. */
  pendingIds(after: string, limit: number): Promise<string[]>;
  /** Adds one; adding an id that is already queued adds nothing (the Bull job id is the row id). */
  enqueue(id: string): Promise<void>;
}

/**
 * Rebuilds a Bull queue from Postgres, its source of truth: every pending row is (re-)added whenever
 * Redis becomes ready — at start-up and after each reconnect, which is when a Redis that restarted
 * empty (or an outage that swallowed adds) has lost entries. So a request that records a row answers
 * once the row is committed and only offers the add: a Redis outage costs execution latency, never a
 * failed or duplicated request (docs/reliability.md, "A reply tells the truth").
 * A service subclasses it as an injectable provider that names its source (`QueueReconciler`,
 * `IngestReconciler`); Nest starts it on bootstrap and stops it before shutdown.
 */
export class QueueRebuild implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger: Logger;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private retries = 0;
  private retryTimer?: NodeJS.Timeout;
  private queueErrors = 0;
  private errorLoggedAt = 0;

  constructor(private readonly source: QueueSource) {
    this.logger = new Logger(`QueueRebuild:${source.name}`);
  }

  private readonly onReady = () => this.trigger();

  /** Bull reports every failed reconnect and command as a queue 'error': logged, at most every 10 s. */
  private readonly onQueueError = (err: Error) => {
    this.queueErrors++;
    if (Date.now() - this.errorLoggedAt < 10_000) return;
    this.logger.warn(`${this.source.name} queue: ${this.queueErrors} error(s), last: ${err?.message ?? err}`);
    this.errorLoggedAt = Date.now();
    this.queueErrors = 0;
  };

  onApplicationBootstrap(): void {
    this.source.queue.on('error', this.onQueueError);
    this.source.queue.client.on('ready', this.onReady);
    this.trigger();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.source.queue.client.off('ready', this.onReady);
    await Promise.race([this.running, new Promise((r) => setTimeout(r, 2000).unref())]);
  }

  /** Resolves when no rebuild is in progress. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Runs a rebuild now, or once more after the one in progress (a reconnect during a pass must not be missed). */
  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.reconcile();
          this.retries = 0;
        } catch (err) {
          // Postgres may still be down when Redis returns: try again shortly, a few times, then leave it to the sweeper.
          this.logger.warn(`re-queueing pending ${this.source.name} entries failed: ${(err as Error).message}`);
          if (++this.retries <= MAX_RETRIES && !this.stopped) {
            this.retryTimer = setTimeout(() => this.trigger(), RETRY_MS);
            this.retryTimer.unref();
          }
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
  }

  /** Re-adds every pending row; returns how many it added (already queued ones included). */
  async reconcile(): Promise<number> {
    let count = 0;
    for (let after = ''; !this.stopped;) {
      const ids = await this.source.pendingIds(after, PAGE);
      if (ids.length === 0) break;
      await Promise.all(ids.map((id) => this.source.enqueue(id)));
      count += ids.length;
      after = ids[ids.length - 1];
      if (ids.length < PAGE) break;
    }
    if (count > 0) this.logger.log(`Redis ready: ${count} pending ${this.source.name} entr${count === 1 ? 'y' : 'ies'} (re-)queued`);
    return count;
  }
}
