import { BullModule } from '@nestjs/bull';
import { type DynamicModule, Module } from '@nestjs/common';
import { IngestorConfig } from '../config';
import { Embeddings } from './embeddings';
import { FileStore } from './file-store';
import { INGEST_QUEUE, IngestQueue } from './ingest-queue';
import { IngestProcessor } from './ingest.processor';
import { IngestReconciler } from './ingest-reconciler';
import { KnowledgeNatsController } from './knowledge.nats.controller';
import { KnowledgeService } from './knowledge.service';
import { KnowledgeStore } from './knowledge.store';
import { KnowledgeMetrics } from './knowledge-metrics';

@Module({
  imports: [BullModule.registerQueue({ name: INGEST_QUEUE })],
  controllers: [KnowledgeNatsController],
  providers: [KnowledgeStore, FileStore, IngestQueue, IngestReconciler, KnowledgeService, Embeddings, KnowledgeMetrics],
  exports: [BullModule],
})
export class KnowledgeModule {
  /** The knowledge domain with its ingest queue consumer. */
  static forRoot(config: IngestorConfig): DynamicModule {
    return { module: KnowledgeModule, providers: [IngestProcessor.withConcurrency(config.INGEST_CONCURRENCY)] };
  }
}
