import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { EventLog } from '../../../apps/job-runner/src/jobs/event-log';
import { JobQueue } from '../../../apps/job-runner/src/jobs/job-queue';
import { JobStore } from '../../../apps/job-runner/src/jobs/job.store';
import { QueueReconciler } from '../../../apps/job-runner/src/jobs/queue-reconciler';
import { eventually } from '../../support/http';
import { jobEngine, newJob } from './job-engine.module';

/** The queue is derived state: rebuilt from the submitted rows in Postgres whenever Redis (re)connects. Real Postgres and Redis. */
describe('QueueReconciler (integration)', () => {
  let module: TestingModule;
  let store: JobStore;
  let queue: JobQueue;
  let log: EventLog;
  let reconciler: QueueReconciler;
  const id = (name: string) => `rq-${name}-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    module = await jobEngine();
    await module.init();
    store = module.get(JobStore);
    queue = module.get(JobQueue);
    log = module.get(EventLog);
    reconciler = module.get(QueueReconciler);
  }, 30_000);

  afterAll(async () => {
    await queue?.queue.obliterate({ force: true }).catch(() => undefined);
    await module?.close();
  });

  it('re-queues every submitted job within seconds of Redis reconnecting, and leaves running ones alone', async () => {
    const submitted = [id('a'), id('b'), id('c')];
    const running = id('running');
    for (const j of [...submitted, running]) await store.create(newJob(j));
    await log.transition({ jobId: running, from: ['submitted'], to: 'running', newAttempt: true });
    // As after a Redis restart without persistence: the rows are there, the queue entries are not.
    await reconciler.settled();
    await queue.queue.obliterate({ force: true });
    for (const j of submitted) expect(await queue.stateOf(j)).toBeNull();
    const t0 = Date.now();
    queue.queue.client.disconnect(true); // a reconnect, as when Redis comes back
    await eventually(async () => (await Promise.all(submitted.map((j) => queue.stateOf(j)))).every((s) => s === 'waiting'), 5000, 50);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await queue.stateOf(running)).toBeNull();
  }, 20_000);

  it('adds a job once however often it is reconciled (the Bull job id is the job id)', async () => {
    const j = id('once');
    await store.create(newJob(j));
    await reconciler.reconcile();
    await reconciler.reconcile();
    const entries = (await queue.queue.getJobs(['waiting'])).filter((e) => e?.id === j);
    expect(entries).toHaveLength(1);
  });

  it('answers a submit without waiting on Redis: offer() returns at once and the add lands in the background', async () => {
    const j = id('offer');
    await store.create(newJob(j));
    const t0 = Date.now();
    queue.offer(j);
    expect(Date.now() - t0).toBeLessThan(50);
    await eventually(async () => (await queue.stateOf(j)) === 'waiting', 3000, 20);
  });
});
