import { Injectable } from '@nestjs/common';
import { isTerminal, type JobEvent } from '@platform/contracts';
import { EventLog } from '../jobs/event-log';
import type { JobEntity } from '../jobs/job.entity';
import { JobStore } from '../jobs/job.store';
import { project, type ChildJob, type ChildOutcome, type ParentJob, type Projection } from './progress';

export const COMPOUND_AGENT = 'compound';
export const SUBTASK_AGENT = 'subtask';
const LOG_LIMIT = 100_000;

/**
 * Reads a compound task as the projection needs it: the parent job, its log and its children (a child
 * whose end the parent has not recorded yet also gets its `llm.end` read, for model and cost).
 */
@Injectable()
export class CompoundTasks {
  constructor(
    private readonly store: JobStore,
    private readonly log: EventLog,
  ) {}

  async projection(parent: JobEntity, events?: JobEvent[]): Promise<Projection> {
    const [log, rows] = await Promise.all([events ?? this.log.read(parent.id, 0, LOG_LIMIT), this.store.findChildren(parent.id)]);
    const children = rows.map(childOf);
    const first = project(parentOf(parent), log, children);
    if (first.unrecorded.length === 0) return first;
    await Promise.all(children.filter((c) => first.unrecorded.includes(c.index)).map(async (c) => (c.outcome = await this.outcomeOf(c.job_id))));
    return project(parentOf(parent), log, children);
  }

  readLog(jobId: string): Promise<JobEvent[]> {
    return this.log.read(jobId, 0, LOG_LIMIT);
  }

  /** Model, tier and cost of a child's model calls (its `llm.end` events). */
  async outcomeOf(childId: string): Promise<ChildOutcome> {
    const events = await this.log.read(childId, 0, LOG_LIMIT);
    const ends = events.filter((e) => e.type === 'llm.end');
    const last = ends.at(-1)?.data;
    return {
      model: typeof last?.model === 'string' ? last.model : null,
      tier_assigned: typeof last?.tier === 'number' ? last.tier : null,
      cost: ends.reduce((sum, e) => sum + (typeof e.data.cost === 'number' ? e.data.cost : 0), 0),
    };
  }
}

export function parentOf(job: JobEntity): ParentJob {
  return {
    id: job.id,
    input: job.input,
    status: job.status,
    created_at: job.created_at.toISOString(),
    finished_at: isTerminal(job.status) && job.finished_at ? job.finished_at.toISOString() : null,
  };
}

export function childOf(job: JobEntity): ChildJob {
  return {
    index: job.subtask_index ?? -1,
    job_id: job.id,
    status: job.status,
    started_at: job.started_at ? job.started_at.toISOString() : null,
    finished_at: isTerminal(job.status) && job.finished_at ? job.finished_at.toISOString() : null,
    report: job.report,
    error: job.error,
  };
}
