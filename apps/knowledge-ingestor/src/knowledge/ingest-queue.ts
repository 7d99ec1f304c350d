import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { captureTrace, type TraceCarrier } from '@platform/runtime';
import { IngestorConfig } from '../config';

export const INGEST_QUEUE = 'knowledge-ingest';

export interface IngestJob {
  document_id: string;
  /** The registering request's trace context (W3C), restored by the processor; absent without tracing. */
  trace?: TraceCarrier;
}

/**
 * The Bull queue of documents to parse, chunk and index. It is derived state: the `queued` rows in
 * Postgres are the truth, and `IngestReconciler` re-adds them whenever Redis (re)connects.
 */
@Injectable()
export class IngestQueue {
  private readonly logger = new Logger(IngestQueue.name);
  private failedAdds = 0;
  private warnedAt = 0;

  constructor(
    @InjectQueue(INGEST_QUEUE) readonly queue: Queue<IngestJob>,
    private readonly config: IngestorConfig,
  ) {}

  /**
   * Adds a document's entry; idempotent (the Bull job id is the document id). An entry left finished
   * by an earlier ingest of the same document (a failure kept for inspection) is replaced.
   */
  async enqueue(documentId: string): Promise<void> {
    const previous = await this.queue.getJob(documentId);
    if (previous && ((await previous.isFailed()) || (await previous.isCompleted()))) await previous.remove();
    const trace = captureTrace();
    await this.queue.add(trace ? { document_id: documentId, trace } : { document_id: documentId }, {
      jobId: documentId,
      attempts: this.config.INGEST_MAX_ATTEMPTS,
      backoff: { type: 'exponential', delay: this.config.INGEST_BACKOFF_MS },
      removeOnComplete: true,
      removeOnFail: 1000,
    });
  }

  /** Adds in the background: the caller has committed the row and answers now; a failed add is redone when Redis is back. */
  offer(documentId: string): void {
    this.enqueue(documentId).catch((err: Error) => {
      this.failedAdds++;
      if (Date.now() - this.warnedAt < 10_000) return;
      this.logger.warn(`${this.failedAdds} document(s) not queued yet (re-queued when Redis is back): ${err.message}`);
      this.warnedAt = Date.now();
      this.failedAdds = 0;
    });
  }
}
