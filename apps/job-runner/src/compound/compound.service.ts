import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import {
  ErrorCode,
  isTerminal,
  ownerOf,
  RECENT_TASKS_MAX,
  type CancelTaskReply,
  type CompoundTaskAccepted,
  type Principal,
  type RecentTasks,
  type TaskProgress,
} from '@platform/contracts';
import { rpcError } from '@platform/runtime';
import type { JobEntity } from '../jobs/job.entity';
import { JobStore } from '../jobs/job.store';
import { JobsService } from '../jobs/jobs.service';
import { COMPOUND_AGENT, CompoundTasks } from './compound-tasks';
import { summaryOf } from './progress';

/** The compound task commands and queries, as answered over NATS; every one scoped to the caller (another caller's task is 404). */
@Injectable()
export class CompoundService {
  constructor(
    private readonly jobs: JobsService,
    private readonly store: JobStore,
    private readonly tasks: CompoundTasks,
  ) {}

  /** Starts the task: a job of agent type `compound` whose id is the task id. Planning happens in the job. */
  async submit(prompt: string, principal: Principal): Promise<CompoundTaskAccepted> {
    const id = `compound-${randomBytes(6).toString('hex')}`;
    await this.jobs.submit({ agent_type: COMPOUND_AGENT, input: prompt, job_id: id }, principal);
    return { id, status: 'planning', subtask_count: 0 };
  }

  async progress(id: string, principal: Principal): Promise<TaskProgress> {
    return (await this.tasks.projection(await this.owned(id, principal))).progress;
  }

  async recent(limit: number, principal: Principal): Promise<RecentTasks> {
    const jobs = await this.store.findRecent(ownerOf(principal), COMPOUND_AGENT, Math.min(limit, RECENT_TASKS_MAX), 'compound-'); // not a job someone submitted as `compound` through the job API
    const tasks = await Promise.all(jobs.map(async (job) => summaryOf((await this.tasks.projection(job)).progress)));
    return { tasks };
  }

  /**
   * Cancels the parent job (its run is aborted, so it starts nothing more); JobsService.cancel then
   * cancels every child still queued or running (their model calls are aborted). Subtasks never
   * started show as `cancelled`.
   */
  async cancel(id: string, principal: Principal): Promise<CancelTaskReply> {
    const job = await this.owned(id, principal);
    if (isTerminal(job.status) && job.status !== 'interrupted') throw rpcError(ErrorCode.CONFLICT, `Task '${id}' already finished`);
    await this.jobs.cancel(id, principal);
    return { id, status: 'cancelled' };
  }

  private async owned(id: string, principal: Principal): Promise<JobEntity> {
    const job = await this.store.findOwned(id, ownerOf(principal));
    if (!job || job.agent_type !== COMPOUND_AGENT || job.parent_job_id !== null) throw rpcError(ErrorCode.NOT_FOUND, 'Task not found');
    return job;
  }
}
