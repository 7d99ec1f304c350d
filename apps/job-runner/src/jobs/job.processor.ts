import { OnQueueFailed, Process, Processor } from '@nestjs/bull';
import { Inject, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import type { Job } from 'bull';
import { AgentRegistry, type AgentContext, type KnowledgeClient, type LlmClient, type Models } from '@platform/agent-registry';
import { inSpan, isDependencyUnavailable, RequestContextStore, restoreTrace, secondsSince, SpanKind, within } from '@platform/runtime';
import { JobMetrics } from './job-metrics';
import { ActiveRuns } from './active-runs';
import { EventLog, type JobEventWriter } from './event-log';
import { HandBack, unavailableDelay } from './hand-back';
import { JOBS_QUEUE, JobQueue, type QueuedJob } from './job-queue';
import { JobStore } from './job.store';
import { JobRunnerConfig } from '../config';
import { KNOWLEDGE_CLIENT, LLM_CLIENT, MODELS } from '../agents/agent-services';

/** What a SIGTERMed replica keeps of its grace period for handing running jobs back and closing (at most half of it). */
const HAND_BACK_RESERVE_MS = 2500;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How a run ended, for `job_run_duration_seconds` (cancelled: cancelled or superseded; handed_back: re-queued). */
type RunOutcome = 'success' | 'failure' | 'cancelled' | 'handed_back';

const messageOf = (err: unknown) => (err as Error)?.message ?? String(err);

/**
 * The consumer of the jobs queue: takes jobs off Bull and runs their agents. A run first claims the job
 * (submitted or running → running, attempt + 1) so a cancelled job never starts and a retried one
 * continues its sequence; every write of the run is fenced by that attempt number.
 *
 * How a run ends:
 * - the agent returns or throws: `success`, or `job.error` + `failure`;
 * - cancelled, or superseded by a newer attempt: nothing more is written;
 * - handed back (HandBack): the replica is stopping, or Postgres stayed unavailable for longer than
 *   JOB_WRITE_RETRY_MS — nothing is written and Bull re-queues the job (at once on shutdown, with a
 *   backoff after an outage). A reply never says "failed" for work that was only interrupted.
 *
 * Shutdown (SIGTERM) happens in `beforeApplicationShutdown`, while Nest still answers NATS requests:
 * stop taking jobs, let running ones finish until the grace period is nearly over, hand the rest back,
 * and only then let Nest close the listener, Bull and the database.
 *
 * Registered by `JobsModule.forRoot` through `withConcurrency`, and not at all when JOB_CONCURRENCY is 0
 * (an API-only replica: it never consumes the queue). Bull's lock, stalled-job and backoff settings are
 * the queue's, in `AppModule` (`BullModule.forRoot`).
 */
@Processor(JOBS_QUEUE)
export class JobProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobProcessor.name);
  private bootstrapped!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.bootstrapped = resolve));
  /** Every handle() in progress (settled promises: for the drain to wait on). */
  private readonly inFlight = new Set<Promise<void>>();
  private draining = false;
  private handingBack = false;

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
    private readonly metrics: JobMetrics,
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
   * (e.g. the agent registry's discovery); a run waits until the app has bootstrapped. Resolves when
   * the job is done with (finished, failed, cancelled, gone); rejects only with a HandBack, which
   * Bull turns into a delayed retry of the entry.
   */
  async handle(job: Job<QueuedJob>): Promise<void> {
    await this.ready;
    const done = this.execute(job);
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return done;
  }

  onApplicationBootstrap(): void {
    this.bootstrapped();
  }

  /** Bull fails an entry that stalled too often (its replica vanished holding it); the job row must say so too. A hand-back is a retry, not a failure. */
  @OnQueueFailed()
  onFailed(job: Job<QueuedJob>, err: Error): void {
    if (err instanceof HandBack) {
      if (job.attemptsMade >= (job.opts.attempts ?? 1))
        this.logger.warn(`job ${job.data.job_id} handed back ${job.attemptsMade} times; the sweeper re-queues it`);
      return;
    }
    void this.failLost(job.data.job_id, err.message);
  }

  /** The Bull hop of the trace: a consumer span under the submitter's context stored with the entry (a no-op without tracing). */
  private execute(job: Job<QueuedJob>): Promise<void> {
    return inSpan(
      `${JOBS_QUEUE} process`,
      {
        kind: SpanKind.CONSUMER,
        parent: restoreTrace(job.data.trace),
        attributes: { 'messaging.system': 'bull', 'messaging.operation.type': 'process', 'messaging.destination.name': JOBS_QUEUE, 'job.id': job.data.job_id },
      },
      () => this.executeEntry(job),
    );
  }

  private async executeEntry(job: Job<QueuedJob>): Promise<void> {
    const jobId = job.data.job_id;
    try {
      if (this.draining) throw new HandBack('shutdown', 'the replica is stopping');
      await this.run(jobId, job.data.handed_back ?? 0);
    } catch (err) {
      const back = err instanceof HandBack ? err : isDependencyUnavailable(err) ? new HandBack('unavailable', messageOf(err)) : null;
      if (!back) {
        // A bug, not a dependency: the job must not stay `running`.
        this.logger.error(`job ${jobId}: ${(err as Error)?.stack ?? err}`);
        await this.failLost(jobId, messageOf(err));
        return;
      }
      back.delayMs = back.kind === 'shutdown' ? 0 : unavailableDelay(job.attemptsMade);
      if (back.afterClaim) {
        // Recorded with the entry, so the next run does not count this claim as a run lost with its replica.
        await within(job.update({ ...job.data, handed_back: (job.data.handed_back ?? 0) + 1 }), 1000).catch(() => undefined);
      }
      this.logger.log(`job ${jobId} ${back.message}; queued again in ${back.delayMs} ms`);
      throw back;
    }
  }

  /** Runs one job; `handedBack` is how many earlier claims of it ended in a hand-back rather than with a lost replica. */
  async run(jobId: string, handedBack = 0): Promise<void> {
    const job = await this.store.findById(jobId);
    if (!job) return;
    const lost = job.status === 'running' ? job.attempt - handedBack : 0;
    if (lost >= this.config.JOB_MAX_ATTEMPTS) {
      await this.failLost(jobId, `worker lost ${lost} times`);
      return;
    }
    const claimed = await this.log.transition({ jobId, from: ['submitted', 'running'], to: 'running', newAttempt: true });
    if (!claimed) return; // cancelled or finished meanwhile
    const attempt = claimed.attempt;
    const agentType = job.agent_type;
    if (attempt === 1) this.metrics.queueWait.observe({ agent_type: agentType }, Math.max(0, Date.now() - job.created_at.getTime()) / 1000);
    if (lost > 0) this.metrics.crashRetries.inc({ agent_type: agentType });
    const controller = this.runs.start(jobId);
    if (this.handingBack) controller.abort(new HandBack('shutdown', 'the grace period is over', true));
    const writer = this.log.writer(jobId, attempt, {
      lastSeq: claimed.event.seq,
      retryMs: this.config.JOB_WRITE_RETRY_MS,
      onRetrying: (err) =>
        this.logger.warn(`job ${jobId}: event log unavailable (${err.message}); retrying its writes for up to ${this.config.JOB_WRITE_RETRY_MS} ms`),
      onFenced: () => controller.abort(new Error('run superseded')),
      onUnavailable: (err) => controller.abort(new HandBack('unavailable', `event log unavailable: ${err.message}`, true)),
    });
    // However the run is stopped, it writes nothing more (a write in flight finishes).
    controller.signal.addEventListener('abort', () => writer.abandon(), { once: true });
    if (controller.signal.aborted) writer.abandon();
    const principal = job.options.principal;
    const started = process.hrtime.bigint();
    let outcome: RunOutcome = 'handed_back';
    let firstEvent = true;
    const onEvent = () => {
      if (!firstEvent) return;
      firstEvent = false;
      this.metrics.firstEvent.observe({ agent_type: agentType }, Math.max(0, Date.now() - job.created_at.getTime()) / 1000);
    };
    try {
      outcome = await RequestContextStore.run({ correlationId: jobId, principal }, () =>
        inSpan(`agent.run ${agentType}`, { attributes: { 'agent.type': agentType, 'job.id': jobId, 'job.attempt': attempt } }, () =>
          this.runAgent(jobId, agentType, job.input, job.options, writer, controller.signal, onEvent),
        ),
      );
      if (outcome === 'success' || outcome === 'failure') this.metrics.finished.inc({ agent_type: agentType, status: outcome });
    } catch (err) {
      // The closing writes (status, error) failed for good: a dependency outage hands the job back.
      if (err instanceof HandBack || !isDependencyUnavailable(err)) throw err;
      throw new HandBack('unavailable', messageOf(err), true);
    } finally {
      this.metrics.runSeconds.observe({ agent_type: agentType, outcome }, secondsSince(started));
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
    onEvent: () => void = () => undefined,
  ): Promise<RunOutcome> {
    const agent = this.registry.get(agentType);
    let report: string | undefined;
    let failure: { error: unknown } | undefined;
    try {
      if (!agent) throw new Error(`agent_type '${agentType}' is not hosted by this worker`);
      const ctx: AgentContext = {
        jobId,
        input,
        options: { ...options.agent_options, collections: options.collections, skip_clarifier: options.principal?.skip_clarifier ?? true },
        // The writer owns write failures (it retries, then hands the job back through the signal), so an
        // emit promise an agent drops never becomes an unhandled rejection; the agent still sees it.
        emit: (e) => {
          const p = writer.append(e);
          p.then(onEvent, () => undefined);
          return p;
        },
        signal,
        llm: this.llm,
        models: this.models,
        knowledge: this.knowledge,
      };
      report = await agent.run(ctx);
      signal.throwIfAborted();
    } catch (err) {
      failure = { error: err };
    }
    // Cancelled (`interrupted` is already written), superseded, or handed back: the writer was abandoned
    // when the signal fired, so nothing more is written; a hand-back goes on to Bull.
    const aborted = async (): Promise<RunOutcome> => {
      await writer.flush();
      if (signal.reason instanceof HandBack) throw signal.reason;
      return 'cancelled';
    };
    if (signal.aborted) return aborted();
    await writer.flush();
    if (writer.unavailable) throw new HandBack('unavailable', `event log unavailable: ${writer.unavailable.message}`, true);
    let outcome: unknown;
    const result: RunOutcome = failure ? 'failure' : 'success';
    if (!failure) {
      outcome = await writer.transition({ from: ['running'], to: 'success', report });
    } else {
      const message = messageOf(failure.error);
      this.logger.warn(`job ${jobId} failed: ${message}`);
      await writer.append({ type: 'job.error', data: { message } });
      outcome = await writer.transition({ from: ['running'], to: 'failure', error: message });
    }
    // Aborted while the closing writes were retried (e.g. the grace period ended during a Postgres outage).
    if (!outcome && signal.aborted) return aborted();
    return outcome ? result : 'cancelled';
  }

  private async failLost(jobId: string, reason: string): Promise<void> {
    await this.log.transition({ jobId, from: ['submitted', 'running'], to: 'failure', error: `Job failed: ${reason}` }).catch((err: Error) => {
      this.logger.error(`could not fail job ${jobId}: ${err.message}`);
    });
  }

  /**
   * SIGTERM. Runs before Nest closes the NATS listener, so the API keeps answering throughout: stop
   * taking jobs, give running ones the grace period (less what handing back and closing need), then
   * hand the rest back — each is re-queued at once for another replica — and wait until Bull has
   * moved them. The database closes after this (onApplicationShutdown), when nothing writes any more.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const grace = this.config.SHUTDOWN_GRACE_MS;
    const handBackAt = Date.now() + Math.max(grace - HAND_BACK_RESERVE_MS, grace / 2);
    this.draining = true;
    await within(this.queue.queue.pause(true, true), 2000).catch((err: Error) => this.logger.warn(`pausing the queue failed: ${err.message}`));
    if (this.inFlight.size > 0) this.logger.log(`draining ${this.inFlight.size} job(s)`);
    while (this.inFlight.size > 0 && Date.now() < handBackAt) await sleep(100);
    if (this.inFlight.size > 0) {
      this.handingBack = true;
      const n = this.runs.abortAll(new HandBack('shutdown', 'the grace period is over', true));
      this.logger.log(`handing back ${n} running job(s)`);
      const until = Date.now() + 2000;
      while (this.inFlight.size > 0 && Date.now() < until) await sleep(50);
      if (this.inFlight.size > 0) this.logger.warn(`${this.inFlight.size} job(s) still busy after the hand-back; Bull's stalled check re-queues them`);
    }
    // Bull records each outcome (completed, or re-queued for a hand-back) after handle() settles.
    await within(this.queue.queue.whenCurrentJobsFinished(), 1500).catch(() => undefined);
  }
}
