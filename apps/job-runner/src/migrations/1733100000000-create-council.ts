import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The AI council's requests: one row per council job (same id), with the caller's session and, once
 * the run ends, its outcome. The row goes with its job (expiry deletes both).
 */
export class CreateCouncil1733100000000 implements MigrationInterface {
  name = 'CreateCouncil1733100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE job_runner.council_requests (
        id          varchar(64)  PRIMARY KEY REFERENCES job_runner.jobs(id) ON DELETE CASCADE,
        owner       varchar(320) NOT NULL,
        session_id  varchar(128),
        query       text         NOT NULL,
        outcome     jsonb
      )`);
    await q.query(`CREATE INDEX council_requests_owner ON job_runner.council_requests (owner)`);
    await q.query(`CREATE INDEX council_requests_session ON job_runner.council_requests (owner, session_id) WHERE session_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE job_runner.council_requests`);
  }
}
