import { OnQueueFailed, Process, Processor } from '@nestjs/bull';
import { Inject, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type Type } from '@nestjs/common';
import type { Job } from 'bull';
import { AgentRegistry, type AgentContext, type KnowledgeClient, type LlmClient, type Models } from '@platform/agent-registry';
import { RequestContextStore } from '@platform/runtime';
import { ActiveRuns } from './active-runs';
import { EventLog, type JobEventWriter } from './event-log';
import { JOBS_QUEUE, JobQueue, type QueuedJob } from './job-queue';
import { JobStore } from './job.store';
import { JobRunnerConfig } from '../config';
import { KNOWLEDGE_CLIENT, LLM_CLIENT, MODELS } from '../agents/agent-services';

/**
 * The consumer of the jobs queue: takes jobs off Bull and runs their agents. A run first claims the job
 * (submitted or running → running, attempt + 1) so a cancelled job never starts and a retried one
 * continues its sequence; every write of the run is fenced by that attempt number.
 *
 * Registered by `JobsModule.forRoot` through `withConcurrency`, and not at all when JOB_CONCURRENCY is 0
 * (an API-only replica: it never consumes the queue). Bull's lock and stalled-job settings are the
 * queue's, in `AppModule` (`BullModule.forRoot`).
 */
@Processor(JOBS_QUEUE)
export class JobProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobProcessor.name);
  private bootstrapped!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.bootstrapped = resolve));

  constructor(
    private readonly queue: JobQueue,
    private readonly store: JobStore,
    private readonly log: EventLog,
    private readonly registry: AgentRegistry,
    private readonly runs: ActiveRuns,
    @Inject(JobRunnerConfig) private readonly config: JobRunnerConfig,
    @Inject(LLM_CLIENT) private readonly llm: LlmClient | null,
    @Inject(KNOWLEDGE_CLIENT) private readonly knowledge: KnowledgeClient,
    @Inject(MODELS) private readonly models: Models | null,
  ) {}

  /**
   * The processor with `@Process({ concurrency })`. Decorator options are fixed when a class is declared,
   * but JOB_CONCURRENCY is validated config loaded at startup, so the module declares this subclass with it.
   */
  static withConcurrency(concurrency: number): Type<JobProcessor> {
    class ConfiguredJobProcessor extends JobProcessor {
      @Process({ concurrency })
      override handle(job: Job<QueuedJob>): Promise<void> {
        return super.handle(job);
      }
    }
    return ConfiguredJobProcessor;
  }

  /**
   * One Bull job. @nestjs/bull starts consuming in its onModuleInit, before other modules' init hooks
   * (e.g. the agent registry's discovery); a run waits until the app has bootstrapped.
   */
  async handle(job: Job<QueuedJob>): Promise<void> {
    await this.ready;
    return this.run(job.data.job_id);
  }

  onApplicationBootstrap(): void {
    this.bootstrapped();
  }

  /** Bull fails a job that stalled too often (its replica vanished holding it); the job row must say so too. */
  @OnQueueFailed()
  onFailed(job: Job<QueuedJob>, err: Error): void {
    void this.failLost(job.data.job_id, err.message);
  }

  async run(jobId: string): Promise<void> {
    const job = await this.store.findById(jobId);
    if (!job) return;
    if (job.status === 'running' && job.attempt >= this.config.JOB_MAX_ATTEMPTS) {
      await this.failLost(jobId, `worker lost ${job.attempt} times`);
      return;
    }
    const claimed = await this.log.transition({ jobId, from: ['submitted', 'running'], to: 'running', newAttempt: true });
    if (!claimed) return; // cancelled or finished meanwhile
    const attempt = claimed.attempt;
    const controller = this.runs.start(jobId);
    const writer = this.log.writer(jobId, attempt, () => controller.abort(new Error('run superseded')));
    const principal = job.options.principal;
    try {
      await RequestContextStore.run({ correlationId: jobId, principal }, () =>
        this.runAgent(jobId, job.agent_type, job.input, job.options, writer, controller.signal),
      );
    } finally {
      this.runs.finish(jobId, controller);
    }
  }

  private async runAgent(
    jobId: string,
    agentType: string,
    input: string,
    options: { collections?: string[]; principal?: { skip_clarifier?: boolean }; agent_options?: Record<string, unknown> },
    writer: JobEventWriter,
    signal: AbortSignal,
  ): Promise<void> {
    const agent = this.registry.get(agentType);
    try {
      if (!agent) throw new Error(`agent_type '${agentType}' is not hosted by this worker`);
      const ctx: AgentContext = {
        jobId,
        input,
        options: { ...options.agent_options, collections: options.collections, skip_clarifier: options.principal?.skip_clarifier ?? true },
        emit: (e) => writer.append(e),
        signal,
        llm: this.llm,
        models: this.models,
        knowledge: this.knowledge,
      };
      const report = await agent.run(ctx);
      signal.throwIfAborted();
      await writer.flush();
      await writer.transition({ from: ['running'], to: 'success', report });
    } catch (err) {
      await writer.flush();
      if (signal.aborted) {
        // Cancel already wrote `interrupted`; a shutdown hand-back leaves the job for another replica.
        return;
      }
      const message = (err as Error)?.message ?? String(err);
      this.logger.warn(`job ${jobId} failed: ${message}`);
      await writer.append({ type: 'job.error', data: { message } });
      await writer.transition({ from: ['running'], to: 'failure', error: message });
    }
  }

  private async failLost(jobId: string, reason: string): Promise<void> {
    await this.log.transition({ jobId, from: ['submitted', 'running'], to: 'failure', error: `Job failed: ${reason}` }).catch((err: Error) => {
      this.logger.error(`could not fail job ${jobId}: ${err.message}`);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    // Stop taking jobs, give running ones the grace period, then let Bull's lock expiry hand them to another replica.
    await this.queue.queue.pause(true, true).catch(() => undefined);
    const deadline = Date.now() + this.config.SHUTDOWN_GRACE_MS;
    while (this.runs.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // Runs still going are not aborted (that would look like a cancel): their Bull lock lapses and the
    // stalled-job check on another replica re-queues them, exactly as after a crash.
    await this.queue.queue.close(this.runs.size > 0).catch(() => undefined);
  }
}
