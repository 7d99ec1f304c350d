import { Inject, Injectable, Logger } from '@nestjs/common';
import { DURATION_BUCKETS, LATENCY_BUCKETS, Metrics, watchQueue } from '@platform/runtime';
import { IngestQueue } from './ingest-queue';
import { KnowledgeStore } from './knowledge.store';

/**
 * The ingestor's metrics (docs/operations.md): documents by state and the ingest queue are read at
 * scrape time; ingests, chunks and searches are counted where they happen. Store gauges are the same
 * on every replica: aggregate them with `max`.
 */
@Injectable()
export class KnowledgeMetrics {
  readonly ingestSeconds;
  readonly chunksIndexed;
  readonly searchSeconds;

  constructor(@Inject(Metrics) metrics: Metrics, store: KnowledgeStore, queue: IngestQueue) {
    const logger = new Logger(KnowledgeMetrics.name);
    metrics.gauge({
      name: 'knowledge_documents',
      help: 'Documents by state (queued, processing, ready, failed), read at scrape time',
      labelNames: ['state'],
      async collect() {
        try {
          const rows = await store.countByStatus();
          this.reset();
          for (const r of rows) this.set({ state: r.status }, r.n);
        } catch (err) {
          logger.warn(`documents gauge not read: ${(err as Error).message}`);
        }
      },
    });
    watchQueue(metrics, queue.queue);
    this.ingestSeconds = metrics.histogram({
      name: 'knowledge_ingest_duration_seconds',
      help: 'One ingest attempt (parse, chunk, embed, index) by outcome (ready, failed, gone, error)',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
    });
    this.chunksIndexed = metrics.counter({ name: 'knowledge_chunks_indexed_total', help: 'Chunks written to the search index' });
    this.searchSeconds = metrics.histogram({
      name: 'knowledge_search_duration_seconds',
      help: 'Collection searches by mode (fulltext, hybrid) and outcome (ok, error)',
      labelNames: ['mode', 'outcome'],
      buckets: LATENCY_BUCKETS,
    });
  }
}
