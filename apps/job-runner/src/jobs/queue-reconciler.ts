import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { QueueRebuild } from '@platform/runtime';
import { JobQueue } from './job-queue';
import { JobStore } from './job.store';

/**
 * Rebuilds the jobs queue from Postgres: every `submitted` job is (re-)added to Bull whenever Redis
 * becomes ready (`QueueRebuild`). Adding is idempotent (the Bull job id is the job id), so jobs still
 * queued are not duplicated; a job that is already running is not `submitted`. The periodic JobSweeper
 * remains the safety net for the rest (finished Bull entries blocking a re-add, running jobs whose entry is gone).
 */
@Injectable()
export class QueueReconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly rebuild: QueueRebuild;

  constructor(queue: JobQueue, store: JobStore) {
    this.rebuild = new QueueRebuild({
      name: 'jobs',
      queue: queue.queue,
      pendingIds: (after, limit) => store.submittedIds(after, limit),
      enqueue: (id) => queue.enqueue(id),
    });
  }

  onApplicationBootstrap(): void {
    this.rebuild.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.rebuild.stop();
  }

  /** Resolves when no reconcile is in progress. */
  settled(): Promise<void> {
    return this.rebuild.settled();
  }

  trigger(): void {
    this.rebuild.trigger();
  }

  /** Re-adds every submitted job; returns how many it added (already queued ones included). */
  reconcile(): Promise<number> {
    return this.rebuild.rebuild();
  }
}
