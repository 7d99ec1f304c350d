import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import DataLoader from 'dataloader';
import { captureTrace, type TraceCarrier } from '@platform/runtime';
import { HAND_BACK_BACKOFF, MAX_HAND_BACKS } from './hand-back';

export const JOBS_QUEUE = 'jobs';

export interface QueuedJob {
  job_id: string;
  /** Times a run handed this job back after claiming it (see HandBack); absent: never. */
  handed_back?: number;
  /** The submitter's trace context (W3C), restored by the processor so the run joins the submit's trace; absent without tracing. */
  trace?: TraceCarrier;
}

interface Add {
  jobId: string;
  trace?: TraceCarrier;
}

/**
 * The Bull queue that hands jobs to the replicas' JobProcessor. The Bull job id is the job id, so adding
 * twice is harmless. Postgres is the source of truth: the queue is derived state, rebuilt from the
 * `submitted` rows by the QueueReconciler whenever Redis (re)connects.
 */
@Injectable()
export class JobQueue {
  private readonly logger = new Logger(JobQueue.name);
  private failedAdds = 0;
  private warnedAt = 0;

  constructor(@InjectQueue(JOBS_QUEUE) readonly queue: Queue<QueuedJob>) {}

  /** Jobs enqueued together go to Redis in one pipelined `addBulk` instead of a round trip each. */
  private readonly adds = new DataLoader<Add, true>(
    async (ids) => {
      await this.queue.addBulk(
        ids.map(({ jobId, trace }) => ({
          data: trace ? { job_id: jobId, trace } : { job_id: jobId },
          // Retries of the Bull entry are hand-backs only (HandBack); every other outcome completes it.
          opts: { jobId, removeOnComplete: true, removeOnFail: 1000, attempts: MAX_HAND_BACKS, backoff: { type: HAND_BACK_BACKOFF } },
        })),
      );
      return ids.map(() => true as const);
    },
    { cache: false, maxBatchSize: 200 },
  );

  /** Adds the job and waits for Redis to take it. */
  async enqueue(jobId: string): Promise<void> {
    // Captured now: the batch is sent later, outside the caller's context.
    await this.adds.load({ jobId, trace: captureTrace() });
  }

  /**
   * Adds the job without making the caller wait: a submit is answered once its row is committed. While
   * Redis is down the add waits in the connection's offline queue (or fails, logged); either way the
   * reconciler re-adds every `submitted` job as soon as Redis is back.
   */
  offer(jobId: string): void {
    this.enqueue(jobId).catch((err: Error) => {
      this.failedAdds++;
      if (Date.now() - this.warnedAt >= 10_000) {
        this.logger.warn(`${this.failedAdds} job(s) not enqueued yet (re-queued when Redis is back): ${err.message}`);
        this.warnedAt = Date.now();
        this.failedAdds = 0;
      }
    });
  }

  /** Removes a job that no processor holds yet. Returns false when a processor has it locked (or it is gone). */
  async removeWaiting(jobId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (!job) return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false;
    }
  }

  /** The queue's view of a job: waiting, active, delayed, failed…, or null when Bull has no entry. */
  async stateOf(jobId: string): Promise<string | null> {
    const job = await this.queue.getJob(jobId);
    return job ? await job.getState() : null;
  }
}
