import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Child jobs (a compound task's subtasks): the parent's id and the subtask's index. Unique per parent and
 * index, so a parent re-run after a crash finds its children instead of starting them again; children go
 * with their parent when it expires.
 */
export class AddParentJobId1733100000000 implements MigrationInterface {
  name = 'AddParentJobId1733100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE job_runner.jobs ADD COLUMN parent_job_id varchar(64) REFERENCES job_runner.jobs(id) ON DELETE CASCADE`);
    await q.query(`ALTER TABLE job_runner.jobs ADD COLUMN subtask_index integer`);
    await q.query(`CREATE UNIQUE INDEX jobs_parent_subtask ON job_runner.jobs (parent_job_id, subtask_index) WHERE parent_job_id IS NOT NULL`);
    await q.query(`CREATE INDEX jobs_owner_agent_created ON job_runner.jobs (owner, agent_type, created_at DESC) WHERE parent_job_id IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX job_runner.jobs_owner_agent_created`);
    await q.query(`DROP INDEX job_runner.jobs_parent_subtask`);
    await q.query(`ALTER TABLE job_runner.jobs DROP COLUMN subtask_index`);
    await q.query(`ALTER TABLE job_runner.jobs DROP COLUMN parent_job_id`);
  }
}
