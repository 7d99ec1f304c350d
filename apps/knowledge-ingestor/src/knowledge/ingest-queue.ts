import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { IngestorConfig } from '../config';

export const INGEST_QUEUE = 'knowledge-ingest';

export interface IngestJob {
  document_id: string;
}

/** The Bull queue of documents to parse, chunk and index. */
@Injectable()
export class IngestQueue {
  constructor(
    @InjectQueue(INGEST_QUEUE) readonly queue: Queue<IngestJob>,
    private readonly config: IngestorConfig,
  ) {}

  async enqueue(documentId: string): Promise<void> {
    await this.queue.add(
      { document_id: documentId },
      {
        attempts: this.config.INGEST_MAX_ATTEMPTS,
        backoff: { type: 'exponential', delay: this.config.INGEST_BACKOFF_MS },
        removeOnComplete: true,
        removeOnFail: 1000,
      },
    );
  }
}
