import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal, TaskDelivery, TaskPriority } from '@platform/contracts';
import { CoordinatorConfig } from '../config';
import { AGENT_COLUMNS, agentHealth, isDeliverable, type AgentRow } from '../registry/agent-row';
import { capacityOf } from '../registry/health';
import { Delivery } from './delivery';
import { type Candidate, planAssignments, type PendingTask } from './placement';
import { TaskLifecycle } from './task-lifecycle';

interface QueuedRow extends PendingTask {
  principal: Principal | null;
  priority: TaskPriority;
  task_data: Record<string, unknown>;
  attempts: number;
  submitted_at: Date;
}

/**
 * Moves queued tasks to agents. A round claims waiting tasks in queue order with
 * `FOR UPDATE SKIP LOCKED` (only tasks some live agent could take), places them least-connections,
 * marks them assigned and records the assignments in the same transaction, then delivers them. A
 * replica never sees rows another replica has locked, and an assigned task is no longer `queued`, so
 * no task is ever dispatched twice. Rounds run at once on every event that can make a task placeable
 * (submit, registration, heartbeat, a finished task) and on a timer as a safety net.
 */
@Injectable()
export class Dispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Dispatcher.name);
  private running = false;
  private again = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CoordinatorConfig) private readonly config: CoordinatorConfig,
    private readonly delivery: Delivery,
    private readonly lifecycle: TaskLifecycle,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), this.config.COORDINATOR_DISPATCH_INTERVAL_MS);
    this.timer.unref();
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.loopDone;
    await Promise.allSettled([...this.inflight]);
  }

  /** Asks for a dispatch round; rounds requested while one runs coalesce into one more. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.loopDone = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        while (!this.stopped && (await this.round()) > 0);
      } while (this.again && !this.stopped);
    } catch (err) {
      this.logger.warn(`dispatch round failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /** One claim-place-commit round; returns how many tasks it assigned. */
  async round(): Promise<number> {
    const freshSecs = (this.config.COORDINATOR_HEARTBEAT_INTERVAL_MS * this.config.COORDINATOR_HEARTBEAT_TOLERANCE) / 1000;
    const runner = this.db.createQueryRunner();
    await runner.connect();
    let plan: {
      task: QueuedRow;
      agent: Candidate;
      token: string;
      endpoints: Record<string, string>;
    }[];
    try {
      await runner.startTransaction();
      const tasks: QueuedRow[] = await runner.query(
        `SELECT t.task_id, t.owner, t.principal, t.priority, t.priority_rank, t.seq::float8 AS seq, t.task_data, t.requirements,
                t.tried_agents, t.attempts, t.submitted_at
         FROM coordinator.tasks t
         WHERE t.status = 'queued' AND EXISTS (
           SELECT 1 FROM coordinator.agents a
           WHERE a.status = 'active' AND a.last_heartbeat > now() - make_interval(secs => $2)
             AND (a.owner = t.owner OR a.shared)
             AND (a.endpoints->>'http' IS NOT NULL OR a.endpoints->>'nats' IS NOT NULL)
             AND (t.requirements->>'agent_type' IS NULL OR a.agent_type = t.requirements->>'agent_type')
             AND a.capabilities @> ARRAY(SELECT jsonb_array_elements_text(COALESCE(t.requirements->'capabilities', '[]'::jsonb))))
         ORDER BY t.priority_rank, t.seq
         LIMIT $1
         FOR UPDATE OF t SKIP LOCKED`,
        [this.config.COORDINATOR_DISPATCH_BATCH, freshSecs],
      );
      if (tasks.length === 0) {
        await runner.commitTransaction();
        return 0;
      }
      const agentRows: AgentRow[] = await runner.query(
        `SELECT ${AGENT_COLUMNS} FROM coordinator.agents a WHERE a.status = 'active' AND a.last_heartbeat > now() - make_interval(secs => $1)`,
        [freshSecs],
      );
      const now = new Date();
      const byId = new Map(agentRows.map((r) => [r.agent_id, r]));
      const candidates: Candidate[] = agentRows.map((r) => ({
        agent_id: r.agent_id,
        owner: r.owner,
        shared: r.shared,
        agent_type: r.agent_type,
        status: r.status,
        capabilities: r.capabilities,
        deliverable: isDeliverable(r.endpoints),
        active_tasks: Number(r.active_tasks),
        capacity: capacityOf(r.metadata),
        health_score: agentHealth(r, now, this.config),
      }));
      plan = planAssignments(tasks, candidates).map((p) => ({
        ...p,
        token: randomBytes(18).toString('base64url'),
        endpoints: byId.get(p.agent.agent_id)!.endpoints,
      }));
      if (plan.length > 0) {
        await runner.query(
          `WITH plan AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) AS p(task_id, agent_id, token)),
                upd AS (
                  UPDATE coordinator.tasks t SET status = 'assigned', agent_id = p.agent_id, token = p.token,
                         attempts = t.attempts + 1, assigned_at = clock_timestamp()
                  FROM plan p WHERE t.task_id = p.task_id AND t.status = 'queued'
                  RETURNING t.task_id, t.owner, t.agent_id, t.attempts, t.token, t.assigned_at, t.queued_at)
           INSERT INTO coordinator.assignments (task_id, owner, agent_id, attempt, token, distribution_ms, assigned_at)
           SELECT task_id, owner, agent_id, attempts, token, extract(epoch FROM (assigned_at - queued_at)) * 1000, assigned_at FROM upd`,
          [plan.map((p) => p.task.task_id), plan.map((p) => p.agent.agent_id), plan.map((p) => p.token)],
        );
      }
      await runner.commitTransaction();
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
    for (const p of plan) this.track(this.deliver(p.task, p.agent.agent_id, p.token, p.endpoints));
    return plan.length;
  }

  private async deliver(task: QueuedRow, agentId: string, token: string, endpoints: Record<string, string>): Promise<void> {
    const payload: TaskDelivery = {
      task_id: task.task_id,
      agent_id: agentId,
      token,
      attempt: task.attempts + 1,
      priority: task.priority,
      task_data: task.task_data,
      requirements: task.requirements ?? {},
      submitted_at: new Date(task.submitted_at).toISOString(),
    };
    if (this.config.COORDINATOR_RESULT_BASE_URL)
      payload.result_url = `${this.config.COORDINATOR_RESULT_BASE_URL.replace(/\/$/, '')}/tasks/${task.task_id}/result`;
    if (task.principal) payload.principal = task.principal;
    const outcome = await this.delivery.deliver(endpoints, payload);
    if (outcome.status === 'accepted') return;
    await this.lifecycle.finish(task.task_id, token, outcome);
    this.kick();
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: Error) => this.logger.error(`delivery failed: ${err.message}`)).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }
}
