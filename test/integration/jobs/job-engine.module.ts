import { BullModule } from '@nestjs/bull';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { bullRedisOptions, BusModule, databaseModule, runMigrations } from '@platform/runtime';
import { JobRunnerConfig } from '../../../apps/job-runner/src/config';
import { database } from '../../../apps/job-runner/src/database';
import { EventLog } from '../../../apps/job-runner/src/jobs/event-log';
import { JobEntity } from '../../../apps/job-runner/src/jobs/job.entity';
import { JOBS_QUEUE, JobQueue } from '../../../apps/job-runner/src/jobs/job-queue';
import { JobStore } from '../../../apps/job-runner/src/jobs/job.store';
import { JobSweeper } from '../../../apps/job-runner/src/jobs/job-sweeper';
import { QueueReconciler } from '../../../apps/job-runner/src/jobs/queue-reconciler';
import { testEnv } from '../../support/services';

/** The job engine's persistence and queue pieces wired to the real test Postgres, NATS and Redis (no Nest app, no workers). */
export async function jobEngine(config: Partial<JobRunnerConfig> = {}): Promise<TestingModule> {
  const env = testEnv();
  await runMigrations(env.DATABASE_URL, database);
  const cfg = Object.assign(new JobRunnerConfig(), { DATABASE_URL: env.DATABASE_URL, NATS_URL: env.NATS_URL, REDIS_URL: env.REDIS_URL }, config);
  return Test.createTestingModule({
    imports: [
      BusModule.forRoot({ url: cfg.NATS_URL, name: 'job-engine-test', requestTimeoutMs: 5000 }),
      databaseModule(cfg.DATABASE_URL, 5, database),
      TypeOrmModule.forFeature([JobEntity]),
      BullModule.forRoot({ redis: bullRedisOptions(cfg.REDIS_URL), prefix: `test-${process.pid}` }),
      BullModule.registerQueue({ name: JOBS_QUEUE }),
    ],
    providers: [EventLog, JobStore, JobQueue, JobSweeper, QueueReconciler, { provide: JobRunnerConfig, useValue: cfg }],
  }).compile();
}

export function newJob(id: string, owner = 'anonymous', expirySeconds = 600) {
  return { id, owner, agent_type: 'echo', input: 'x', options: {}, expiry_seconds: expirySeconds, idempotency_key: null, request_hash: '0'.repeat(64) };
}
