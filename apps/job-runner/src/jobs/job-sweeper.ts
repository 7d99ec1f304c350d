import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EventLog } from './event-log';
import { JobMetrics } from './job-metrics';
import { JobQueue } from './job-queue';
import { JobStore } from './job.store';
import { PeriodicTask, withAdvisoryLock } from '@platform/runtime';
import { JobRunnerConfig } from '../config';

/** Advisory-lock key: only the replica holding it sweeps, the others skip that round. */
const SWEEP_LOCK = 0x6a6f6273; // "jobs"
/** Likewise for the quick pass over submits whose queue entry was never added. */
const ORPHAN_LOCK = 0x6f727068; // "orph"
const LIVE_QUEUE_STATES = new Set(['waiting', 'active', 'delayed', 'paused']);

/**
 * Deletes expired jobs (events go by cascade) and repairs jobs the queue lost track of: a submitted
 * job with no queue entry is re-queued; a running job whose queue entry is gone is re-queued while
 * attempts remain, else failed. Nothing stays `running` forever.
 */
@Injectable()
export class JobSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobSweeper.name);
  private readonly task: PeriodicTask;
  private readonly orphans: PeriodicTask;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly store: JobStore,
    private readonly queue: JobQueue,
    private readonly log: EventLog,
    @Inject(JobRunnerConfig) private readonly config: JobRunnerConfig,
    @Optional() private readonly metrics?: JobMetrics,
  ) {
    this.task = new PeriodicTask('sweep', config.JOB_SWEEP_INTERVAL_MS, () => this.sweep(), this.logger);
    this.orphans = new PeriodicTask('orphaned submits', config.JOB_ORPHAN_CHECK_MS, () => this.requeueOrphans(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.task.start();
    this.orphans.start();
  }

  /** Before the database closes (onApplicationShutdown), so a sweep in progress finishes on an open pool. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.task.stop(), this.orphans.stop()]);
  }

  /**
   * A runner killed between committing a submit and adding its queue entry leaves a `submitted` job
   * nobody will run; within seconds (not the full sweep's minute) the job is queued. Adding is
   * idempotent, so a job whose add was merely slow is not queued twice.
   */
  requeueOrphans(): Promise<number | null> {
    return withAdvisoryLock(this.db, ORPHAN_LOCK, async () => {
      let requeued = 0;
      const window = await this.store.findRecentlyQuietSubmits(this.config.JOB_ORPHAN_CHECK_MS, this.config.JOB_STUCK_AFTER_MS, 200);
      for (const job of window) {
        if (await this.requeueIfLost(job.id)) requeued++;
      }
      if (requeued) {
        this.metrics?.sweeper.inc({ action: 'requeued' }, requeued);
        this.logger.log(`${requeued} submitted job(s) without a queue entry re-queued`);
      }
      return requeued;
    });
  }

  /** One sweep; returns what it did (for tests and logs), or null when another replica holds the lock. */
  sweep(): Promise<{ deleted: number; requeued: number; failed: number } | null> {
    return withAdvisoryLock(this.db, SWEEP_LOCK, () => this.sweepLocked());
  }

  private async sweepLocked() {
    let deleted = 0;
    for (let n = -1; n !== 0; deleted += n) n = await this.store.deleteExpired(1000);
    let requeued = 0;
    let failed = 0;
    for (const job of await this.store.findQuiet('submitted', this.config.JOB_STUCK_AFTER_MS, 500)) {
      if (await this.requeueIfLost(job.id)) requeued++;
    }
    // A running job writes at least its status on every attempt; quiet for longer than a lock period means "maybe lost".
    for (const job of await this.store.findQuiet('running', this.config.JOB_LOCK_MS * 2, 500)) {
      const state = await this.queue.stateOf(job.id);
      if (state && LIVE_QUEUE_STATES.has(state)) continue;
      if (job.attempt >= this.config.JOB_MAX_ATTEMPTS) {
        if (await this.log.transition({ jobId: job.id, from: ['running'], to: 'failure', error: `Job failed: worker lost ${job.attempt} times` })) failed++;
      } else if (await this.requeueIfLost(job.id)) requeued++;
    }
    if (deleted) this.metrics?.sweeper.inc({ action: 'deleted' }, deleted);
    if (requeued) this.metrics?.sweeper.inc({ action: 'requeued' }, requeued);
    if (failed) this.metrics?.sweeper.inc({ action: 'failed' }, failed);
    if (deleted || requeued || failed) this.logger.log(`sweep: deleted ${deleted} expired, re-queued ${requeued}, failed ${failed}`);
    return { deleted, requeued, failed };
  }

  private async requeueIfLost(jobId: string): Promise<boolean> {
    const state = await this.queue.stateOf(jobId);
    if (state && LIVE_QUEUE_STATES.has(state)) return false;
    if (state) await this.queue.removeWaiting(jobId); // a finished Bull entry would block re-adding the same id
    await this.queue.enqueue(jobId);
    return true;
  }
}
