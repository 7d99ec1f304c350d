import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `GET /v1/jobs/async/jobs`: a caller's jobs newest first, read from this index in order (no sort, no scan of other owners). */
export class JobsOwnerCreated1764600000000 implements MigrationInterface {
  name = 'JobsOwnerCreated1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS jobs_owner_created ON job_runner.jobs (owner, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS job_runner.jobs_owner_created`);
  }
}
