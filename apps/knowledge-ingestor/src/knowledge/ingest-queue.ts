import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { captureTrace, type TraceCarrier } from '@platform/runtime';
import { IngestorConfig } from '../config';

export const INGEST_QUEUE = 'knowledge-ingest';

export interface IngestJob {
  document_id: string;
  /** The registering request's trace context (W3C), restored by the processor; absent without tracing. */
  trace?: TraceCarrier;
}

/** The Bull queue of documents to parse, chunk and index. */
@Injectable()
export class IngestQueue {
  constructor(
    @InjectQueue(INGEST_QUEUE) readonly queue: Queue<IngestJob>,
    private readonly config: IngestorConfig,
  ) {}

  async enqueue(documentId: string): Promise<void> {
    const trace = captureTrace();
    await this.queue.add(trace ? { document_id: documentId, trace } : { document_id: documentId }, {
      attempts: this.config.INGEST_MAX_ATTEMPTS,
      backoff: { type: 'exponential', delay: this.config.INGEST_BACKOFF_MS },
      removeOnComplete: true,
      removeOnFail: 1000,
    });
  }
}
