import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BullModule } from '@nestjs/bull';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { bullRedisOptions, databaseModule, runMigrations } from '@platform/runtime';
import { IngestorConfig } from '../../../apps/knowledge-ingestor/src/config';
import { database } from '../../../apps/knowledge-ingestor/src/database';
import { INGEST_QUEUE, IngestQueue } from '../../../apps/knowledge-ingestor/src/knowledge/ingest-queue';
import { IngestReconciler } from '../../../apps/knowledge-ingestor/src/knowledge/ingest-reconciler';
import { KnowledgeStore } from '../../../apps/knowledge-ingestor/src/knowledge/knowledge.store';
import { eventually } from '../../support/http';
import { testEnv } from '../../support/services';

/** The ingest queue is derived state: rebuilt from the `queued` documents whenever Redis (re)connects. Real Postgres and Redis, no workers. */
describe('IngestReconciler (integration)', () => {
  let module: TestingModule;
  let store: KnowledgeStore;
  let queue: IngestQueue;
  let reconciler: IngestReconciler;

  const document = async (owner: string, collection: Awaited<ReturnType<KnowledgeStore['createCollection']>>) => {
    const sha = randomUUID().replace(/-/g, '').padEnd(64, '0');
    const f = { object_name: `obj-${sha.slice(0, 8)}`, filename: 'a.txt', format: 'txt', content_type: 'text/plain', size_bytes: 1, sha256: sha };
    return (await store.insertDocument(owner, collection!, f as never))!.id;
  };
  const state = async (id: string) => (await queue.queue.getJob(id))?.getState() ?? null;

  beforeAll(async () => {
    const env = testEnv();
    await runMigrations(env.DATABASE_URL, database);
    const cfg = Object.assign(new IngestorConfig(), { DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL, INGEST_MAX_ATTEMPTS: 1 });
    module = await Test.createTestingModule({
      imports: [
        databaseModule(cfg.DATABASE_URL, 3, database),
        BullModule.forRoot({ redis: bullRedisOptions(cfg.REDIS_URL), prefix: `ingest-test-${process.pid}` }),
        BullModule.registerQueue({ name: INGEST_QUEUE }),
      ],
      providers: [KnowledgeStore, IngestQueue, IngestReconciler, { provide: IngestorConfig, useValue: cfg }],
    }).compile();
    await module.init();
    store = module.get(KnowledgeStore);
    queue = module.get(IngestQueue);
    reconciler = module.get(IngestReconciler);
  }, 30_000);

  afterAll(async () => {
    await queue?.queue.obliterate({ force: true }).catch(() => undefined);
    await module?.close();
  });

  it('re-queues every queued document within seconds of Redis reconnecting, once each', async () => {
    const owner = `rq-${randomUUID().slice(0, 8)}`;
    const c = await store.createCollection(owner, `c-${randomUUID().slice(0, 8)}`, null);
    const docs = [await document(owner, c), await document(owner, c)];
    const ready = await document(owner, c);
    await store.claim(ready);
    // As after a Redis restart without persistence: the rows are there, the queue entries are not.
    await reconciler.settled();
    await queue.queue.obliterate({ force: true });
    for (const d of docs) expect(await state(d)).toBeNull();
    const t0 = Date.now();
    queue.queue.client.disconnect(true); // a reconnect, as when Redis comes back
    await eventually(async () => (await Promise.all(docs.map(state))).every((s) => s === 'waiting'), 5000, 50);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await state(ready)).toBeNull(); // being processed: not the reconciler's
    await reconciler.reconcile();
    const waiting = (await queue.queue.getJobs(['waiting'])).filter((j) => docs.includes(String(j?.id)));
    expect(waiting).toHaveLength(2);
  }, 20_000);

  it('replaces a finished entry when the same document is queued again (a failed ingest retried)', async () => {
    const owner = `rq-${randomUUID().slice(0, 8)}`;
    const c = await store.createCollection(owner, `c-${randomUUID().slice(0, 8)}`, null);
    const d = await document(owner, c);
    await queue.queue.obliterate({ force: true });
    await queue.enqueue(d);
    const job = await queue.queue.getNextJob(); // taken by a "worker", then failed for good (one attempt)
    expect(job?.id).toBe(d);
    await job!.moveToFailed({ message: 'parse error' }, true);
    await job!.releaseLock(); // as the worker does when it is done with it
    expect(await state(d)).toBe('failed');
    await queue.enqueue(d);
    expect(await state(d)).toBe('waiting');
  });
});
