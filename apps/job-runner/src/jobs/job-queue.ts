import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import DataLoader from 'dataloader';

export const JOBS_QUEUE = 'jobs';

export interface QueuedJob {
  job_id: string;
}

/** The Bull queue that hands jobs to the replicas' JobProcessor. The Bull job id is the job id, so adding twice is harmless. */
@Injectable()
export class JobQueue {
  constructor(@InjectQueue(JOBS_QUEUE) readonly queue: Queue<QueuedJob>) {}

  /** Jobs enqueued together go to Redis in one pipelined `addBulk` instead of a round trip each. */
  private readonly adds = new DataLoader<string, true>(
    async (ids) => {
      await this.queue.addBulk(ids.map((jobId) => ({ data: { job_id: jobId }, opts: { jobId, removeOnComplete: true, removeOnFail: 1000, attempts: 1 } })));
      return ids.map(() => true as const);
    },
    { cache: false, maxBatchSize: 200 },
  );

  async enqueue(jobId: string): Promise<void> {
    await this.adds.load(jobId);
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
