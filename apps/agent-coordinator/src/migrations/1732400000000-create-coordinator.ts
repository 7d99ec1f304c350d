import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCoordinator1732400000000 implements MigrationInterface {
  name = 'CreateCoordinator1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE coordinator.agents (
        agent_id          varchar(128) PRIMARY KEY,
        owner             varchar(320) NOT NULL,
        shared            boolean      NOT NULL DEFAULT false,
        agent_type        varchar(64)  NOT NULL,
        status            varchar(16)  NOT NULL,
        capabilities      text[]       NOT NULL DEFAULT '{}',
        services          text[]       NOT NULL DEFAULT '{}',
        endpoints         jsonb        NOT NULL DEFAULT '{}',
        metadata          jsonb        NOT NULL DEFAULT '{}',
        load_metrics      jsonb        NOT NULL DEFAULT '{}',
        version           varchar(64)  NOT NULL DEFAULT '',
        tags              text[]       NOT NULL DEFAULT '{}',
        failure_rate      double precision NOT NULL DEFAULT 0,
        last_heartbeat    timestamptz  NOT NULL DEFAULT now(),
        registration_time timestamptz  NOT NULL DEFAULT now(),
        updated_at        timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT agents_status_check CHECK (status IN ('active','inactive','busy','stale'))
      )`);
    await q.query(`CREATE INDEX agents_owner ON coordinator.agents (owner)`);
    await q.query(`CREATE INDEX agents_status_heartbeat ON coordinator.agents (status, last_heartbeat)`);
    await q.query(`
      CREATE TABLE coordinator.tasks (
        task_id        uuid         PRIMARY KEY,
        seq            bigserial    NOT NULL,
        owner          varchar(320) NOT NULL,
        principal      jsonb,
        priority       varchar(16)  NOT NULL,
        priority_rank  smallint     NOT NULL,
        status         varchar(16)  NOT NULL DEFAULT 'queued',
        task_data      jsonb        NOT NULL,
        requirements   jsonb        NOT NULL DEFAULT '{}',
        agent_id       varchar(128),
        token          varchar(64),
        attempts       integer      NOT NULL DEFAULT 0,
        max_attempts   integer      NOT NULL,
        tried_agents   text[]       NOT NULL DEFAULT '{}',
        result         jsonb,
        error          text,
        submitted_at   timestamptz  NOT NULL DEFAULT now(),
        queued_at      timestamptz  NOT NULL DEFAULT now(),
        assigned_at    timestamptz,
        completed_at   timestamptz,
        CONSTRAINT tasks_status_check CHECK (status IN ('queued','assigned','completed','failed','cancelled'))
      )`);
    // The dispatcher's scan: waiting tasks in priority order, FIFO within a priority.
    await q.query(`CREATE INDEX tasks_queue ON coordinator.tasks (priority_rank, seq) WHERE status = 'queued'`);
    await q.query(`CREATE INDEX tasks_assigned_agent ON coordinator.tasks (agent_id) WHERE status = 'assigned'`);
    await q.query(`CREATE INDEX tasks_owner ON coordinator.tasks (owner, status)`);
    await q.query(`
      CREATE TABLE coordinator.assignments (
        id               bigserial    PRIMARY KEY,
        task_id          uuid         NOT NULL REFERENCES coordinator.tasks(task_id) ON DELETE CASCADE,
        owner            varchar(320) NOT NULL,
        agent_id         varchar(128) NOT NULL,
        attempt          integer      NOT NULL,
        token            varchar(64)  NOT NULL,
        distribution_ms  double precision NOT NULL,
        outcome          varchar(16)  NOT NULL DEFAULT 'pending',
        assigned_at      timestamptz  NOT NULL DEFAULT now(),
        finished_at      timestamptz,
        CONSTRAINT assignments_outcome_check CHECK (outcome IN ('pending','success','failed'))
      )`);
    await q.query(`CREATE INDEX assignments_owner ON coordinator.assignments (owner, outcome)`);
    await q.query(`CREATE UNIQUE INDEX assignments_token ON coordinator.assignments (token)`);
    // One delivery per attempt of a task: a second dispatch of the same attempt cannot even be recorded.
    await q.query(`CREATE UNIQUE INDEX assignments_task_attempt ON coordinator.assignments (task_id, attempt)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE coordinator.assignments`);
    await q.query(`DROP TABLE coordinator.tasks`);
    await q.query(`DROP TABLE coordinator.agents`);
  }
}
