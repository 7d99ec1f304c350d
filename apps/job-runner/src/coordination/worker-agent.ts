import os from 'node:os';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { AgentRegistry } from '@platform/agent-registry';
import { isTerminal, Subjects, type Principal, subjectFor, type TaskDelivery, type TaskDeliveryReply } from '@platform/contracts';
import { Bus, RemoteError, RequestContextStore } from '@platform/runtime';
import { WorkerAgentConfig } from './worker-agent.config';

/** The principal this process acts as towards the coordinator: platform agents are shared by every owner. */
export const WORKER_PRINCIPAL: Principal = Object.freeze({
  type: 'service',
  sub: 'job-runner',
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Makes this job-runner process an agent of the coordinator: registers it (agent_type "worker",
 * capabilities = the agent types it hosts), heartbeats with its real load, takes task deliveries on its
 * own NATS subject, runs each task as a job on behalf of the task's owner, reports the job's report as
 * the task's result, and deregisters on shutdown after draining.
 *
 * "Worker" is the coordinator API's agent_type (worker, provider, consumer, general); in this repo the
 * word means that agent or a Node worker thread (knowledge-ingestor's parse.worker.ts), nothing else:
 * Bull queue consumers are processors (JobProcessor, IngestProcessor), a job-runner process is a replica.
 */
@Injectable()
export class WorkerAgent implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerAgent.name);
  readonly agentId: string;
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private registered = false;
  private stopping = false;
  private readonly running = new Map<string, Promise<void>>();
  private lastCpu = process.cpuUsage();
  private lastCpuAt = Date.now();

  constructor(
    private readonly bus: Bus,
    private readonly registry: AgentRegistry,
    @Inject(WorkerAgentConfig) private readonly config: WorkerAgentConfig,
  ) {
    this.agentId = config.WORKER_AGENT_ID ?? `job-runner-${os.hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_.:@-]/g, '-');
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.WORKER_AGENT_ENABLED) return;
    this.subscription = await this.bus.serveAt(
      Subjects.coordinator.deliver,
      this.agentId,
      (delivery) => this.accept(delivery),
      (err): TaskDeliveryReply => ({ accepted: false, error: err.message }),
    );
    void this.beat(); // registers; retried on every beat until the coordinator answers
    this.timer = setInterval(() => void this.beat(), this.config.WORKER_AGENT_HEARTBEAT_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.config.WORKER_AGENT_ENABLED) return;
    this.stopping = true;
    clearInterval(this.timer);
    // Take no more tasks, let running ones finish, then leave: what is still running goes back to the queue.
    await this.asWorker(() =>
      this.bus.request(
        Subjects.coordinator.agents.status,
        {
          agent_id: this.agentId,
          status: 'inactive',
          load_metrics: this.load(),
        },
        2000,
      ),
    ).catch(() => undefined);
    const deadline = Date.now() + this.config.WORKER_AGENT_DRAIN_MS;
    while (this.running.size > 0 && Date.now() < deadline) await sleep(100);
    this.subscription?.unsubscribe();
    await this.asWorker(() => this.bus.request(Subjects.coordinator.agents.deregister, { agent_id: this.agentId }, 3000)).catch((err: Error) =>
      this.logger.warn(`deregistration failed: ${err.message}`),
    );
  }

  get activeTasks(): number {
    return this.running.size;
  }

  /** What the heartbeat reports: tasks in hand, CPU share of this process since the last beat, memory share of the host. */
  load(): Record<string, number> {
    const now = Date.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedUs = Math.max(1, (now - this.lastCpuAt) * 1000);
    this.lastCpu = process.cpuUsage();
    this.lastCpuAt = now;
    return {
      active_connections: this.running.size,
      pending_tasks: 0,
      cpu_usage: Math.round(Math.min(100, ((cpu.user + cpu.system) / elapsedUs / os.cpus().length) * 100) * 10) / 10,
      memory_usage: Math.round((process.memoryUsage().rss / os.totalmem()) * 1000) / 10,
    };
  }

  private async beat(): Promise<void> {
    if (this.stopping) return;
    try {
      if (!this.registered) {
        await this.asWorker(() => this.bus.request(Subjects.coordinator.agents.register, this.registration(), 5000));
        this.registered = true;
        this.logger.log(`registered with the coordinator as ${this.agentId}`);
        return;
      }
      await this.asWorker(() => this.bus.request(Subjects.coordinator.agents.heartbeat, { agent_id: this.agentId, load_metrics: this.load() }, 5000));
    } catch (err) {
      // Unknown to the coordinator (e.g. deregistered by an operator): register again on the next beat.
      if (err instanceof RemoteError && err.status === 404) this.registered = false;
      else this.logger.debug?.(`heartbeat failed: ${(err as Error).message}`);
    }
  }

  private registration() {
    return {
      agent_id: this.agentId,
      agent_type: 'worker',
      capabilities: this.registry.list().map((a) => a.agent_type),
      services: ['jobs'],
      endpoints: { nats: subjectFor(Subjects.coordinator.deliver, this.agentId) },
      metadata: {
        host: os.hostname(),
        pid: process.pid,
        max_concurrent_tasks: this.config.WORKER_AGENT_MAX_TASKS,
      },
      version: process.env.npm_package_version ?? '',
      tags: ['job-runner'],
      load_metrics: this.load(),
    };
  }

  /** Answers a delivery at once; the task runs in the background and reports when its job ends. */
  private accept(task: TaskDelivery): TaskDeliveryReply {
    if (this.stopping) return { accepted: false, error: 'worker is shutting down' };
    const agentType = String(task.task_data.task_type ?? '');
    if (!this.registry.has(agentType))
      return {
        status: 'failed',
        error: `task_type '${agentType}' is not an agent type this worker hosts`,
      };
    if (!this.running.has(task.token)) {
      const run = this.run(task, agentType).finally(() => this.running.delete(task.token));
      this.running.set(task.token, run);
    }
    return { accepted: true };
  }

  private async run(task: TaskDelivery, agentType: string): Promise<void> {
    const raw = task.task_data.prompt ?? task.task_data.input ?? '';
    const input = typeof raw === 'string' ? raw : JSON.stringify(raw);
    const jobId = `task-${task.task_id}-${task.attempt}`;
    let outcome: {
      status: 'completed' | 'failed';
      result?: unknown;
      error?: string;
    };
    try {
      const ctx = { correlationId: task.task_id, principal: task.principal };
      outcome = await RequestContextStore.run(ctx, async () => {
        try {
          await this.bus.request(Subjects.jobs.submit, {
            agent_type: agentType,
            input: input || ' ',
            job_id: jobId,
          });
        } catch (err) {
          if (!(err instanceof RemoteError && err.status === 409)) throw err; // 409: this delivery's job already exists
        }
        for (;;) {
          const job = await this.bus.request(Subjects.jobs.get, {
            job_id: jobId,
          });
          if (isTerminal(job.status)) {
            if (job.status !== 'success')
              return {
                status: 'failed' as const,
                error: job.error ?? `job ${job.status}`,
              };
            const report = await this.bus.request(Subjects.jobs.report, {
              job_id: jobId,
            });
            return {
              status: 'completed' as const,
              result: { job_id: jobId, report: report.report },
            };
          }
          await sleep(this.config.WORKER_AGENT_POLL_MS);
        }
      });
    } catch (err) {
      outcome = { status: 'failed', error: (err as Error).message };
    }
    await this.report(task, outcome);
  }

  private async report(
    task: TaskDelivery,
    outcome: {
      status: 'completed' | 'failed';
      result?: unknown;
      error?: string;
    },
  ): Promise<void> {
    const body = {
      task_id: task.task_id,
      agent_id: this.agentId,
      token: task.token,
      ...outcome,
    };
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        await this.asWorker(() => this.bus.request(Subjects.coordinator.tasks.result, body));
        return;
      } catch (err) {
        if (err instanceof RemoteError && err.status < 500) return; // not ours any more (409) or gone (404)
        await sleep(500 * attempt);
      }
    }
    this.logger.warn(`could not report task ${task.task_id}; the coordinator will time it out`);
  }

  private asWorker<T>(fn: () => Promise<T>): Promise<T> {
    return RequestContextStore.run(
      {
        correlationId: RequestContextStore.correlationId(),
        principal: WORKER_PRINCIPAL,
      },
      fn,
    );
  }
}
