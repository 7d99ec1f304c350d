import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { JobQueue } from './job-queue';
import { JobStore } from './job.store';

const PAGE = 500;
const RETRY_MS = 2000;
const MAX_RETRIES = 10;

/**
 * Rebuilds the queue from Postgres: every `submitted` job is (re-)added to Bull whenever Redis becomes
 * ready — at startup and after each reconnect, which is when a Redis that restarted empty (or an
 * outage that swallowed submits' adds) has lost entries. Adding is idempotent (the Bull job id is the
 * job id), so jobs still queued are not duplicated; a job that is already running is not `submitted`.
 * A Redis outage thus costs execution latency, never a submit. The periodic JobSweeper remains the
 * safety net for the rest (finished Bull entries blocking a re-add, running jobs whose entry is gone).
 */
@Injectable()
export class QueueReconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(QueueReconciler.name);
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private retries = 0;
  private retryTimer?: NodeJS.Timeout;
  private queueErrors = 0;
  private errorLoggedAt = 0;

  constructor(
    private readonly queue: JobQueue,
    private readonly store: JobStore,
  ) {}

  private readonly onReady = () => this.trigger();

  /** Bull reports every failed reconnect and command as a queue 'error': logged, at most every 10 s. */
  private readonly onQueueError = (err: Error) => {
    this.queueErrors++;
    if (Date.now() - this.errorLoggedAt < 10_000) return;
    this.logger.warn(`jobs queue: ${this.queueErrors} error(s), last: ${err?.message ?? err}`);
    this.errorLoggedAt = Date.now();
    this.queueErrors = 0;
  };

  onApplicationBootstrap(): void {
    this.queue.queue.on('error', this.onQueueError);
    this.queue.queue.client.on('ready', this.onReady);
    this.trigger();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.queue.queue.client.off('ready', this.onReady);
    await Promise.race([this.running, new Promise((r) => setTimeout(r, 2000).unref())]);
  }

  /** Resolves when no reconcile is in progress. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Runs a reconcile now, or once more after the one in progress (a reconnect during a pass must not be missed). */
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
          this.logger.warn(`re-queueing submitted jobs failed: ${(err as Error).message}`);
          if (++this.retries <= MAX_RETRIES && !this.stopped) {
            this.retryTimer = setTimeout(() => this.trigger(), RETRY_MS);
            this.retryTimer.unref();
          }
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
  }

  /** Re-adds every submitted job; returns how many it added (already queued ones included). */
  async reconcile(): Promise<number> {
    let count = 0;
    for (let after = ''; !this.stopped;) {
      const ids = await this.store.submittedIds(after, PAGE);
      if (ids.length === 0) break;
      await Promise.all(ids.map((id) => this.queue.enqueue(id)));
      count += ids.length;
      after = ids[ids.length - 1];
      if (ids.length < PAGE) break;
    }
    if (count > 0) this.logger.log(`Redis ready: ${count} submitted job(s) (re-)queued`);
    return count;
  }
}
