import { Injectable } from '@nestjs/common';
import { QueueRebuild } from '@platform/runtime';
import { IngestQueue } from './ingest-queue';
import { KnowledgeStore } from './knowledge.store';

/** Rebuilds the ingest queue from the `queued` documents in Postgres whenever Redis becomes ready (`QueueRebuild`). */
@Injectable()
export class IngestReconciler extends QueueRebuild {
  constructor(queue: IngestQueue, store: KnowledgeStore) {
    super({ name: 'knowledge-ingest', queue: queue.queue, pendingIds: (after, limit) => store.queuedIds(after, limit), enqueue: (id) => queue.enqueue(id) });
  }
}
