import { Inject, Injectable } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { createHash, randomUUID } from 'node:crypto';
import {
  DEFAULT_EXPIRY_SECONDS,
  ErrorCode,
  isTerminal,
  ownerOf,
  type CancelJobReply,
  type EventsPage,
  type JobList,
  type JobReportView,
  type JobStateView,
  type JobView,
  type ListJobsQuery,
  type Principal,
  type RemoteErrorBody,
  type SubmitJobCommand,
  type SubmitJobReply,
} from '@platform/contracts';
import { AgentRegistry } from '@platform/agent-registry';
import { rpcError } from '@platform/runtime';
import { ActiveRuns } from './active-runs';
import { EventLog } from './event-log';
import type { JobEntity } from './job.entity';
import { JobQueue } from './job-queue';
import { JobStore } from './job.store';
import { projectState } from './state.projection';
import { JobRunnerConfig } from '../config';

const PAGE_BYTES = 768 * 1024;

/** Job commands and queries, as answered over NATS. Ownership is enforced here, in the owning service. */
@Injectable()
export class JobsService {
  constructor(
    private readonly store: JobStore,
    private readonly log: EventLog,
    private readonly queue: JobQueue,
    private readonly registry: AgentRegistry,
    private readonly runs: ActiveRuns,
    @Inject(JobRunnerConfig) private readonly config: JobRunnerConfig,
  ) {}

  agents() {
    return { agents: this.registry.list() };
  }

  async submit(cmd: SubmitJobCommand, principal: Principal): Promise<SubmitJobReply> {
    if (!this.registry.has(cmd.agent_type)) {
      throw rpcError(ErrorCode.INVALID_REQUEST, `Unknown agent_type '${cmd.agent_type}'`, { known: this.registry.list().map((a) => a.agent_type) }, 400);
    }
    const owner = ownerOf(principal);
    const requestHash = hashSubmission(cmd);
    if (cmd.idempotency_key) {
      const prior = await this.store.findByIdempotencyKey(owner, cmd.idempotency_key);
      if (prior) return this.replayIdempotent(prior, requestHash);
    }
    if (this.config.MAX_ACTIVE_JOBS_PER_CALLER > 0 && (await this.store.countActive(owner)) >= this.config.MAX_ACTIVE_JOBS_PER_CALLER) {
      throw rpcError(ErrorCode.RATE_LIMIT_EXCEEDED, `Too many active jobs (limit ${this.config.MAX_ACTIVE_JOBS_PER_CALLER})`);
    }
    const id = cmd.job_id ?? randomUUID();
    const created = await this.store.create({
      id,
      owner,
      agent_type: cmd.agent_type,
      input: cmd.input,
      options: { collections: cmd.collections, principal, ...(cmd.agent_options && { agent_options: cmd.agent_options }) },
      expiry_seconds: cmd.expiry_seconds ?? DEFAULT_EXPIRY_SECONDS,
      idempotency_key: cmd.idempotency_key ?? null,
      request_hash: requestHash,
    });
    if (!created) {
      if (cmd.idempotency_key) {
        const prior = await this.store.findByIdempotencyKey(owner, cmd.idempotency_key);
        if (prior) return this.replayIdempotent(prior, requestHash);
      }
      // The same caller sending the same submit with its chosen job_id again (a retry after a lost
      // reply) gets its job back; anything else with a taken id is a conflict.
      const same = cmd.job_id ? await this.store.findOwned(id, owner) : null;
      if (same?.request_hash === requestHash) return { job_id: same.id, status: 'submitted', agent_type: same.agent_type };
      throw rpcError(ErrorCode.CONFLICT, `Job '${id}' already exists`);
    }
    // Answered once the row is committed: the queue is derived state, and a Redis outage must cost
    // execution latency, not the submit (the QueueReconciler re-adds submitted jobs when Redis is back).
    this.queue.offer(id);
    return { job_id: id, status: 'submitted', agent_type: cmd.agent_type };
  }

  async get(id: string, principal: Principal): Promise<JobView> {
    return toView(await this.owned(id, principal));
  }

  async list(q: ListJobsQuery, principal: Principal): Promise<JobList> {
    const limit = q.limit ?? 20;
    const offset = q.offset ?? 0;
    const { rows, total } = await this.store.listOwned(ownerOf(principal), q.status, limit, offset);
    return { jobs: rows.map(toView), total, limit, offset };
  }

  async report(id: string, principal: Principal): Promise<JobReportView> {
    const job = await this.owned(id, principal);
    return { job_id: job.id, has_report: job.report !== null, report: job.report };
  }

  async state(id: string, principal: Principal): Promise<JobStateView> {
    const job = await this.owned(id, principal);
    const events = await this.log.read(job.id, 0, 1_000_000);
    return { job_id: job.id, status: job.status, state: { ...projectState(events) } };
  }

  async events(id: string, after: number, limit: number, principal: Principal): Promise<EventsPage> {
    const job = await this.owned(id, principal);
    const events = await this.log.read(job.id, after, limit);
    // Keep the reply under the NATS payload limit; the caller asks again from the last seq it got.
    let bytes = 0;
    let cut = events.length;
    for (let i = 0; i < events.length; i++) {
      bytes += Buffer.byteLength(JSON.stringify(events[i]));
      if (bytes > PAGE_BYTES && i > 0) {
        cut = i;
        break;
      }
    }
    return { job_id: job.id, status: job.status, events: events.slice(0, cut), last_seq: job.last_seq };
  }

  /**
   * Cancels a job and every child job it started that is still queued or running (a compound task's
   * subtasks), whichever route asked. Cancelling an already cancelled job cancels its children again,
   * which finishes a cascade a crash interrupted.
   */
  async cancel(id: string, principal: Principal): Promise<CancelJobReply> {
    const job = await this.owned(id, principal);
    if (job.status !== 'interrupted') {
      if (isTerminal(job.status)) throw rpcError(ErrorCode.CONFLICT, `Job '${id}' already finished with status '${job.status}'`);
      // One atomic step decides the outcome, whether the job is still queued or already running.
      const done = await this.log.transition({ jobId: id, from: ['submitted', 'running'], to: 'interrupted', error: 'Cancelled by request' });
      if (!done) return this.cancel(id, principal); // it changed under us: answer from its new state
      // Only tidies Redis (a queued job that is no longer submitted never starts), so the reply does not wait on it.
      if (job.status === 'submitted') this.queue.removeWaiting(id).catch(() => undefined);
      await this.runs.requestAbort(id);
    }
    await this.cancelChildren(id, principal);
    return { job_id: id, status: 'interrupted' };
  }

  /** Children are created only while their parent runs (JobStore.createChild), so none can appear after this. */
  private async cancelChildren(id: string, principal: Principal): Promise<void> {
    for (const child of await this.store.findChildren(id)) {
      if (isTerminal(child.status)) continue;
      await this.cancel(child.id, principal).catch((err: unknown) => {
        // It finished meanwhile: nothing to cancel.
        if (!(err instanceof RpcException && (err.getError() as RemoteErrorBody).code === ErrorCode.CONFLICT)) throw err;
      });
    }
  }

  private async owned(id: string, principal: Principal): Promise<JobEntity> {
    const job = await this.store.findOwned(id, ownerOf(principal));
    if (!job) throw rpcError(ErrorCode.NOT_FOUND, `Job '${id}' not found`);
    return job;
  }

  private replayIdempotent(prior: JobEntity, requestHash: string): SubmitJobReply {
    if (prior.request_hash !== requestHash) {
      throw rpcError(ErrorCode.CONFLICT, 'Idempotency-Key was already used with a different request body');
    }
    return { job_id: prior.id, status: 'submitted', agent_type: prior.agent_type };
  }
}

export function hashSubmission(cmd: SubmitJobCommand): string {
  const canonical = JSON.stringify([cmd.agent_type, cmd.input, cmd.job_id ?? null, cmd.expiry_seconds ?? null, cmd.collections ?? null]);
  return createHash('sha256').update(canonical).digest('hex');
}

export function toView(job: JobEntity): JobView {
  return {
    job_id: job.id,
    agent_type: job.agent_type,
    status: job.status,
    error: job.error,
    created_at: job.created_at.toISOString(),
    updated_at: job.updated_at.toISOString(),
    expires_at: job.expires_at ? job.expires_at.toISOString() : null,
    attempt: job.attempt,
    started_at: job.started_at ? job.started_at.toISOString() : null,
    finished_at: job.finished_at ? job.finished_at.toISOString() : null,
  };
}
