import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  ErrorCode,
  isTaskPriority,
  ownerOf,
  TASK_PRIORITIES,
  type ClearQueueReply,
  type GetTaskReply,
  type Principal,
  type QueueSizes,
  type QueueStatsReply,
  type QueuesReply,
  type SubmitTaskDto,
  type SubmitTaskReply,
  type TaskPriority,
  type TaskResultCommand,
  type TaskResultReply,
  type TaskStats,
  type TaskStatusReply,
  type TaskView,
} from '@platform/contracts';
import { rpcError } from '@platform/runtime';
import { CoordinatorConfig } from '../config';
import { rowsOf } from '../db';
import { AGENT_COLUMNS, isDeliverable, type AgentRow } from '../registry/agent-row';
import { Dispatcher } from './dispatcher';
import { priorityRank } from './placement';
import type { TaskEntity } from './task.entity';
import { TaskLifecycle } from './task-lifecycle';

const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** Task commands and queries. Every task belongs to its submitter; another caller gets 404. */
@Injectable()
export class TasksService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CoordinatorConfig) private readonly config: CoordinatorConfig,
    private readonly dispatcher: Dispatcher,
    private readonly lifecycle: TaskLifecycle,
  ) {}

  async submit(dto: SubmitTaskDto, principal: Principal): Promise<SubmitTaskReply> {
    const priority = checkPriority(dto.priority);
    const taskId = randomUUID();
    const requirements: { capabilities?: string[]; agent_type?: string } = {};
    if (dto.requirements?.capabilities?.length) requirements.capabilities = dto.requirements.capabilities;
    if (dto.requirements?.agent_type) requirements.agent_type = dto.requirements.agent_type;
    const [row]: { submitted_at: Date }[] = await this.db.query(
      `INSERT INTO coordinator.tasks (task_id, owner, principal, priority, priority_rank, status, task_data, requirements, max_attempts, submitted_at, queued_at)
       VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, clock_timestamp(), clock_timestamp()) RETURNING submitted_at`,
      [
        taskId,
        ownerOf(principal),
        JSON.stringify(principal),
        priority,
        priorityRank(priority),
        JSON.stringify(dto.task_data),
        JSON.stringify(requirements),
        this.config.COORDINATOR_TASK_MAX_ATTEMPTS,
      ],
    );
    this.dispatcher.kick();
    return {
      status: 'success',
      message: 'Task submitted successfully',
      task_id: taskId,
      priority,
      submitted_at: new Date(row.submitted_at).toISOString(),
    };
  }

  async get(taskId: string, principal: Principal): Promise<GetTaskReply> {
    const [t]: TaskEntity[] = await this.db.query(`SELECT * FROM coordinator.tasks WHERE task_id = $1 AND owner = $2`, [taskId, ownerOf(principal)]);
    if (!t) throw taskNotFound();
    return {
      status: 'success',
      task: toTaskView(t),
      timestamp: new Date().toISOString(),
    };
  }

  async status(principal: Principal): Promise<TaskStatusReply> {
    return {
      status: 'success',
      stats: await this.stats(ownerOf(principal)),
      timestamp: new Date().toISOString(),
    };
  }

  async queues(principal: Principal): Promise<QueuesReply> {
    const sizes = await this.queueSizes(ownerOf(principal));
    return {
      status: 'success',
      queue_sizes: sizes,
      total: sum(sizes),
      timestamp: new Date().toISOString(),
    };
  }

  async queueStats(principal: Principal): Promise<QueueStatsReply> {
    const owner = ownerOf(principal);
    const stats = await this.stats(owner);
    const rows: { priority: TaskPriority; age: number }[] = await this.db.query(
      `SELECT priority, extract(epoch FROM now() - min(submitted_at))::float8 AS age FROM coordinator.tasks
       WHERE owner = $1 AND status = 'queued' GROUP BY priority`,
      [owner],
    );
    const oldest = Object.fromEntries(TASK_PRIORITIES.map((p) => [p, null])) as Record<TaskPriority, number | null>;
    for (const r of rows) oldest[r.priority] = round(Number(r.age), 3);
    return {
      status: 'success',
      queue_sizes: stats.queue_sizes,
      total: sum(stats.queue_sizes),
      oldest_wait_seconds: oldest,
      stats,
      timestamp: new Date().toISOString(),
    };
  }

  /** Drains one priority's waiting tasks (the caller's): they end `cancelled`. Tasks already with an agent are left alone. */
  async clear(rawPriority: string, principal: Principal): Promise<ClearQueueReply> {
    const priority = checkPriority(rawPriority);
    const rows = rowsOf(
      await this.db.query(
        `UPDATE coordinator.tasks SET status = 'cancelled', error = 'Cleared from the queue', completed_at = now()
       WHERE owner = $1 AND priority = $2 AND status = 'queued' RETURNING task_id`,
        [ownerOf(principal), priority],
      ),
    );
    return {
      status: 'success',
      message: `Queue ${priority} cleared`,
      priority,
      cleared: rows.length,
      timestamp: new Date().toISOString(),
    };
  }

  /** An agent's report on a task it was given: accepted only with the delivery's token, from the agent that got it. */
  async result(cmd: TaskResultCommand): Promise<TaskResultReply> {
    const [t]: {
      status: TaskEntity['status'];
      agent_id: string | null;
      token: string | null;
    }[] = await this.db.query(`SELECT status, agent_id, token FROM coordinator.tasks WHERE task_id = $1`, [cmd.task_id]);
    if (!t) throw taskNotFound();
    if (t.agent_id !== cmd.agent_id || t.token !== cmd.token || t.status !== 'assigned') {
      throw rpcError(ErrorCode.CONFLICT, 'Result not accepted: the task is not assigned to this agent with this token');
    }
    const outcome =
      cmd.status === 'completed'
        ? { status: 'completed' as const, result: cmd.result ?? null }
        : {
            status: 'failed' as const,
            error: cmd.error ?? 'agent reported failure',
          };
    const done = await this.lifecycle.finish(cmd.task_id, cmd.token, outcome);
    if (!done.accepted) throw rpcError(ErrorCode.CONFLICT, 'Result not accepted: the task is not assigned to this agent with this token');
    this.dispatcher.kick();
    return {
      status: 'success',
      accepted: true,
      task_id: cmd.task_id,
      task_status: done.status!,
      timestamp: new Date().toISOString(),
    };
  }

  private async queueSizes(owner: string): Promise<QueueSizes> {
    const rows: { priority: TaskPriority; n: number }[] = await this.db.query(
      `SELECT priority, count(*)::int AS n FROM coordinator.tasks WHERE owner = $1 AND status = 'queued' GROUP BY priority`,
      [owner],
    );
    const sizes = Object.fromEntries(TASK_PRIORITIES.map((p) => [p, 0])) as QueueSizes;
    for (const r of rows) sizes[r.priority] = Number(r.n);
    return sizes;
  }

  /** The caller's figures: its tasks and their assignments, and the agents that can serve it (its own and shared ones). */
  async stats(owner: string): Promise<TaskStats> {
    const [[a], [t], agents, queue_sizes] = await Promise.all([
      this.db.query(
        `SELECT count(DISTINCT task_id)::int AS distributed, count(*)::int AS total,
                count(*) FILTER (WHERE outcome = 'success')::int AS ok, count(*) FILTER (WHERE outcome = 'failed')::int AS failed,
                COALESCE(avg(distribution_ms), 0)::float8 AS avg_ms
         FROM coordinator.assignments WHERE owner = $1`,
        [owner],
      ) as Promise<
        {
          distributed: number;
          total: number;
          ok: number;
          failed: number;
          avg_ms: number;
        }[]
      >,
      this.db.query(
        `SELECT count(*) FILTER (WHERE status = 'completed')::int AS completed, count(*) FILTER (WHERE status = 'failed')::int AS failed
         FROM coordinator.tasks WHERE owner = $1`,
        [owner],
      ) as Promise<{ completed: number; failed: number }[]>,
      this.db.query(`SELECT ${AGENT_COLUMNS} FROM coordinator.agents a WHERE (a.owner = $1 OR a.shared) AND a.status = 'active'`, [owner]) as Promise<
        AgentRow[]
      >,
      this.queueSizes(owner),
    ]);
    const finished = a.ok + a.failed;
    const load = agents.reduce((s, r) => s + Number(r.active_tasks), 0);
    return {
      tasks_distributed: a.distributed,
      tasks_completed: t.completed,
      tasks_failed: t.failed,
      avg_distribution_time: round(Number(a.avg_ms) / 1000, 6),
      load_balancer_stats: {
        strategy: 'least_connections',
        total_assignments: a.total,
        successful_assignments: a.ok,
        failed_assignments: a.failed,
        success_rate: finished === 0 ? 0 : round(a.ok / finished),
        active_agents: agents.length,
        agent_weights: agents.filter((r) => isDeliverable(r.endpoints)).length,
        avg_agent_load: agents.length === 0 ? 0 : round(load / agents.length),
      },
      queue_sizes,
    };
  }
}

function checkPriority(p: string): TaskPriority {
  if (!isTaskPriority(p)) throw rpcError(ErrorCode.INVALID_REQUEST, `Invalid priority: ${p}`, undefined, 400);
  return p;
}

const taskNotFound = () => rpcError(ErrorCode.NOT_FOUND, 'Task not found');
const sum = (s: QueueSizes) => Object.values(s).reduce((a, b) => a + b, 0);

export function toTaskView(t: TaskEntity): TaskView {
  return {
    task_id: t.task_id,
    priority: t.priority,
    status: t.status,
    task_data: t.task_data,
    requirements: t.requirements ?? {},
    assigned_agent: t.agent_id,
    attempts: t.attempts,
    max_attempts: t.max_attempts,
    result: t.result ?? null,
    error: t.error,
    submitted_at: iso(t.submitted_at)!,
    assigned_at: iso(t.assigned_at),
    completed_at: iso(t.completed_at),
    distribution_time: t.assigned_at ? round((new Date(t.assigned_at).getTime() - new Date(t.submitted_at).getTime()) / 1000, 6) : null,
  };
}
