import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { QueueRebuild } from '@platform/runtime';
import { IngestQueue } from './ingest-queue';
import { KnowledgeStore } from './knowledge.store';

/** Rebuilds the ingest queue from the `queued` documents in Postgres whenever Redis becomes ready (`QueueRebuild`). */
@Injectable()
export class IngestReconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly rebuild: QueueRebuild;

  constructor(queue: IngestQueue, store: KnowledgeStore) {
    this.rebuild = new QueueRebuild({
      name: 'knowledge-ingest',
      queue: queue.queue,
      pendingIds: (after, limit) => store.queuedIds(after, limit),
      enqueue: (id) => queue.enqueue(id),
    });
  }

  onApplicationBootstrap(): void {
    this.rebuild.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.rebuild.stop();
  }

  /** Resolves when no rebuild is in progress. */
  settled(): Promise<void> {
    return this.rebuild.settled();
  }

  /** Re-adds every queued document; returns how many. */
  reconcile(): Promise<number> {
    return this.rebuild.rebuild();
  }
}
