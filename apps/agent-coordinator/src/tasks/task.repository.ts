import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Principal, TaskPriority, TaskState } from '@platform/contracts';
import { mutate } from '@platform/runtime';
import { type PendingTask, priorityRank } from './placement';
import type { TaskEntity } from './task.entity';

/** A task as submitted, with the principal its deliveries will carry. */
export type NewTask = Pick<TaskEntity, 'task_id' | 'owner' | 'priority' | 'task_data' | 'requirements' | 'max_attempts'> & { principal: Principal };

/** A waiting task the dispatcher has claimed: what placement needs, and what the delivery carries. */
export interface QueuedTask extends PendingTask {
  principal: Principal | null;
  priority: TaskPriority;
  task_data: Record<string, unknown>;
  attempts: number;
  submitted_at: Date;
}

/** A task on an agent, as the delivery holding `token` knows it. */
export interface HeldTask {
  task_id: string;
  token: string;
}

/** The caller's assignments: every delivery of its tasks and how they ended. */
export interface AssignmentStats {
  distributed: number;
  total: number;
  ok: number;
  failed: number;
  avg_ms: number;
}

/**
 * "Some agent `a` may take task `t`" in SQL, for the claim: the agent is active, heard from within $2
 * seconds, visible to the task's owner (its own or shared), reachable (an http or nats endpoint), of the
 * required type and with every required capability. The same rule as `canTake` in placement.ts, which
 * also checks capacity: the claim leaves capacity to the planner, which counts each placement of the
 * round against it. Both are tested against one table of cases (placement-cases.ts).
 */
const AGENT_MAY_TAKE_TASK = `a.status = 'active' AND a.last_heartbeat > now() - make_interval(secs => $2)
             AND (a.owner = t.owner OR a.shared)
             AND (a.endpoints->>'http' IS NOT NULL OR a.endpoints->>'nats' IS NOT NULL)
             AND (t.requirements->>'agent_type' IS NULL OR a.agent_type = t.requirements->>'agent_type')
             AND a.capabilities @> ARRAY(SELECT jsonb_array_elements_text(COALESCE(t.requirements->'capabilities', '[]'::jsonb)))`;

/**
 * The only writer of `coordinator.tasks` and `coordinator.assignments` (an assignment is one delivery of
 * a task: it lives and dies with it). Reads a caller can trigger are scoped to the caller's owner key.
 * Methods taking `tx` run in the caller's transaction (the dispatcher's claim round, TaskLifecycle.finish).
 */
@Injectable()
export class TaskRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Queues a task; answers its submission time. */
  async insert(t: NewTask): Promise<Date> {
    const [row]: { submitted_at: Date }[] = await this.db.query(
      `INSERT INTO coordinator.tasks (task_id, owner, principal, priority, priority_rank, status, task_data, requirements, max_attempts, submitted_at, queued_at)
       VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, clock_timestamp(), clock_timestamp()) RETURNING submitted_at`,
      [
        t.task_id,
        t.owner,
        JSON.stringify(t.principal),
        t.priority,
        priorityRank(t.priority),
        JSON.stringify(t.task_data),
        JSON.stringify(t.requirements),
        t.max_attempts,
      ],
    );
    return row.submitted_at;
  }

  async findOwned(taskId: string, owner: string): Promise<TaskEntity | null> {
    const [t]: TaskEntity[] = await this.db.query(`SELECT * FROM coordinator.tasks WHERE task_id = $1 AND owner = $2`, [taskId, owner]);
    return t ?? null;
  }

  /** Who holds the task now and with which delivery token (any owner: the agent reporting proves itself with the token). */
  async findHolder(taskId: string): Promise<{ status: TaskState; agent_id: string | null; token: string | null } | null> {
    const [t]: { status: TaskState; agent_id: string | null; token: string | null }[] = await this.db.query(
      `SELECT status, agent_id, token FROM coordinator.tasks WHERE task_id = $1`,
      [taskId],
    );
    return t ?? null;
  }

  /** Every owner's waiting tasks per priority, for the queue gauge (read from the `tasks_queue` partial index). */
  async countAllQueued(): Promise<{ priority: string; n: number }[]> {
    const rows: { priority: string; n: number }[] = await this.db.query(
      `SELECT priority, count(*)::int AS n FROM coordinator.tasks WHERE status = 'queued' GROUP BY priority`,
    );
    return rows.map((r) => ({ priority: r.priority, n: Number(r.n) }));
  }

  /** The owner's waiting tasks per priority (priorities with none are absent). */
  async countQueued(owner: string): Promise<Partial<Record<TaskPriority, number>>> {
    const rows: { priority: TaskPriority; n: number }[] = await this.db.query(
      `SELECT priority, count(*)::int AS n FROM coordinator.tasks WHERE owner = $1 AND status = 'queued' GROUP BY priority`,
      [owner],
    );
    return Object.fromEntries(rows.map((r) => [r.priority, Number(r.n)]));
  }

  /** Seconds the owner's oldest waiting task of each priority has waited since submission (priorities with none are absent). */
  async oldestQueuedAge(owner: string): Promise<Partial<Record<TaskPriority, number>>> {
    const rows: { priority: TaskPriority; age: number }[] = await this.db.query(
      `SELECT priority, extract(epoch FROM now() - min(submitted_at))::float8 AS age FROM coordinator.tasks
       WHERE owner = $1 AND status = 'queued' GROUP BY priority`,
      [owner],
    );
    return Object.fromEntries(rows.map((r) => [r.priority, Number(r.age)]));
  }

  /** Cancels the owner's waiting tasks of one priority; answers how many. */
  async cancelQueued(owner: string, priority: TaskPriority): Promise<number> {
    const { affected } = await mutate(
      this.db,
      `UPDATE coordinator.tasks SET status = 'cancelled', error = 'Cleared from the queue', completed_at = now()
       WHERE owner = $1 AND priority = $2 AND status = 'queued'`,
      [owner, priority],
    );
    return affected;
  }

  /** How many of the owner's tasks ended completed and failed. */
  async countFinished(owner: string): Promise<{ completed: number; failed: number }> {
    const [t]: { completed: number; failed: number }[] = await this.db.query(
      `SELECT count(*) FILTER (WHERE status = 'completed')::int AS completed, count(*) FILTER (WHERE status = 'failed')::int AS failed
       FROM coordinator.tasks WHERE owner = $1`,
      [owner],
    );
    return t;
  }

  async assignmentStats(owner: string): Promise<AssignmentStats> {
    const [a]: AssignmentStats[] = await this.db.query(
      `SELECT count(DISTINCT task_id)::int AS distributed, count(*)::int AS total,
              count(*) FILTER (WHERE outcome = 'success')::int AS ok, count(*) FILTER (WHERE outcome = 'failed')::int AS failed,
              COALESCE(avg(distribution_ms), 0)::float8 AS avg_ms
       FROM coordinator.assignments WHERE owner = $1`,
      [owner],
    );
    return a;
  }

  // --- dispatch ----------------------------------------------------------------------------

  /**
   * Locks up to `limit` waiting tasks, in queue order, that some agent may take now (heard from within
   * `heartbeatLimitSecs`). `SKIP LOCKED`: another replica's round never waits for, nor sees, these rows.
   */
  claimQueued(tx: EntityManager, limit: number, heartbeatLimitSecs: number): Promise<QueuedTask[]> {
    return tx.query(
      `SELECT t.task_id, t.owner, t.principal, t.priority, t.priority_rank, t.seq::float8 AS seq, t.task_data, t.requirements,
              t.tried_agents, t.attempts, t.submitted_at
       FROM coordinator.tasks t
       WHERE t.status = 'queued' AND EXISTS (SELECT 1 FROM coordinator.agents a WHERE ${AGENT_MAY_TAKE_TASK})
       ORDER BY t.priority_rank, t.seq
       LIMIT $1
       FOR UPDATE OF t SKIP LOCKED`,
      [limit, heartbeatLimitSecs],
    );
  }

  /** Hands claimed tasks to agents: each becomes `assigned` (one more attempt) and its delivery is recorded, all in one statement. */
  async assign(tx: EntityManager, plan: { task_id: string; agent_id: string; token: string }[]): Promise<void> {
    await tx.query(
      `WITH plan AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) AS p(task_id, agent_id, token)),
            upd AS (
              UPDATE coordinator.tasks t SET status = 'assigned', agent_id = p.agent_id, token = p.token,
                     attempts = t.attempts + 1, assigned_at = clock_timestamp()
              FROM plan p WHERE t.task_id = p.task_id AND t.status = 'queued'
              RETURNING t.task_id, t.owner, t.agent_id, t.attempts, t.token, t.assigned_at, t.queued_at)
       INSERT INTO coordinator.assignments (task_id, owner, agent_id, attempt, token, distribution_ms, assigned_at)
       SELECT task_id, owner, agent_id, attempts, token, extract(epoch FROM (assigned_at - queued_at)) * 1000, assigned_at FROM upd`,
      [plan.map((p) => p.task_id), plan.map((p) => p.agent_id), plan.map((p) => p.token)],
    );
  }

  // --- the end of an attempt -----------------------------------------------------------------

  /** Locks the task when the delivery holding `token` still has it; null otherwise (a late or repeated report). */
  async lockHeld(tx: EntityManager, taskId: string, token: string): Promise<{ agent_id: string; attempts: number; max_attempts: number } | null> {
    const [task]: { agent_id: string; attempts: number; max_attempts: number }[] = await tx.query(
      `SELECT agent_id, attempts, max_attempts FROM coordinator.tasks WHERE task_id = $1 AND token = $2 AND status = 'assigned' FOR UPDATE`,
      [taskId, token],
    );
    return task ?? null;
  }

  async complete(tx: EntityManager, taskId: string, result: unknown): Promise<void> {
    await tx.query(`UPDATE coordinator.tasks SET status = 'completed', result = $2::jsonb, error = NULL, completed_at = now() WHERE task_id = $1`, [
      taskId,
      JSON.stringify(result ?? null),
    ]);
  }

  async fail(tx: EntityManager, taskId: string, error: string): Promise<void> {
    await tx.query(`UPDATE coordinator.tasks SET status = 'failed', error = $2, completed_at = now() WHERE task_id = $1`, [taskId, error]);
  }

  /** Back to its queue after `agentId` failed it; it keeps its place (FIFO is by submission) and remembers the agent. */
  async requeue(tx: EntityManager, taskId: string, error: string, agentId: string): Promise<void> {
    await tx.query(
      `UPDATE coordinator.tasks SET status = 'queued', error = $2, agent_id = NULL, token = NULL, queued_at = now(),
              tried_agents = array_append(tried_agents, $3::text)
       WHERE task_id = $1`,
      [taskId, error, agentId],
    );
  }

  /** Records how the delivery holding `token` ended. */
  async closeAssignment(tx: EntityManager, token: string, outcome: 'success' | 'failed'): Promise<void> {
    await tx.query(`UPDATE coordinator.assignments SET outcome = $2, finished_at = now() WHERE token = $1`, [token, outcome]);
  }

  // --- taking tasks back ---------------------------------------------------------------------

  /** The tasks an agent holds now. */
  heldBy(agentId: string): Promise<HeldTask[]> {
    return this.db.query(`SELECT task_id, token FROM coordinator.tasks WHERE status = 'assigned' AND agent_id = $1`, [agentId]);
  }

  /**
   * Up to 1000 tasks held by an agent that is stale or gone, or held longer than `timeoutMs`, each with
   * the reason to give when taking it back.
   */
  findLost(timeoutMs: number): Promise<(HeldTask & { agent_id: string; reason: string })[]> {
    return this.db.query(
      `SELECT t.task_id, t.token, t.agent_id,
              CASE WHEN a.agent_id IS NULL THEN 'agent ' || t.agent_id || ' is gone'
                   WHEN a.status = 'stale' THEN 'agent ' || t.agent_id || ' stopped sending heartbeats'
                   ELSE 'no result within ' || $2 || ' ms' END AS reason
       FROM coordinator.tasks t LEFT JOIN coordinator.agents a ON a.agent_id = t.agent_id
       WHERE t.status = 'assigned' AND (a.agent_id IS NULL OR a.status = 'stale' OR t.assigned_at < now() - make_interval(secs => $1))
       LIMIT 1000`,
      [timeoutMs / 1000, String(timeoutMs)],
    );
  }
}
