import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
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
import { isDeliverable } from '../registry/agent-row';
import { AgentRepository } from '../registry/agent.repository';
import { Dispatcher } from './dispatcher';
import type { Requirements } from './placement';
import type { TaskEntity } from './task.entity';
import { TaskLifecycle } from './task-lifecycle';
import { TaskRepository } from './task.repository';

const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** Task commands and queries. Every task belongs to its submitter; another caller gets 404. */
@Injectable()
export class TasksService {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly agents: AgentRepository,
    @Inject(CoordinatorConfig) private readonly config: CoordinatorConfig,
    private readonly dispatcher: Dispatcher,
    private readonly lifecycle: TaskLifecycle,
  ) {}

  async submit(dto: SubmitTaskDto, principal: Principal): Promise<SubmitTaskReply> {
    const priority = checkPriority(dto.priority);
    const taskId = randomUUID();
    const requirements: Requirements = {};
    if (dto.requirements?.capabilities?.length) requirements.capabilities = dto.requirements.capabilities;
    if (dto.requirements?.agent_type) requirements.agent_type = dto.requirements.agent_type;
    const submittedAt = await this.tasks.insert({
      task_id: taskId,
      owner: ownerOf(principal),
      principal,
      priority,
      task_data: dto.task_data,
      requirements,
      max_attempts: this.config.COORDINATOR_TASK_MAX_ATTEMPTS,
    });
    this.dispatcher.kick();
    return {
      status: 'success',
      message: 'Task submitted successfully',
      task_id: taskId,
      priority,
      submitted_at: new Date(submittedAt).toISOString(),
    };
  }

  async get(taskId: string, principal: Principal): Promise<GetTaskReply> {
    const t = await this.tasks.findOwned(taskId, ownerOf(principal));
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
    const ages = await this.tasks.oldestQueuedAge(owner);
    const oldest = Object.fromEntries(TASK_PRIORITIES.map((p) => [p, ages[p] === undefined ? null : round(ages[p], 3)])) as Record<TaskPriority, number | null>;
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
    const cleared = await this.tasks.cancelQueued(ownerOf(principal), priority);
    return {
      status: 'success',
      message: `Queue ${priority} cleared`,
      priority,
      cleared,
      timestamp: new Date().toISOString(),
    };
  }

  /** An agent's report on a task it was given: accepted only with the delivery's token, from the agent that got it. */
  async result(cmd: TaskResultCommand): Promise<TaskResultReply> {
    const t = await this.tasks.findHolder(cmd.task_id);
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
    const counts = await this.tasks.countQueued(owner);
    return Object.fromEntries(TASK_PRIORITIES.map((p) => [p, counts[p] ?? 0])) as QueueSizes;
  }

  /** The caller's figures: its tasks and their assignments, and the agents that can serve it (its own and shared ones). */
  async stats(owner: string): Promise<TaskStats> {
    const [a, t, agents, queue_sizes] = await Promise.all([
      this.tasks.assignmentStats(owner),
      this.tasks.countFinished(owner),
      this.agents.activeFor(owner),
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
