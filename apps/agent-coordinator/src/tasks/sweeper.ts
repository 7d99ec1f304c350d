import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PeriodicTask, withAdvisoryLock } from '@platform/runtime';
import { CoordinatorConfig } from '../config';
import { rowsOf } from '../db';
import { Dispatcher } from './dispatcher';
import { TaskLifecycle } from './task-lifecycle';

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
    const limitSecs = (this.config.COORDINATOR_HEARTBEAT_INTERVAL_MS * this.config.COORDINATOR_HEARTBEAT_TOLERANCE) / 1000;
    const stale = rowsOf<{ agent_id: string }>(
      await this.db.query(
        `UPDATE coordinator.agents SET status = 'stale', updated_at = now()
       WHERE status IN ('active','busy') AND last_heartbeat < now() - make_interval(secs => $1) RETURNING agent_id`,
        [limitSecs],
      ),
    );
    // Tasks held by an agent that is stale or gone, or held past the task timeout.
    const lost: {
      task_id: string;
      token: string;
      agent_id: string;
      reason: string;
    }[] = await this.db.query(
      `SELECT t.task_id, t.token, t.agent_id,
              CASE WHEN a.agent_id IS NULL THEN 'agent ' || t.agent_id || ' is gone'
                   WHEN a.status = 'stale' THEN 'agent ' || t.agent_id || ' stopped sending heartbeats'
                   ELSE 'no result within ' || $2 || ' ms' END AS reason
       FROM coordinator.tasks t LEFT JOIN coordinator.agents a ON a.agent_id = t.agent_id
       WHERE t.status = 'assigned' AND (a.agent_id IS NULL OR a.status = 'stale' OR t.assigned_at < now() - make_interval(secs => $1))
       LIMIT 1000`,
      [this.config.COORDINATOR_TASK_TIMEOUT_MS / 1000, String(this.config.COORDINATOR_TASK_TIMEOUT_MS)],
    );
    let released = 0;
    for (const t of lost)
      if (
        (
          await this.lifecycle.finish(t.task_id, t.token, {
            status: 'failed',
            error: t.reason,
          })
        ).accepted
      )
        released++;
    if (stale.length || released) {
      this.logger.log(`sweep: ${stale.length} agent(s) stale, ${released} task(s) taken back`);
      this.dispatcher.kick();
    }
    return { stale: stale.map((s) => s.agent_id), released };
  }
}
