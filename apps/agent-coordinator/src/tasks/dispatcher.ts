import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { TaskDelivery } from '@platform/contracts';
import { CoordinatorConfig } from '../config';
import { candidateOf, heartbeatLimitSecs } from '../registry/agent-row';
import { AgentRepository } from '../registry/agent.repository';
import { Delivery } from './delivery';
import { CoordinatorMetrics } from './coordinator-metrics';
import { planAssignments } from './placement';
import { TaskLifecycle } from './task-lifecycle';
import { type QueuedTask, TaskRepository } from './task.repository';

/** A claimed task placed on an agent, with the token of this delivery. */
interface Placement {
  task: QueuedTask;
  agentId: string;
  token: string;
  endpoints: Record<string, string>;
}

/**
 * Moves queued tasks to agents. A round claims waiting tasks in queue order with
 * `FOR UPDATE SKIP LOCKED` (only tasks some live agent could take), places them least-connections,
 * marks them assigned and records the assignments in the same transaction, then delivers them. A
 * replica never sees rows another replica has locked, and an assigned task is no longer `queued`, so
 * no task is ever dispatched twice. Rounds run at once on every event that can make a task placeable
 * (submit, registration, heartbeat, a finished task) and on a timer as a safety net.
 */
@Injectable()
export class Dispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Dispatcher.name);
  private running = false;
  private again = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tasks: TaskRepository,
    private readonly agents: AgentRepository,
    @Inject(CoordinatorConfig) private readonly config: CoordinatorConfig,
    private readonly delivery: Delivery,
    private readonly lifecycle: TaskLifecycle,
    @Optional() private readonly metrics?: CoordinatorMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), this.config.COORDINATOR_DISPATCH_INTERVAL_MS);
    this.timer.unref();
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.loopDone;
    await Promise.allSettled([...this.inflight]);
  }

  /** Asks for a dispatch round; rounds requested while one runs coalesce into one more. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.loopDone = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        while (!this.stopped && (await this.round()) > 0);
      } while (this.again && !this.stopped);
    } catch (err) {
      this.logger.warn(`dispatch round failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /** One claim-place-commit round; returns how many tasks it assigned. */
  async round(): Promise<number> {
    const plan = await this.claimAndPlace();
    for (const p of plan) this.track(this.deliver(p));
    return plan.length;
  }

  /**
   * One transaction: lock waiting tasks some live agent may take, place them, mark them assigned and
   * record the assignments. The transaction is the dispatcher's: TaskRepository writes the tasks and
   * assignments and AgentRepository reads the live agents on the same EntityManager, so the plan is made
   * while the claimed rows are locked and is committed whole or not at all.
   */
  private claimAndPlace(): Promise<Placement[]> {
    const limitSecs = heartbeatLimitSecs(this.config);
    return this.db.transaction(async (tx) => {
      const tasks = await this.tasks.claimQueued(tx, this.config.COORDINATOR_DISPATCH_BATCH, limitSecs);
      if (tasks.length === 0) return [];
      const live = await this.agents.live(tx, limitSecs);
      const now = new Date();
      const endpoints = new Map(live.map((r) => [r.agent_id, r.endpoints]));
      const plan = planAssignments(
        tasks,
        live.map((r) => candidateOf(r, now, this.config)),
      ).map(({ task, agent }) => ({ task, agentId: agent.agent_id, token: randomBytes(18).toString('base64url'), endpoints: endpoints.get(agent.agent_id)! }));
      if (plan.length > 0)
        await this.tasks.assign(
          tx,
          plan.map((p) => ({ task_id: p.task.task_id, agent_id: p.agentId, token: p.token })),
        );
      return plan;
    });
  }

  private async deliver({ task, agentId, token, endpoints }: Placement): Promise<void> {
    const payload: TaskDelivery = {
      task_id: task.task_id,
      agent_id: agentId,
      token,
      attempt: task.attempts + 1,
      priority: task.priority,
      task_data: task.task_data,
      requirements: task.requirements ?? {},
      submitted_at: new Date(task.submitted_at).toISOString(),
    };
    if (this.config.COORDINATOR_RESULT_BASE_URL)
      payload.result_url = `${this.config.COORDINATOR_RESULT_BASE_URL.replace(/\/$/, '')}/tasks/${task.task_id}/result`;
    if (task.principal) payload.principal = task.principal;
    this.metrics?.dispatchLatency.observe({ priority: task.priority }, Math.max(0, Date.now() - new Date(task.submitted_at).getTime()) / 1000);
    const outcome = await this.delivery.deliver(endpoints, payload);
    this.metrics?.deliveries.inc({ transport: endpoints.nats ? 'nats' : endpoints.http ? 'http' : 'none', outcome: outcome.status });
    if (outcome.status === 'accepted') return;
    await this.lifecycle.finish(task.task_id, token, outcome);
    this.kick();
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: Error) => this.logger.error(`delivery failed: ${err.message}`)).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }
}
