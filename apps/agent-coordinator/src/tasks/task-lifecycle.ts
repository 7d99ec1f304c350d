import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { TaskState } from '@platform/contracts';
import { AgentRepository } from '../registry/agent.repository';
import { TaskRepository } from './task.repository';

export type AttemptOutcome =
  | { status: 'completed'; result?: unknown }
  | {
      status: 'failed';
      error: string;
      /** The agent could not be reached at all: it is marked stale until its next heartbeat. */
      unreachable?: boolean;
    };

export interface FinishResult {
  accepted: boolean;
  status?: TaskState;
  agentId?: string;
}

/**
 * Ends one attempt of a task. Only the delivery holding the task's current token may end it, so a late
 * report of an earlier attempt, or a second report of this one, changes nothing. A failed attempt puts
 * the task back in its queue (it keeps its place: FIFO is by submission) until it runs out of attempts.
 */
@Injectable()
export class TaskLifecycle {
  private readonly logger = new Logger(TaskLifecycle.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tasks: TaskRepository,
    private readonly agents: AgentRepository,
  ) {}

  /**
   * One transaction over three tables: the task and its assignment (TaskRepository) and the agent's
   * failure rate (AgentRepository). Each repository runs its own statements on the EntityManager passed
   * in, so every table keeps one writer and the outcome is recorded all or nothing.
   */
  finish(taskId: string, token: string, outcome: AttemptOutcome): Promise<FinishResult> {
    return this.db.transaction(async (tx) => {
      const task = await this.tasks.lockHeld(tx, taskId, token);
      if (!task) return { accepted: false };
      const status = await this.settle(tx, taskId, task, outcome);
      const failed = outcome.status !== 'completed';
      await this.tasks.closeAssignment(tx, token, failed ? 'failed' : 'success');
      await this.agents.recordOutcome(tx, task.agent_id, { failed, unreachable: outcome.status === 'failed' && outcome.unreachable === true });
      if (failed)
        this.logger.warn(`task ${taskId} attempt ${task.attempts} on ${task.agent_id} failed (${status}): ${outcome.status === 'failed' ? outcome.error : ''}`);
      return { accepted: true, status, agentId: task.agent_id };
    });
  }

  /** Where the task goes after this attempt: completed, failed for good (out of attempts), or back to its queue. */
  private async settle(
    tx: EntityManager,
    taskId: string,
    task: { agent_id: string; attempts: number; max_attempts: number },
    outcome: AttemptOutcome,
  ): Promise<TaskState> {
    if (outcome.status === 'completed') {
      await this.tasks.complete(tx, taskId, outcome.result);
      return 'completed';
    }
    if (task.attempts >= task.max_attempts) {
      await this.tasks.fail(tx, taskId, `Failed after ${task.attempts} attempt(s): ${outcome.error}`);
      return 'failed';
    }
    await this.tasks.requeue(tx, taskId, outcome.error, task.agent_id);
    return 'queued';
  }

  /** Gives back every task an agent holds (it left, went stale or was removed). Returns how many. */
  async releaseAgentTasks(agentId: string, reason: string): Promise<number> {
    let n = 0;
    for (const t of await this.tasks.heldBy(agentId)) if ((await this.finish(t.task_id, t.token, { status: 'failed', error: reason })).accepted) n++;
    return n;
  }
}
