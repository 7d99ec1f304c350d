import { Inject, Injectable, Logger } from '@nestjs/common';
import { DURATION_BUCKETS, Metrics } from '@platform/runtime';
import { AgentRepository } from '../registry/agent.repository';
import { TaskRepository } from './task.repository';

/**
 * The coordinator's metrics (docs/operations.md): the agents and queue gauges read Postgres at scrape
 * time; dispatch latency and deliveries are counted by the dispatcher. Every replica reports the same
 * gauges: aggregate them with `max`.
 */
@Injectable()
export class CoordinatorMetrics {
  readonly dispatchLatency;
  readonly deliveries;

  constructor(@Inject(Metrics) metrics: Metrics, agents: AgentRepository, tasks: TaskRepository) {
    const logger = new Logger(CoordinatorMetrics.name);
    metrics.gauge({
      name: 'coordinator_agents',
      help: 'Registered agents by status (active, inactive, busy, stale) and type, read at scrape time',
      labelNames: ['status', 'agent_type'],
      async collect() {
        try {
          const rows = await agents.countByStatus();
          this.reset();
          for (const r of rows) this.set({ status: r.status, agent_type: r.agent_type }, r.n);
        } catch (err) {
          logger.warn(`agents gauge not read: ${(err as Error).message}`);
        }
      },
    });
    metrics.gauge({
      name: 'coordinator_queued_tasks',
      help: 'Tasks waiting for an agent, by priority, read at scrape time',
      labelNames: ['priority'],
      async collect() {
        try {
          const rows = await tasks.countAllQueued();
          this.reset();
          for (const r of rows) this.set({ priority: r.priority }, r.n);
        } catch (err) {
          logger.warn(`queue gauge not read: ${(err as Error).message}`);
        }
      },
    });
    this.dispatchLatency = metrics.histogram({
      name: 'coordinator_dispatch_latency_seconds',
      help: "From a task's submission to its delivery to an agent, by priority",
      labelNames: ['priority'],
      buckets: DURATION_BUCKETS,
    });
    this.deliveries = metrics.counter({
      name: 'coordinator_deliveries_total',
      help: 'Task deliveries by transport (nats, http, none) and outcome (accepted, completed, failed)',
      labelNames: ['transport', 'outcome'],
    });
  }
}
