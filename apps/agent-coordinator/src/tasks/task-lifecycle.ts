import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { TaskState } from '@platform/contracts';
import { FAILURE_WEIGHT } from '../registry/health';

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

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  finish(taskId: string, token: string, outcome: AttemptOutcome): Promise<FinishResult> {
    return this.db.transaction(async (m) => {
      const [task]: {
        agent_id: string;
        attempts: number;
        max_attempts: number;
      }[] = await m.query(
        `SELECT agent_id, attempts, max_attempts FROM coordinator.tasks WHERE task_id = $1 AND token = $2 AND status = 'assigned' FOR UPDATE`,
        [taskId, token],
      );
      if (!task) return { accepted: false };
      let status: TaskState;
      if (outcome.status === 'completed') {
        status = 'completed';
        await m.query(`UPDATE coordinator.tasks SET status = 'completed', result = $2::jsonb, error = NULL, completed_at = now() WHERE task_id = $1`, [
          taskId,
          JSON.stringify(outcome.result ?? null),
        ]);
      } else if (task.attempts >= task.max_attempts) {
        status = 'failed';
        await m.query(`UPDATE coordinator.tasks SET status = 'failed', error = $2, completed_at = now() WHERE task_id = $1`, [
          taskId,
          `Failed after ${task.attempts} attempt(s): ${outcome.error}`,
        ]);
      } else {
        status = 'queued';
        await m.query(
          `UPDATE coordinator.tasks SET status = 'queued', error = $2, agent_id = NULL, token = NULL, queued_at = now(),
                  tried_agents = array_append(tried_agents, $3::text)
           WHERE task_id = $1`,
          [taskId, outcome.error, task.agent_id],
        );
      }
      const failed = outcome.status !== 'completed';
      await m.query(`UPDATE coordinator.assignments SET outcome = $2, finished_at = now() WHERE token = $1`, [token, failed ? 'failed' : 'success']);
      await m.query(
        `UPDATE coordinator.agents SET failure_rate = failure_rate * $2 + $3,
                status = CASE WHEN $4 AND status IN ('active','busy') THEN 'stale' ELSE status END, updated_at = now()
         WHERE agent_id = $1`,
        [task.agent_id, 1 - FAILURE_WEIGHT, failed ? FAILURE_WEIGHT : 0, outcome.status === 'failed' && outcome.unreachable === true],
      );
      if (failed)
        this.logger.warn(`task ${taskId} attempt ${task.attempts} on ${task.agent_id} failed (${status}): ${outcome.status === 'failed' ? outcome.error : ''}`);
      return { accepted: true, status, agentId: task.agent_id };
    });
  }

  /** Gives back every task an agent holds (it left, went stale or was removed). Returns how many. */
  async releaseAgentTasks(agentId: string, reason: string): Promise<number> {
    const held: { task_id: string; token: string }[] = await this.db.query(
      `SELECT task_id, token FROM coordinator.tasks WHERE status = 'assigned' AND agent_id = $1`,
      [agentId],
    );
    let n = 0;
    for (const t of held)
      if (
        (
          await this.finish(t.task_id, t.token, {
            status: 'failed',
            error: reason,
          })
        ).accepted
      )
        n++;
    return n;
  }
}
