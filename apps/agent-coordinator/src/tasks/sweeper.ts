import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask, withAdvisoryLock } from '@platform/runtime';
import { CoordinatorConfig } from '../config';
import { heartbeatLimitSecs } from '../registry/agent-row';
import { AgentRepository } from '../registry/agent.repository';
import { Dispatcher } from './dispatcher';
import { TaskLifecycle } from './task-lifecycle';
import { TaskRepository } from './task.repository';

/** Advisory-lock key: only the replica holding it sweeps; the others skip that round. */
export const SWEEP_LOCK = 0x636f6f72; // "coor"

export interface SweepResult {
  stale: string[];
  released: number;
}

/**
 * Marks agents whose heartbeats stopped `stale` (after interval × tolerance) and takes back the tasks
 * they held, and any task held longer than the task timeout; those go back to their queues, or fail
 * when out of attempts.
 */
@Injectable()
export class Sweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Sweeper.name);
  private readonly task: PeriodicTask;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly agents: AgentRepository,
    private readonly tasks: TaskRepository,
    @Inject(CoordinatorConfig) private readonly config: CoordinatorConfig,
    private readonly lifecycle: TaskLifecycle,
    private readonly dispatcher: Dispatcher,
  ) {
    this.task = new PeriodicTask('sweep', config.COORDINATOR_SWEEP_INTERVAL_MS, () => this.sweep(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /** One sweep, or null when another replica holds the lock. */
  sweep(): Promise<SweepResult | null> {
    return withAdvisoryLock(this.db, SWEEP_LOCK, () => this.sweepLocked());
  }

  private async sweepLocked(): Promise<SweepResult> {
    const stale = await this.agents.markStale(heartbeatLimitSecs(this.config));
    // Tasks held by an agent that is stale or gone, or held past the task timeout.
    let released = 0;
    for (const t of await this.tasks.findLost(this.config.COORDINATOR_TASK_TIMEOUT_MS))
      if ((await this.lifecycle.finish(t.task_id, t.token, { status: 'failed', error: t.reason })).accepted) released++;
    if (stale.length || released) {
      this.logger.log(`sweep: ${stale.length} agent(s) stale, ${released} task(s) taken back`);
      this.dispatcher.kick();
    }
    return { stale, released };
  }
}
