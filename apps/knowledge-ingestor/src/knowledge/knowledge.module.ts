import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { Embeddings } from './embeddings';
import { FileStore } from './file-store';
import { INGEST_QUEUE, IngestQueue } from './ingest-queue';
import { IngestWorker } from './ingest.worker';
import { KnowledgeNatsController } from './knowledge.nats.controller';
import { KnowledgeService } from './knowledge.service';
import { KnowledgeStore } from './knowledge.store';

@Module({
  imports: [BullModule.registerQueue({ name: INGEST_QUEUE })],
  controllers: [KnowledgeNatsController],
  providers: [KnowledgeStore, FileStore, IngestQueue, IngestWorker, KnowledgeService, Embeddings],
  exports: [BullModule],
})
export class KnowledgeModule {}
