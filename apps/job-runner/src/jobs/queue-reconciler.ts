import { Injectable } from '@nestjs/common';
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
export class QueueReconciler extends QueueRebuild {
  constructor(queue: JobQueue, store: JobStore) {
    super({ name: 'jobs', queue: queue.queue, pendingIds: (after, limit) => store.submittedIds(after, limit), enqueue: (id) => queue.enqueue(id) });
  }
}
