import type { ServiceDatabase } from '@platform/runtime';
import { JobEntity } from './jobs/job.entity';
import { CreateJobs1732300000000 } from './migrations/1732300000000-create-jobs';
import { CreateCouncil1733100000000 } from './migrations/1733100000000-create-council';
import { AddParentJobId1733200000000 } from './migrations/1733200000000-add-parent-job-id';
import { JobsOwnerCreated1764600000000 } from './migrations/1764600000000-jobs-owner-created';

/** The job_runner schema: jobs and their append-only event log; the council's requests. Owned by job-runner alone. */
export const database: ServiceDatabase = {
  schema: 'job_runner',
  entities: [JobEntity],
  migrations: [CreateJobs1732300000000, CreateCouncil1733100000000, AddParentJobId1733200000000, JobsOwnerCreated1764600000000],
};
