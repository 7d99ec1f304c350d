import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateJobs1732300000000 implements MigrationInterface {
  name = 'CreateJobs1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE job_runner.jobs (
        id              varchar(64)  PRIMARY KEY,
        owner           varchar(320) NOT NULL,
        agent_type      varchar(64)  NOT NULL,
        input           text         NOT NULL,
        options         jsonb        NOT NULL DEFAULT '{}',
        status          varchar(16)  NOT NULL,
        error           text,
        report          text,
        attempt         integer      NOT NULL DEFAULT 0,
        last_seq        bigint       NOT NULL DEFAULT 0,
        expiry_seconds  integer      NOT NULL,
        idempotency_key varchar(200),
        request_hash    char(64),
        created_at      timestamptz  NOT NULL DEFAULT now(),
        updated_at      timestamptz  NOT NULL DEFAULT now(),
        started_at      timestamptz,
        finished_at     timestamptz,
        expires_at      timestamptz,
        CONSTRAINT jobs_status_check CHECK (status IN ('submitted','running','success','failure','interrupted'))
      )`);
    await q.query(`CREATE UNIQUE INDEX jobs_owner_idempotency_key ON job_runner.jobs (owner, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX jobs_expires_at ON job_runner.jobs (expires_at) WHERE expires_at IS NOT NULL`);
    await q.query(`CREATE INDEX jobs_unfinished ON job_runner.jobs (status, updated_at) WHERE status IN ('submitted','running')`);
    await q.query(`CREATE INDEX jobs_owner_active ON job_runner.jobs (owner) WHERE status IN ('submitted','running')`);
    await q.query(`
      CREATE TABLE job_runner.job_events (
        job_id   varchar(64) NOT NULL REFERENCES job_runner.jobs(id) ON DELETE CASCADE,
        seq      bigint      NOT NULL,
        type     varchar(32) NOT NULL,
        ts       timestamptz NOT NULL,
        -- json, not jsonb: the text is kept byte for byte, so a replayed event is identical to the live one.
        data     json        NOT NULL,
        metadata json,
        PRIMARY KEY (job_id, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE job_runner.job_events`);
    await q.query(`DROP TABLE job_runner.jobs`);
  }
}
