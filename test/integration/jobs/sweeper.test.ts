import { eventually } from '../../support/http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { EventLog } from '../../../apps/job-runner/src/jobs/event-log';
import { JobQueue } from '../../../apps/job-runner/src/jobs/job-queue';
import { JobStore } from '../../../apps/job-runner/src/jobs/job.store';
import { JobSweeper } from '../../../apps/job-runner/src/jobs/job-sweeper';
import { jobEngine, newJob } from './job-engine.module';

/** Expiry and stuck-job repair against the real Postgres and Redis. */
describe('JobSweeper (integration)', () => {
  let module: TestingModule;
  let sweeper: JobSweeper;
  let store: JobStore;
  let queue: JobQueue;
  let log: EventLog;
  let db: DataSource;
  const id = (name: string) => `sw-${name}-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    module = await jobEngine({ JOB_STUCK_AFTER_MS: 1000, JOB_ORPHAN_CHECK_MS: 300, JOB_LOCK_MS: 1000, JOB_MAX_ATTEMPTS: 2 });
    await module.init();
    sweeper = module.get(JobSweeper);
    store = module.get(JobStore);
    queue = module.get(JobQueue);
    log = module.get(EventLog);
    db = module.get(DataSource);
  }, 30_000);

  afterAll(async () => {
    await queue?.queue.obliterate({ force: true }).catch(() => undefined);
    await module?.close();
  });

  const age = (jobId: string, column: 'updated_at' | 'expires_at', seconds: number) =>
    db.query(`UPDATE job_runner.jobs SET ${column} = now() - make_interval(secs => $2) WHERE id = $1`, [jobId, seconds]);

  it('queues within seconds a submitted job whose queue entry was never added (its runner died after the commit)', async () => {
    const j = id('orphan');
    await store.create(newJob(j)); // committed, never offered to the queue
    expect(await queue.stateOf(j)).toBeNull();
    const t0 = Date.now();
    await eventually(async () => (await queue.stateOf(j)) === 'waiting', 8000, 100); // the periodic orphan check, no call from us
    expect(Date.now() - t0).toBeLessThan(2000); // the check looks at submits quiet for 0.3–1 s here (JOB_ORPHAN_CHECK_MS … JOB_STUCK_AFTER_MS)
    expect((await queue.queue.getJobs(['waiting'])).filter((e) => e?.id === j)).toHaveLength(1);
  }, 15_000);

  it('deletes expired jobs with their events, hides them before that, and keeps the rest', async () => {
    const expired = id('expired');
    const fresh = id('fresh');
    for (const j of [expired, fresh]) {
      await store.create(newJob(j));
      const { attempt } = (await log.transition({ jobId: j, from: ['submitted'], to: 'running', newAttempt: true }))!;
      await log.writer(j, attempt).transition({ from: ['running'], to: 'success', report: 'r' });
    }
    await age(expired, 'expires_at', 1);
    expect(await store.findById(expired)).toBeNull(); // expired reads as gone even before the sweep
    const result = await sweeper.sweep();
    expect(result!.deleted).toBeGreaterThanOrEqual(1);
    expect(await db.query(`SELECT count(*)::int AS n FROM job_runner.job_events WHERE job_id = $1`, [expired])).toEqual([{ n: 0 }]);
    expect(await store.findById(fresh)).not.toBeNull();
  });

  it('re-queues a submitted job the queue lost, and fails a running job out of attempts', async () => {
    const lost = id('lost');
    await store.create(newJob(lost));
    await age(lost, 'updated_at', 5);
    const orphan = id('orphan');
    await store.create(newJob(orphan));
    await log.transition({ jobId: orphan, from: ['submitted'], to: 'running', newAttempt: true });
    await log.transition({ jobId: orphan, from: ['running'], to: 'running', newAttempt: true });
    await age(orphan, 'updated_at', 5);

    await sweeper.sweep();
    expect(await queue.stateOf(lost)).toBe('waiting');
    const failed = await store.findById(orphan);
    expect(failed?.status).toBe('failure');
    expect(failed?.error).toMatch(/worker lost 2 times/);
  });

  it('lets only one replica sweep at a time', async () => {
    const runner = db.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [0x6a6f6273]);
      expect(await sweeper.sweep()).toBeNull();
      await runner.query('SELECT pg_advisory_unlock($1)', [0x6a6f6273]);
      expect(await sweeper.sweep()).not.toBeNull();
    } finally {
      await runner.release();
    }
  });
});
